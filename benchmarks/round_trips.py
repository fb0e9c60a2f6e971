"""(d) for `make bench`: vendor calls per archive and restore on the strict sandboxes, and what
comes back. One contact per vendor, holding every field the vendor lets a caller write, is
archived and restored through the ledger (each link synced by `sync_link` with the vendor's
client); the vendor's contact is compared field by field before and after, and what differs is
matched against what the restore reported as `not_restored`. Then the same contact archived in
the vendor's own UI: the calls that take its restore material, and how its restore ends."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from contact_archive.contacts.changes import ChangeCommand, archive_contact, restore_contact
from contact_archive.contacts.reading import contact_history, get_contact
from contact_archive.contacts.register import LinkInput, RegisterCommand, register_contact
from contact_archive.dependencies import get_store
from contact_archive.inbound.reconcile import Limits, reconcile
from contact_archive.ledger.models import Actor, Vendor
from contact_archive.ledger.store import LedgerStore
from contact_archive.sync.link_sync import sync_link
from contact_archive.vendors.client import LinkRef
from contact_archive.vendors.credential_sources import JsonSource
from contact_archive.vendors.registry import VendorClients
from devtools.sandboxes.base import Sandbox
from devtools.sandboxes.stack import SandboxStack
from tests.support import covered, flat

TENANT = "bench-round-trips"
VENDOR_ARCHIVED_TENANT = "bench-vendor-archived"  # apart: sandbox ids repeat across fresh stacks
ACTOR = Actor(name="bench", source="api")
CUSTOMER = "bench-customer"
LISTS = ["list-newsletter", "list-customers"]
RESTORE_LIST = "list-restored"
EARLIER = "2025-06-01T09:30:00+00:00"
_ID = re.compile(r"/[0-9a-f-]{16,}(?=/|$)|/(?=[0-9a-f]{24})[0-9a-f]{24}")

# Set by the vendor on every write (or for every subresource written): not compared, by name.
SERVER_SET: dict[Vendor, frozenset[str]] = {
    Vendor.SEQUENCE: frozenset({"updatedAt"}),
    Vendor.ROUTERA: frozenset({"updated_at"}),
    Vendor.INTERCOM: frozenset({"updated_at"}),
    Vendor.CONSTANT_CONTACT: frozenset(
        {
            "updated_at",
            "email_address.updated_at",
            "phone_numbers[*].phone_number_id",
            "phone_numbers[*].created_at",
            "phone_numbers[*].updated_at",
            "phone_numbers[*].create_source",
            "phone_numbers[*].update_source",
            "street_addresses[*].street_address_id",
            "street_addresses[*].created_at",
            "street_addresses[*].updated_at",
        }
    ),
}


def _constant_contact_fields() -> dict[str, Any]:
    """Every property a Constant Contact PUT writes, and its consent history beside them."""
    return {
        "email_address": {
            "address": "rae@example.com",
            "permission_to_send": "explicit",
            "created_at": EARLIER,
            "opt_in_source": "Contact",
            "opt_in_date": EARLIER,
            "confirm_status": "confirmed",
        },
        "first_name": "Rae",
        "last_name": "Vive",
        "job_title": "Poet",
        "company_name": "Acme Corp.",
        "birthday_month": 11,
        "birthday_day": 24,
        "anniversary": "2006-11-15",
        "custom_fields": [
            {"custom_field_id": "1618ae62-4752-11e9-9c8a-fa163e6b01c1", "value": "Tesla S 2017"}
        ],
        "phone_numbers": [{"phone_number": "+1-555-555-0001", "kind": "home"}],
        "street_addresses": [{"kind": "home", "street": "1 Main St", "city": "Chicago"}],
        "taggings": ["e7ddac60-51da-11eb-b3a4-fa163e6b01c1"],
        "notes": [{"note_id": "n-1", "created_at": EARLIER, "content": "Met at the fair."}],
        "sms_channel": {
            "sms_address": "7815551212",
            "dial_code": "1",
            "country_code": "US",
            "sms_channel_consents": [
                {"sms_consent_permission": "explicit", "consent_type": "promotional_sms"}
            ],
        },
    }


def _seed(stack: SandboxStack, vendor: Vendor) -> tuple[str, str | None]:
    """A contact holding every field the vendor lets a caller write: its id and scope."""
    if vendor is Vendor.SEQUENCE:
        made = stack.sequence.add_contact(
            CUSTOMER, name="Ada Lovelace", email="ada@example.com", billingPreference="PRIMARY"
        )
        return made["id"], CUSTOMER
    if vendor is Vendor.ROUTERA:
        made = stack.routera.add_contact(
            external_id="crm-42", first_name="Ada", last_name="Lovelace",
            email="ada@example.com", contact_owner="jane@example.com", region="EMEA",
        )  # fmt: skip
        return made["id"], None
    if vendor is Vendor.INTERCOM:
        made = stack.intercom.add_contact(
            role="user", external_id="crm-4711", email="ada@example.com",
            phone="+353871234567", name="Ada King Lovelace", owner_id=991,
            signed_up_at=1_600_000_000, last_seen_at=1_716_000_000,
            unsubscribed_from_emails=True, custom_attributes={"plan": "pro", "seats": 12},
        )  # fmt: skip
        return made["id"], None
    made = stack.constant_contact.add_contact(list_ids=LISTS, **_constant_contact_fields())
    return made["contact_id"], None


def _raw(stack: SandboxStack, vendor: Vendor, vendor_id: str) -> dict[str, Any]:
    """The vendor's contact as the sandbox holds it."""
    found: dict[str, Any] | None
    if vendor is Vendor.SEQUENCE:
        found = stack.sequence.contact(CUSTOMER, vendor_id)
    elif vendor is Vendor.ROUTERA:
        found = stack.routera.contact(vendor_id)
    elif vendor is Vendor.INTERCOM:
        found = stack.intercom.contact(vendor_id)
    else:
        found = stack.constant_contact.contact(vendor_id)
    assert found is not None, (vendor, vendor_id)
    return found


