"""Archive and restore thousands of Constant Contact contacts with bulk activities.

An archive reads where the contacts stand and their lists by the page (`survey.py`), then
deletes the active ones with one `contact_delete` per 500; a restore reads which are deleted,
then revives them onto their saved lists with `add_list_memberships` (`activities.revive_plan`).
Every activity of a call is created first, then all are polled together (`GET /activities` lists
their states in one request) until each has finished. Contacts found already where the call
would put them are left alone: a call repeated after its first attempt ran changes nothing.

Creating an activity is retried like any request: an answer lost after Constant Contact queued
it can leave a second, identical activity, which is harmless (deleting a deleted contact, adding
a contact to lists it is on). Transient errors past the retries, and polls that run out, raise a
`BulkInterrupted` carrying the lists read so far: once a delete may have gone out, they exist
nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.client import BulkItemResult
from contact_archive.vendors.constant_contact import activities, mapper
from contact_archive.vendors.constant_contact.activities import Planned
from contact_archive.vendors.constant_contact.survey import Standing, Survey
from contact_archive.vendors.constant_contact.types import Activities, Activity
from contact_archive.vendors.errors import (
    PermanentVendorError,
    TransientVendorError,
    VendorError,
    VendorNotFound,
)
from contact_archive.vendors.http import VendorHttp

VENDOR = Vendor.CONSTANT_CONTACT
ACTIVITIES_PAGE = 500  # `GET /activities` `limit` maximum
NO_SNAPSHOT = "no snapshot to revive the contact from"  # as the single restore says
NOT_FOUND = "Constant Contact has no such contact"
LISTS_NOT_ADDED = (
    "{missing} of its {wanted} lists were not restored: Constant Contact's bulk activity did not"
    " add them"
)

type Outcome = Literal["done", "already", "not_found", "failed"]  # `BulkItemResult.outcome`


class BulkInterrupted(TransientVendorError):
    """A bulk call cut short by a transient error, or by polls that ran out, after it may have
    changed contacts. Calling again is safe. `material` (an archive's): the restore material of
    every contact it read active, whose delete may have gone out; keep it, since a later call
    finds those contacts deleted, their lists gone (`already`, with `lists_unknown` material)."""

    def __init__(self, cause: TransientVendorError, material: Mapping[str, Mapping[str, Any]]):
        reason = str(cause).removeprefix(f"{VENDOR.value}: ")
        super().__init__(
            VENDOR,
            f"a bulk call was cut short: {reason}",
            status=cause.status,
            retry_after=cause.retry_after,
            may_have_applied=True,
        )
        self.material = dict(material)


@dataclass(frozen=True)
class Polling:
    """How a bulk call waits for its activities: `interval` seconds before each poll, at most
    `max_polls` polls; at most `wave` activities queued at once (the vendor refuses more than
    1,000 queued for the account, which other work shares)."""

    interval: float = 2.0
    max_polls: int = 30
    wave: int = 100


@dataclass(frozen=True)
class Ran:
    """One activity as it ended: its last polled `state` ("refused" when its creation was
    refused for good, "lost" when Constant Contact no longer knew it) and its errors."""

    planned: Planned
    state: str
    errors: tuple[str, ...] = ()

    def read(self) -> tuple[dict[str, str], bool]:
        """The errors naming each contact, and whether the others are done for sure: the
        activity completed and no error went unnamed."""
        named, unnamed = activities.attribute_errors(self.errors, self.planned.contact_ids)
        return named, self.state == "completed" and not unnamed


class BulkActivities:
    """The bulk calls of one client, through its `VendorHttp` (pacer, retries, token)."""

    def __init__(
        self,
        http: VendorHttp,
        url: Callable[..., str],
        next_page_url: Callable[[str], str],
        sleep: Callable[[float], None],
        polling: Polling,
    ) -> None:
        self._http = http
        self._url = url
        self._sleep = sleep
        self._polling = polling
        self._survey = Survey(http, url, next_page_url)

    def archive(self, vendor_ids: Sequence[str]) -> dict[str, BulkItemResult]:
        """Read each contact's lists, then delete the active ones in bulk."""
        ids = list(dict.fromkeys(vendor_ids))
        standings = self._survey.standings(ids, expect="active", lists=True)
        results: dict[str, BulkItemResult] = {}
        material: dict[str, Mapping[str, Any]] = {}
        for contact_id, standing in standings.items():
            if standing.state == "unknown":
                results[contact_id] = _not_found(contact_id)
            elif standing.state == "deleted" or standing.contact is None:
                results[contact_id] = _result(contact_id, "already", dict(activities.LISTS_UNKNOWN))
            else:
                material[contact_id] = activities.material_of(standing.contact)
        try:
            ran = self._run(
                "contact_delete",
                activities.delete_plan(list(material)),
                lambda planned: mapper.bulk_delete_body(planned.contact_ids),
            )
            results |= self._deleted(ran, material)
        except TransientVendorError as error:
            raise BulkInterrupted(error, material) from None
        return {contact_id: results[contact_id] for contact_id in ids}

    def restore(
        self, items: Mapping[str, Mapping[str, Any] | None], restore_list_id: str | None
    ) -> dict[str, BulkItemResult]:
        """Revive the deleted ones onto their saved lists (the restore list for those whose
        lists are not known, as the single restore does); consent is never written."""
        results: dict[str, BulkItemResult] = {}
        wanted = [contact_id for contact_id, saved in items.items() if saved is not None]
        for contact_id in items.keys() - set(wanted):
            results[contact_id] = _result(contact_id, "failed", error=_reason(NO_SNAPSHOT))
        lists_of: dict[str, list[str]] = {}
        notes: dict[str, dict[str, str]] = {}
        for contact_id, standing in self._survey.standings(
            wanted, expect="deleted", lists=False
        ).items():
            if standing.state == "unknown":
                results[contact_id] = _not_found(contact_id)
            elif standing.state == "active":
                results[contact_id] = _result(contact_id, "already")
            else:
                try:
                    lists, not_restored = mapper.revive_lists(
                        cast(Mapping[str, Any], items[contact_id]), restore_list_id
                    )
                except ValueError as error:
                    why = _reason(f"the snapshot cannot revive it: {error}")
                    results[contact_id] = _result(contact_id, "failed", error=why)
                    continue
                lists_of[contact_id], notes[contact_id] = lists, not_restored
        try:
            ran = self._run(
                "add_list_memberships", activities.revive_plan(lists_of), activities.add_lists_body
            )
            results |= self._revived(ran, lists_of, notes)
        except TransientVendorError as error:
            raise BulkInterrupted(error, {}) from None
        return {contact_id: results[contact_id] for contact_id in items}

    # -- what the activities came to ---------------------------------------------------------

    def _deleted(
        self, ran: list[Ran], material: Mapping[str, Mapping[str, Any]]
    ) -> dict[str, BulkItemResult]:
        """Per contact: done, or what its activity's errors say; where the activity did not end
        cleanly and names no error of the contact's, whether it is deleted now tells."""
        results: dict[str, BulkItemResult] = {}
        unsure: dict[str, str] = {}
        for activity in ran:
            named, clean = activity.read()
            for contact_id in activity.planned.contact_ids:
                kept = material[contact_id]
                if activity.state == "refused":
                    why = _reason(f"Constant Contact refused the bulk delete: {activity.errors[0]}")
                    results[contact_id] = _result(contact_id, "failed", kept, why)
                elif contact_id in named:
                    results[contact_id] = _errored(contact_id, named[contact_id], "delete", kept)
                elif clean:
                    results[contact_id] = _result(contact_id, "done", kept)
                else:
                    unsure[contact_id] = activity.state
        if unsure:
            for contact_id, standing in self._survey.standings(
                list(unsure), expect="deleted", lists=False
            ).items():
                kept = material[contact_id]
                if standing.state == "deleted":
                    results[contact_id] = _result(contact_id, "done", kept)
                elif standing.state == "unknown":
                    results[contact_id] = _not_found(contact_id)
                else:
                    why = f"Constant Contact's bulk delete ({unsure[contact_id]}) left it active"
                    results[contact_id] = _result(contact_id, "failed", kept, _reason(why))
        return results

    def _revived(
        self,
        ran: list[Ran],
        lists_of: Mapping[str, list[str]],
        notes: Mapping[str, dict[str, str]],
    ) -> dict[str, BulkItemResult]:
        """Per contact, over every activity that held it: done when each ended cleanly for it;
        not found when one says so; otherwise whether it is active now, and on which of its
        lists, tells (a contact revived by one activity and not the next is back, lists short)."""
        problems: dict[str, list[str]] = {contact_id: [] for contact_id in lists_of}
        not_found: set[str] = set()
        for activity in ran:
            named, clean = activity.read()
            for contact_id in activity.planned.contact_ids:
                if activity.state == "refused":
                    problems[contact_id].append(
                        f"Constant Contact refused the bulk revive: {activity.errors[0]}"
                    )
                elif contact_id in named:
                    if activities.says_not_found(named[contact_id]):
                        not_found.add(contact_id)
                    problems[contact_id].append("Constant Contact's bulk revive reported an error")
                elif not clean:
                    problems[contact_id].append(
                        f"Constant Contact's bulk revive ended {activity.state}"
                    )
        results = {contact_id: _not_found(contact_id) for contact_id in not_found}
        results |= {
            contact_id: _result(contact_id, "done", not_restored=notes[contact_id])
            for contact_id, found in problems.items()
            if not found and contact_id not in not_found
        }
        unsure = [contact_id for contact_id in problems if contact_id not in results]
        for contact_id, standing in self._survey.standings(
            unsure, expect="active", lists=True
        ).items():
            results[contact_id] = _checked_revive(
                contact_id, standing, lists_of[contact_id], notes[contact_id], problems
            )
        return results

    # -- running activities ------------------------------------------------------------------

    def _run(
        self, kind: str, planned: list[Planned], body: Callable[[Planned], Mapping[str, Any]]
    ) -> list[Ran]:
        """Create the activities (a wave at a time), then poll each wave until all finished."""
        ran: list[Ran] = []
        for wave in activities.chunked(planned, self._polling.wave):
            created: dict[str, Planned] = {}
            for one in wave:
                try:
                    response = self._http.request(
                        "POST", self._url("activities", kind), json=body(one)
                    )
                except TransientVendorError:
                    raise
                except VendorError as error:
                    ran.append(Ran(one, "refused", (_text(error),)))
                    continue
                created[cast(Activity, response.json())["activity_id"]] = one
            finished = self._await(list(created))
            ran.extend(
                Ran(one, *finished.get(activity_id, ("lost", ())))
                for activity_id, one in created.items()
            )
        return ran

    def _await(self, activity_ids: list[str]) -> dict[str, tuple[str, tuple[str, ...]]]:
        """Each activity's final state and errors; `TransientVendorError` when polls run out."""
        pending = dict.fromkeys(activity_ids)
        finished: dict[str, tuple[str, tuple[str, ...]]] = {}
        for _ in range(self._polling.max_polls):
            if not pending:
                break
            self._sleep(self._polling.interval)
            for activity_id, status in self._poll(list(pending)).items():
                state = "lost" if status is None else status.get("state", "")
                if state in activities.FINISHED or state == "lost":
                    errors = () if status is None else tuple(status.get("activity_errors", []))
                    finished[activity_id] = (state, errors)
                    del pending[activity_id]
        if pending:
            raise TransientVendorError(
                VENDOR,
                f"{len(pending)} bulk activities still running after"
                f" {self._polling.max_polls} polls",
                retry_after=self._polling.interval,
            )
        return finished

    def _poll(self, activity_ids: list[str]) -> dict[str, Activity | None]:
        """Their statuses: one `GET /activities` for several (the account's latest), then one
        `GET /activities/{id}` for each the listing did not show. None: no such activity."""
        polled: dict[str, Activity | None] = {}
        if len(activity_ids) > 1:
            params = {"limit": ACTIVITIES_PAGE}
            listing = self._http.request("GET", self._url("activities"), params=params)
            for status in cast(Activities, listing.json()).get("activities", []):
                if status.get("activity_id") in activity_ids:
                    polled[status["activity_id"]] = status
        for activity_id in activity_ids:
            if activity_id not in polled:
                try:
                    response = self._http.request("GET", self._url("activities", activity_id))
                except VendorNotFound:
                    polled[activity_id] = None
                    continue
                polled[activity_id] = cast(Activity, response.json())
        return polled


def _checked_revive(
    contact_id: str,
    standing: Standing,
    wanted: list[str],
    notes: Mapping[str, str],
    problems: Mapping[str, list[str]],
) -> BulkItemResult:
    """A contact whose revive did not end cleanly, as it stands now."""
    if standing.state == "unknown" or standing.contact is None:
        return _not_found(contact_id)
    if standing.state == "deleted":
        return _result(contact_id, "failed", error=_reason(problems[contact_id][0]))
    on_lists = set(standing.contact.get("list_memberships", []))
    missing = [list_id for list_id in wanted if list_id not in on_lists]
    if not missing:
        return _result(contact_id, "done", not_restored=notes)
    short = LISTS_NOT_ADDED.format(missing=len(missing), wanted=len(wanted))
    earlier = notes.get("list_memberships")
    note = short if earlier is None else f"{earlier}; {short}"
    return _result(contact_id, "done", not_restored={**notes, "list_memberships": note})


def _errored(
    contact_id: str, text: str, action: str, material: Mapping[str, Any] | None
) -> BulkItemResult:
    """An activity error naming the contact: its words are not quoted (they may hold personal
    data), only whether they say the contact was not found."""
    if activities.says_not_found(text):
        return _not_found(contact_id)
    why = _reason(f"Constant Contact's bulk {action} reported an error for this contact")
    return _result(contact_id, "failed", material, why)


def _not_found(contact_id: str) -> BulkItemResult:
    return _result(contact_id, "not_found", error=_reason(NOT_FOUND))


def _result(
    contact_id: str,
    outcome: Outcome,
    material: Mapping[str, Any] | None = None,
    error: str | None = None,
    not_restored: Mapping[str, str] | None = None,
) -> BulkItemResult:
    return BulkItemResult(contact_id, outcome, material, error, dict(not_restored or {}))


def _reason(text: str) -> str:
    """As a single call's error says it: the vendor first."""
    return str(PermanentVendorError(VENDOR, text))


def _text(error: VendorError) -> str:
    return str(error).removeprefix(f"{VENDOR.value}: ")
