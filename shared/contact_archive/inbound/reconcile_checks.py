"""What reconciliation checks at each vendor, one run of one tenant's vendor at a time.

Two shapes of check. Where the vendor can list what it archived, its pages are read and each
archived vendor contact is looked up in the ledger (two batch reads a page): Constant Contact
(`status=deleted&updated_after=`, paged by `_links.next.href`) and Routera (`archived=true`, paged
by offset). Where it cannot, the ledger's own contacts linked to the vendor are walked (one Query
a page on the tenant index) and each link is checked at the vendor: Intercom (a fetch by id, the
only way to an archived contact: 404 is archived or deleted, 200 is active) and Sequence (the
link's customer listed once with `includeArchived`).

A difference is applied as a vendor report (`vendor_changes.apply_vendor_report`, action
`drift_detected`): echoes of the ledger's own changes and reports older than the link's last
vendor change are dropped there, and the tenant's policy decides whether the contact follows
elsewhere. Each one recorded is announced as `ContactDriftDetected`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from contact_archive.announcements.publisher import Announcement, Publisher
from contact_archive.inbound.vendor_changes import Applied, VendorReport, apply_vendor_report
from contact_archive.ledger.errors import ConcurrentUpdate
from contact_archive.ledger.models import Contact, HistoryAction, LinkState, Vendor, VendorLink, iso
from contact_archive.ledger.records import Watermark
from contact_archive.ledger.store import LedgerStore
from contact_archive.observability import logger
from contact_archive.vendors.canonical import VendorContact
from contact_archive.vendors.client import ContactPage, LinkRef, VendorClient
from contact_archive.vendors.constant_contact.client import ConstantContactClient
from contact_archive.vendors.errors import PermanentVendorError, VendorNotFound
from contact_archive.vendors.intercom.client import IntercomClient
from contact_archive.vendors.routera.client import ListPhase

ACTOR_NAME = "reconcile"
DRIFT_DETAIL_TYPE = "ContactDriftDetected"
# A Constant Contact pass asks for contacts changed after the previous pass began, minus this:
# clock skew between us and the vendor cannot hide a delete (one seen twice changes nothing).
HIGH_WATER_OVERLAP = timedelta(minutes=5)
ROUTERA_ARCHIVED_START = f"{ListPhase.ARCHIVED.value}:0"  # the Routera client's cursor format
_ANNOUNCED = frozenset({Applied.RECORDED, Applied.MIRRORED})


class Stop(StrEnum):
    """Why a run of one tenant's vendor stopped."""

    # PASS_COMPLETE: the pass reached its end; the next run starts another
    PASS_COMPLETE = "pass_complete"  # noqa: S105 - not a password
    MAX_PAGES = "max_pages"  # the run's page bound; the next run goes on from the watermark
    TIME = "time"  # the invocation's time was running out; the same
    THROTTLED = "throttled"  # the vendor kept answering 429 past the client's retries
    VENDOR_ERROR = "vendor_error"  # another vendor failure (5xx, timeouts, refused credentials)
    PUBLISH_FAILED = "publish_failed"  # EventBridge refused announcements of recorded drift
    NOT_CONFIGURED = "not_configured"  # the tenant's credentials for the vendor are unusable
    FAILED = "failed"  # an unexpected error (logged): the other pairs still run
    HELD = "held"  # another run holds this tenant's vendor: left to it
    LOST = "lost"  # this run's claim ran out before it saved: its progress was dropped


@dataclass
class Tally:
    pages: int = 0  # vendor pages (Constant Contact, Routera) or ledger pages (the others)
    checked: int = 0  # vendor contacts or ledger links compared
    drifts: int = 0  # differences recorded (and announced)