def _top(path: str) -> str:
    return re.split(r"[.\[]", path, maxsplit=1)[0]


@dataclass(frozen=True)
class RoundTrip:
    vendor: Vendor
    archive_calls: Counter[str]
    restore_calls: Counter[str]
    compared: int  # fields (leaf paths) compared
    restored: list[str]  # top-level fields that came back whole (or all but what is reported)
    not_restored: dict[str, str]  # as the restore reported them, field -> why
    unreported: list[str]  # paths that differ but were not reported: should be none


@dataclass(frozen=True)
class VendorArchived:
    vendor: Vendor
    material_calls: Counter[str]
    restore_calls: Counter[str]
    outcome: str


class _Run:
    def __init__(self, tenant: str, restore_list: str | None = None) -> None:
        self.tenant = tenant
        self.stack = SandboxStack()
        document = self.stack.credentials(tenant)
        if restore_list is not None:
            document[tenant][Vendor.CONSTANT_CONTACT.value]["restore_list_id"] = restore_list
        self.clients = VendorClients(
            JsonSource(document), transports=self.stack.transports(), sleep=lambda _: None
        )
        self.store: LedgerStore = get_store()

    def register(self, contact_id: str, vendor: Vendor, vendor_id: str, scope: str | None) -> None:
        link = LinkInput(vendor, vendor_id, scope)
        command = RegisterCommand(self.tenant, contact_id, ACTOR, links=[link])
        register_contact(self.store, command)

    def calls(self, vendor: Vendor, step: Callable[[], object]) -> Counter[str]:
        """What the vendor's sandbox saw while `step` ran, by endpoint."""
        sandbox: Sandbox = self.stack.sandboxes[vendor]
        before = len(sandbox.requests)
        step()
        return Counter(
            _endpoint(request.method, request.url.path) for request in sandbox.requests[before:]
        )

    def sync(self, contact_id: str, vendor: Vendor) -> str:
        key = get_contact(self.store, self.tenant, contact_id).link(vendor.value).key
        return sync_link(self.store, self.clients, self.tenant, contact_id, key).outcome.value