@dataclass
class PairRun:
    """One run of one tenant's vendor: where it is, and what it found."""

    store: LedgerStore
    client: VendorClient
    publisher: Publisher
    watermark: Watermark
    max_pages: int
    page_size: int
    short_of_time: Callable[[], bool]
    clock: Callable[[], datetime]
    tally: Tally = field(default_factory=Tally)
    _announcements: list[Announcement] = field(default_factory=list)
    _customers: dict[str, dict[str, VendorContact]] = field(default_factory=dict)

    @property
    def tenant_id(self) -> str:
        return self.watermark.tenant_id

    @property
    def vendor(self) -> Vendor:
        return self.watermark.vendor

    def begin(self) -> None:
        """A run with no cursor starts a pass: note when, for the next pass's high-water mark."""
        if self.watermark.cursor is None or self.watermark.pass_started_at is None:
            self.watermark = replace(self.watermark, pass_started_at=iso(self.clock()))

    def go_on_at(self, cursor: str) -> None:
        self.watermark = replace(self.watermark, cursor=cursor)

    def end_pass(self, high_water: str | None) -> Stop:
        self.watermark = replace(
            self.watermark,
            cursor=None,
            high_water=high_water,
            pass_started_at=None,
            passes=self.watermark.passes + 1,
        )
        return Stop.PASS_COMPLETE

    def drift(
        self,
        vendor_id: str,
        state: LinkState,
        vendor_updated_at: str | None,
        *,
        reason: str | None = None,
    ) -> None:
        """The vendor has `vendor_id` in `state`, unlike the ledger: apply it as a report, and
        announce it if it was recorded (not an echo, not older than what the link knows).

        The report is dated when it was seen, not with the vendor's own time (kept in the
        details): what a run sees is the vendor's state now, newer than any change before it,
        and on our clock, so a vendor clock running behind cannot make a later run's finding
        look older than an earlier one's forever (each run's is newer than the last)."""
        now = self.clock()
        detected_at = iso(now)
        report = VendorReport(
            tenant_id=self.tenant_id,
            vendor=self.vendor,
            vendor_id=vendor_id,
            state=state,
            occurred_at=detected_at,
            action=HistoryAction.DRIFT_DETECTED,
            actor_name=ACTOR_NAME,
            details={"vendor_updated_at": vendor_updated_at} if vendor_updated_at else {},
            reason=reason,
        )
        try:
            applied = apply_vendor_report(self.store, report, clock=lambda: now)
        except ConcurrentUpdate:
            # The contact kept changing under us: the next pass looks at it again.
            logger.warning(
                "drift not applied: the contact kept changing",
                extra={"tenant_id": self.tenant_id, "vendor": self.vendor.value},
            )
            return
        if applied.outcome not in _ANNOUNCED or applied.contact_id is None:
            return
        self.tally.drifts += 1
        self._announcements.append(
            Announcement(
                DRIFT_DETAIL_TYPE,
                {
                    "tenant_id": self.tenant_id,
                    "contact_id": applied.contact_id,
                    "vendor": self.vendor.value,
                    "vendor_id": vendor_id,
                    "ledger_state": applied.was.value if applied.was else None,
                    "vendor_state": state.value,
                    "detected_at": detected_at,
                },
            )
        )

    def publish(self) -> None:
        """Announce what was recorded so far (`EventPublishFailed` if EventBridge refuses)."""
        if self._announcements:
            announcements, self._announcements = self._announcements, []
            self.publisher.publish(announcements)

    def customer(self, customer_id: str) -> dict[str, VendorContact]:
        """A Sequence customer's contacts, archived ones included, listed once per run."""
        if customer_id not in self._customers:
            try:
                page = self.client.list_page(scope=customer_id)
            except VendorNotFound:
                logger.warning(
                    "customer not found at the vendor: its links are not checked",
                    extra={"tenant_id": self.tenant_id, "vendor": self.vendor.value},
                )
                page = None
            contacts = page.contacts if page else []
            self._customers[customer_id] = {found.vendor_id: found for found in contacts}
        return self._customers[customer_id]


def _ledger_state(contact: Contact, link: VendorLink) -> LinkState:
    return link.state_under(contact.pending)


def _vendor_time(found: VendorContact) -> str | None:
    """When the vendor last changed the contact, as precisely as it says."""
    return found.updated_at or found.archived_at


# -- the vendors that list what they archived ---------------------------------------------------


def check_constant_contact(run: PairRun) -> Stop:
    """Deleted contacts changed since the last pass began (all of them on the first pass): one
    whose link the ledger has active was deleted behind its back. Constant Contact's delete is
    its archive (it can be revived), so the link is reported archived."""
    client = run.client
    if not isinstance(client, ConstantContactClient):
        raise TypeError("constant_contact: reconciliation needs the Constant Contact client")
    run.begin()
    for _ in range(run.max_pages):
        if run.short_of_time():
            return Stop.TIME
        page = _deleted_page(run, client)
        run.tally.pages += 1
        _archived_at_vendor(run, [found for found in page.contacts if found.archived])
        run.publish()
        if page.next_cursor is None:
            started = run.watermark.pass_started_at
            return run.end_pass(_minus(started, HIGH_WATER_OVERLAP) if started else None)
        run.go_on_at(page.next_cursor)
    return Stop.MAX_PAGES


def _deleted_page(run: PairRun, client: ConstantContactClient) -> ContactPage:
    """The next page of the pass. A stored cursor the vendor no longer takes (an expired or
    malformed next href) starts the pass over from its high-water mark instead of failing every
    run from now on: contacts seen twice change nothing."""
    watermark = run.watermark
    if watermark.cursor is not None:
        try:
            return client.list_deleted_page(cursor=watermark.cursor)
        except (PermanentVendorError, VendorNotFound, ValueError):
            logger.warning(
                "the stored page cursor was refused: the pass starts over",
                extra={"tenant_id": run.tenant_id, "vendor": run.vendor.value},
            )
            run.watermark = replace(watermark, cursor=None)
    return client.list_deleted_page(updated_after=watermark.high_water, limit=run.page_size)


def check_routera(run: PairRun) -> Stop:
    """The archived contacts, page by page (Routera has no `updated_after`: each pass reads them
    all, resuming at the offset it stopped at). One the ledger has active is drift."""
    run.begin()
    for _ in range(run.max_pages):
        if run.short_of_time():
            return Stop.TIME
        page = run.client.list_page(cursor=run.watermark.cursor or ROUTERA_ARCHIVED_START)
        run.tally.pages += 1
        _archived_at_vendor(run, [found for found in page.contacts if found.archived])
        run.publish()
        if page.next_cursor is None:
            return run.end_pass(run.watermark.pass_started_at)
        run.go_on_at(page.next_cursor)
    return Stop.MAX_PAGES


def _archived_at_vendor(run: PairRun, archived: list[VendorContact]) -> None:
    """Vendor contacts archived at the vendor, against their ledger links (two batch reads)."""
    run.tally.checked += len(archived)
    if not archived:
        return
    store, tenant_id, vendor = run.store, run.tenant_id, run.vendor
    refs = store.vendor_refs.find_many(tenant_id, vendor, [found.vendor_id for found in archived])
    contacts = store.contacts.get_many(tenant_id, sorted(set(refs.values()))) if refs else {}
    for found in archived:
        contact = contacts.get(refs.get(found.vendor_id, ""))
        link = contact.link_by_vendor_id(vendor, found.vendor_id) if contact else None
        if contact is None or link is None:
            continue  # not the tenant's, or an id the link no longer has (a re-created one)
        if _ledger_state(contact, link) is LinkState.ACTIVE:
            run.drift(found.vendor_id, LinkState.ARCHIVED, _vendor_time(found))


# -- the vendors checked link by link from the ledger -------------------------------------------