def _endpoint(method: str, path: str) -> str:
    return f"{method} {_ID.sub('/{id}', path).replace(CUSTOMER, '{customer}')}"


def round_trip(vendor: Vendor, number: int) -> RoundTrip:
    run = _Run(TENANT)
    contact_id = f"bench-round-trip-{number}"
    vendor_id, scope = _seed(run.stack, vendor)
    before = _raw(run.stack, vendor, vendor_id)
    run.register(contact_id, vendor, vendor_id, scope)
    archive_contact(run.store, ChangeCommand(TENANT, contact_id, ACTOR))
    archived = run.calls(vendor, lambda: run.sync(contact_id, vendor))
    restore_contact(run.store, ChangeCommand(TENANT, contact_id, ACTOR))
    restored = run.calls(vendor, lambda: run.sync(contact_id, vendor))
    link = get_contact(run.store, TENANT, contact_id).link(vendor.value)
    after = _raw(run.stack, vendor, link.vendor_id)
    event = contact_history(run.store, TENANT, contact_id)[-1]
    reported = dict((event.details or {}).get("not_restored") or {})
    server_set = SERVER_SET[vendor]
    flat_before, flat_after = flat(before), flat(after)
    paths = {
        path
        for path in flat_before.keys() | flat_after.keys()
        if re.sub(r"\[\d+\]", "[*]", path) not in server_set
    }
    differing = {path for path in paths if flat_before.get(path) != flat_after.get(path)}
    # A field counts as restored when every leaf of it came back and none was reported lost (a
    # value may come back equal by chance, such as a creation time within the same second).
    reported_paths = {path for path in paths if covered(path, set(reported))}
    back = {_top(path) for path in paths} - {_top(path) for path in differing | reported_paths}
    partly = (
        {_top(path) for path in reported_paths}
        - set(reported)
        - {_top(path) for path in differing - reported_paths}
    )
    return RoundTrip(
        vendor=vendor,
        archive_calls=archived,
        restore_calls=restored,
        compared=len(paths),
        restored=sorted(back) + [f"{name} (all but what is reported)" for name in sorted(partly)],
        not_restored=reported,
        unreported=sorted(path for path in differing if not covered(path, set(reported))),
    )


def vendor_archived(vendor: Vendor, number: int) -> VendorArchived:
    """The contact archived in the vendor's own UI, found by reconciliation, its material taken
    by the sync, and that link restored."""
    run = _Run(VENDOR_ARCHIVED_TENANT, restore_list=RESTORE_LIST)
    tenant = run.tenant
    contact_id = f"bench-vendor-archived-{number}"
    vendor_id, scope = _seed(run.stack, vendor)
    run.register(contact_id, vendor, vendor_id, scope)
    if vendor is Vendor.INTERCOM:
        run.stack.intercom.archive_in_ui(vendor_id)
    else:
        run.clients(tenant, vendor).archive(LinkRef(vendor_id, scope))

    class OnlyThisPair:
        def configured(self) -> list[tuple[str, Vendor]]:
            return [(tenant, vendor)]

    reconcile(run.store, run.clients, OnlyThisPair(), _Silent(), limits=Limits(), start=0)
    material = run.calls(vendor, lambda: run.sync(contact_id, vendor))
    command = ChangeCommand(tenant, contact_id, ACTOR, vendors=[vendor.value])
    restore_contact(run.store, command)
    outcomes: list[str] = []
    restore = run.calls(vendor, lambda: outcomes.append(run.sync(contact_id, vendor)))
    return VendorArchived(vendor, material, restore, outcomes[0])