def check_intercom(run: PairRun) -> Stop:
    """Each Intercom link fetched by id: a link the ledger has active that Intercom answers 404
    was archived there (or deleted: Intercom shows neither), unless another active Intercom
    contact now holds the person's external id or email (a merge), which makes the link
    unrecoverable, saying which contact to link; one the ledger has archived that Intercom shows
    again was unarchived by Intercom itself (the person logged in again)."""
    client = run.client
    if not isinstance(client, IntercomClient):
        raise TypeError("intercom: reconciliation needs the Intercom client")

    def check(contact: Contact) -> None:
        for link in contact.links_of(Vendor.INTERCOM):
            check_link(contact, link, _ledger_state(contact, link))

    def check_link(contact: Contact, link: VendorLink, known: LinkState) -> None:
        if known not in (LinkState.ACTIVE, LinkState.ARCHIVED):
            return  # in flight, failed or unrecoverable: nothing to compare with
        run.tally.checked += 1
        try:
            found: VendorContact | None = run.client.fetch(LinkRef(link.vendor_id, link.scope))
        except VendorNotFound:
            found = None
        if known is LinkState.ACTIVE and found is None:
            merged_into = _merge_target(client, contact, link)
            if merged_into is None:
                run.drift(link.vendor_id, LinkState.ARCHIVED, None)
            else:
                reason = (
                    f"gone from intercom, and its contact {merged_into} now holds this person's"
                    " external id or email: merged into it, most likely; link that contact to"
                    " follow the person"
                )
                run.drift(link.vendor_id, LinkState.UNRECOVERABLE, None, reason=reason)
        elif known is LinkState.ARCHIVED and found is not None and not found.archived:
            run.drift(link.vendor_id, LinkState.ACTIVE, _vendor_time(found))

    return _walk_ledger(run, check)


def _merge_target(client: IntercomClient, contact: Contact, link: VendorLink) -> str | None:
    """The id of another active Intercom contact holding the person's external id or email
    (from the link's snapshot, else the ledger's contact), if there is one."""
    snapshot = link.snapshot or {}
    email = snapshot.get("email") or contact.email
    external_id = snapshot.get("external_id") or contact.external_id
    if not email and not external_id:
        return None
    found = client.find_active(email=email, external_id=external_id)
    if found is None or found.vendor_id == link.vendor_id:
        return None
    return found.vendor_id


def check_sequence(run: PairRun) -> Stop:
    """Each Sequence link the ledger has active, found in its customer's list (listed once per
    run, archived contacts included): archived there is drift. Sequence cannot unarchive, so an
    archived link cannot have come back by itself."""

    def check(contact: Contact) -> None:
        for link in contact.links_of(Vendor.SEQUENCE):  # one per customer
            if not link.scope or _ledger_state(contact, link) is not LinkState.ACTIVE:
                continue
            run.tally.checked += 1
            found = run.customer(link.scope).get(link.vendor_id)
            if found is not None and found.archived:
                at = found.archived_at or found.updated_at
                run.drift(link.vendor_id, LinkState.ARCHIVED, at)

    return _walk_ledger(run, check)


def _walk_ledger(run: PairRun, check: Callable[[Contact], None]) -> Stop:
    """The tenant's contacts linked to the vendor, a page at a time from the watermark's contact
    id on. The cursor moves past each contact once checked, so a run cut short (time, a vendor
    failure) goes on from the next contact, not from the start of its page."""
    run.begin()
    for _ in range(run.max_pages):
        if run.short_of_time():
            return Stop.TIME
        contacts, after = run.store.contacts.list_linked(
            run.tenant_id, run.vendor, after=run.watermark.cursor, limit=run.page_size
        )
        run.tally.pages += 1
        for contact in contacts:
            if run.short_of_time():
                run.publish()
                return Stop.TIME
            check(contact)
            run.go_on_at(contact.contact_id)
        run.publish()
        if after is None:
            return run.end_pass(run.watermark.pass_started_at)
        run.go_on_at(after)
    return Stop.MAX_PAGES


def _minus(moment: str, delta: timedelta) -> str:
    return iso(datetime.fromisoformat(moment.replace("Z", "+00:00")) - delta)


CHECKS: dict[Vendor, Callable[[PairRun], Stop]] = {
    Vendor.CONSTANT_CONTACT: check_constant_contact,
    Vendor.ROUTERA: check_routera,
    Vendor.INTERCOM: check_intercom,
    Vendor.SEQUENCE: check_sequence,
}