class _Silent:
    """A publisher that keeps nothing: the drift's announcement is not measured here."""

    def publish(self, announcements: list[Any]) -> None:
        del announcements


def measure() -> tuple[list[RoundTrip], list[VendorArchived]]:
    vendors = list(Vendor)
    return (
        [round_trip(vendor, number) for number, vendor in enumerate(vendors)],
        [vendor_archived(vendor, number) for number, vendor in enumerate(vendors)],
    )


def _listed(calls: Counter[str]) -> str:
    return ", ".join(f"`{endpoint}` {number}" for endpoint, number in sorted(calls.items()))


def render(trips: list[RoundTrip], archived: list[VendorArchived]) -> list[str]:
    lines = [
        "## (d) Vendor calls per archive and restore, and what comes back",
        "",
        "One contact per vendor, holding every field the vendor lets a caller write (Constant "
        "Contact's consent history and SMS consent included), on the strict sandboxes (quotas, "
        "limits and refusals as documented), archived and restored through the ledger, each "
        "link synced by `sync.link_sync.sync_link` with the vendor's client. Calls are the "
        "requests each sandbox saw (a first call's token request included).",
        "",
        "| vendor | archive | calls | restore | calls |",
        "| --- | ---: | --- | ---: | --- |",
    ]
    for trip in trips:
        lines.append(
            f"| {trip.vendor.value} | {sum(trip.archive_calls.values())} "
            f"| {_listed(trip.archive_calls)} | {sum(trip.restore_calls.values())} "
            f"| {_listed(trip.restore_calls)} |"
        )
    lines += [
        "",
        "The vendor's contact before the archive and after the restore, compared field by field "
        "(every leaf; what the vendor sets on every write left out by name, see "
        "`benchmarks/round_trips.py`). *Not restored* is what the restore's history event "
        "reported (`not_restored`), with why; *unreported* counts fields that differ and were "
        "not reported.",
        "",
        "| vendor | fields compared | restored | not restored (reported) | unreported |",
        "| --- | ---: | --- | --- | ---: |",
    ]
    for trip in trips:
        reported = "; ".join(f"`{name}`: {why}" for name, why in sorted(trip.not_restored.items()))
        restored = ", ".join(
            f"`{name}`" if " " not in name else f"`{name.split(' ', 1)[0]}` {name.split(' ', 1)[1]}"
            for name in trip.restored
        )
        lines.append(
            f"| {trip.vendor.value} | {trip.compared} | {restored} | {reported or 'none'} "
            f"| {len(trip.unreported)} |"
        )
    lines += [
        "",
        "The same contact archived in the vendor's own UI instead, found by a reconciliation run: "
        "the calls the sync makes to keep its restore material while the vendor still shows it, "
        "then a restore of that link alone (Constant Contact with a restore list configured: a "
        "deleted contact has lost its lists).",
        "",
        "| vendor | material | calls | restore | calls | outcome |",
        "| --- | ---: | --- | ---: | --- | --- |",
    ]
    for row in archived:
        lines.append(
            f"| {row.vendor.value} | {sum(row.material_calls.values())} "
            f"| {_listed(row.material_calls) or 'none'} | {sum(row.restore_calls.values())} "
            f"| {_listed(row.restore_calls)} | {row.outcome} |"
        )
    lines += [
        "",
        "An archive reads the restore material first (Sequence has no single-contact GET, so it "
        "lists the customer's contacts; Intercom's is a GET of the contact, kept to tell a merge "
        "from an archive later) and then archives. Sequence and Routera restore by re-creating "
        "the contact (the new id is linked, and its id and creation time are reported not "
        "restored); Intercom unarchives; Constant Contact PUTs the saved contact with its list "
        "memberships back, never the consent the person has not given now.",
        "",
    ]
    return lines
