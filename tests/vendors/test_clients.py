"""What every vendor client does alike, against its vendor's sandbox, once per vendor: its restore
strategy, not-found answers, archive, restore material, wrong credentials, injected faults, and
the vendor calls a round trip costs. What differs is in each vendor's `case.py`; each vendor's
quirks are in its own `test_client.py`."""

from __future__ import annotations

import traceback
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from contact_archive.vendors.client import (
    ArchiveResult,
    LinkRef,
    RecreatingClient,
    RestoreResult,
    RestoreStrategy,
    VendorClient,
    all_contacts,
)
from contact_archive.vendors.errors import (
    PermanentVendorError,
    TransientVendorError,
    VendorError,
    VendorNotFound,
)
from contact_archive.vendors.retry import RetryPolicy
from devtools.sandboxes.base import Faults
from tests.vendors.cases import CASES, RECREATING, case_id
from tests.vendors.sandboxed import (
    Call,
    RecreatingCase,
    VendorCase,
    calls_of,
    stored_fields,
    typed,
)

# The vendors whose archive answer says whether it archived; the snapshots a restore refuses.
CHECKING_ARCHIVES = [
    case for case in CASES if case.archive_not_done is not VendorCase.archive_not_done
]
UNUSABLE_SNAPSHOTS = [
    pytest.param(case, snapshot, says, id=f"{case_id(case)}-{label}")
    for case in CASES
    for snapshot, says, label in case.unusable_snapshots
]
RETRY_AFTER = 2
SUCCESS = {200, 201, 204}  # a request the vendor's handler answered


def flaky() -> Faults:
    """Outages, throttles with Retry-After and timeouts before the request is handled, seeded so
    that each request of a round trip fails at first."""
    return Faults(
        server_error_rate=0.3,
        throttle_rate=0.2,
        timeout_rate=0.2,
        retry_after_seconds=RETRY_AFTER,
        seed=1,
    )


def archived_as_the_sync_does(client: VendorClient, ref: LinkRef) -> dict[str, Any]:
    """Archive the contact after taking its snapshot, as the sync does: the snapshot."""
    snapshot = client.take_snapshot(ref)
    client.archive(ref)
    return snapshot


def contacts_and_states(case: VendorCase, client: VendorClient) -> set[tuple[str, bool]]:
    """Every contact the client lists, and whether it is archived."""
    return {(found.vendor_id, found.archived) for found in all_contacts(client, case.scope)}


def test_it_is_a_vendor_client_that_restores_by_its_vendors_strategy(case: VendorCase) -> None:
    implementation: VendorClient = case.client
    assert implementation.vendor is case.vendor
    assert implementation.restore_strategy is case.restore_strategy


# -- not found ------------------------------------------------------------------------------


def test_fetching_an_unknown_contact_is_not_found_and_not_retried(case: VendorCase) -> None:
    # When a contact the vendor never had is fetched
    with pytest.raises(VendorNotFound) as raised:
        case.client.fetch(case.unknown)

    # Then it is not found, asked once
    assert raised.value.status == case.unknown_fetch_status
    assert calls_of(case.sandbox.requests) == case.unknown_fetch_calls()


def test_archiving_an_unknown_contact_is_not_found(case: VendorCase) -> None:
    # When a contact the vendor never had is archived
    with pytest.raises(VendorNotFound):
        case.client.archive(case.unknown)

    # Then it is not found, asked once (and confirmed by a fetch where a 404 is ambiguous)
    assert calls_of(case.sandbox.requests) == case.unknown_archive_calls()


# -- archive --------------------------------------------------------------------------------


def test_archive_archives_the_contact_with_one_write(case: VendorCase, ada: LinkRef) -> None:
    # When Ada is archived
    result = case.client.archive(ada)

    # Then the vendor holds her archived, by this call, after a single write
    assert result == ArchiveResult(already=False)
    assert stored_fields(case.stored(ada), case.archived_fields) == typed(case.archived_fields)
    assert calls_of(case.sandbox.requests) == case.archive_calls(ada)


@pytest.mark.parametrize("case", CHECKING_ARCHIVES, ids=case_id, indirect=True)
def test_an_archive_answered_as_not_done_is_transient(case: VendorCase, ada: LinkRef) -> None:
    # Given a vendor that answers the archive as if it had not archived the contact
    not_done = case.archive_not_done(ada)
    assert not_done is not None
    case.wire.intercept, says = not_done

    # When Ada is archived, Then that is not a success: a later retry tries again
    with pytest.raises(TransientVendorError, match=says):
        case.client.archive(ada)


# -- restore material -------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "snapshot", "says"), UNUSABLE_SNAPSHOTS, indirect=["case"])
def test_a_restore_without_a_usable_snapshot_is_permanent_and_calls_nothing(
    case: VendorCase, ada: LinkRef, snapshot: dict[str, Any] | None, says: str
) -> None:
    # Given no snapshot of Ada, or one the vendor could not restore her from
    # When she is restored, Then it is refused before any call
    with pytest.raises(PermanentVendorError, match=says):
        case.client.restore(ada, snapshot)
    assert case.sandbox.requests == []


# -- restore by re-creating -------------------------------------------------------------------


@pytest.mark.parametrize("case", RECREATING, ids=case_id, indirect=True)
def test_restore_recreates_the_contact_with_its_saved_fields(
    case: RecreatingCase, ada: LinkRef
) -> None:
    # Given Ada's snapshot, taken before she was archived
    snapshot = archived_as_the_sync_does(case.client, ada)

    # When she is restored
    result = case.client.restore(ada, snapshot)

    # Then a new, active contact holds her saved fields; the old one stays archived and is
    # reported as replaced
    assert result.vendor_id != ada.vendor_id
    assert result.replaced_vendor_id == ada.vendor_id
    assert not result.already
    recreated = case.stored(LinkRef(result.vendor_id, ada.scope))
    expected = {**case.saved_fields, **case.active_fields}
    assert stored_fields(recreated, expected) == typed(expected)
    assert stored_fields(case.stored(ada), case.archived_fields) == typed(case.archived_fields)
    assert case.sandbox.archived_states() == {ada.vendor_id: True, result.vendor_id: False}


@pytest.mark.parametrize("case", RECREATING, ids=case_id, indirect=True)
def test_a_re_create_whose_answer_is_lost_is_made_once_and_found(
    case: RecreatingCase, ada: LinkRef
) -> None:
    # Given Ada archived, and a vendor that carries out every write but loses its answer
    snapshot = archived_as_the_sync_does(case.client, ada)
    case.sandbox.faults = Faults(lost_answer_rate=1.0)

    # When she is restored
    restored = case.client.restore(ada, snapshot)

    # Then the create was sent once, and the contact it made is the one linked
    assert case.sandbox.calls(*case.create_call) == 1
    case.sandbox.faults = Faults()
    assert contacts_and_states(case, case.client) == {
        (ada.vendor_id, True),
        (restored.vendor_id, False),
    }


@pytest.mark.parametrize("case", RECREATING, ids=case_id, indirect=True)
def test_find_recreated_names_the_contact_a_restore_made_and_nothing_before(
    case: RecreatingCase, ada: LinkRef
) -> None:
    # Given Ada archived, and other active contacts like her but for their email, more than a
    # page of them where the vendor pages
    client = case.paging_client()
    assert isinstance(client, RecreatingClient)
    snapshot = archived_as_the_sync_does(client, ada)
    for number in range(case.others_to_page_through):
        case.add_like(ada, f"other-{number}@example.com")

    # Then before a restore there is nothing to find (the archived Ada is not it)...
    assert client.find_recreated(ada, snapshot) is None
    # ...and after one, it is the contact the restore made
    restored = client.restore(ada, snapshot)
    assert client.find_recreated(ada, snapshot) == restored.vendor_id


# -- credentials --------------------------------------------------------------------------------


def test_wrong_credentials_are_permanent_not_retried_and_never_shown(
    case: VendorCase, ada: LinkRef
) -> None:
    # Given a tenant whose credentials the vendor does not know
    before = case.stored(ada)
    client = case.client_with(wrong_credentials=True)
    refusals: list[VendorError] = []

    # When it fetches, and when it archives
    for call in (client.fetch, client.archive):
        with pytest.raises(PermanentVendorError, match=case.refused_match) as raised:
            call(ada)
        refusals.append(raised.value)

    # Then each is a permanent refusal, asked once and never retried, and nothing changed
    assert [refusal.status for refusal in refusals] == [case.refused_status] * 2
    assert calls_of(case.sandbox.requests) == case.refused_calls(ada)
    assert case.waits == [] and case.rotations == []
    assert case.stored(ada) == before
    # And no credential, wrong or right, shows in the errors or the client
    for refusal in refusals:
        shown = "".join(traceback.format_exception(refusal)) + repr(refusal) + repr(client)
        for secret in (*case.wrong_secrets, *case.secrets):
            assert secret not in shown


# -- a round trip -----------------------------------------------------------------------------


def round_trip(case: VendorCase, ref: LinkRef) -> tuple[str, dict[str, list[Call]]]:
    """Snapshot, archive, restore, fetch and list, as the client's first calls: the id the
    contact has after its restore, and the requests each step made."""
    requests = case.sandbox.requests
    costs: dict[str, list[Call]] = {}

    def step[T](name: str, call: Callable[[], T]) -> T:
        made = len(requests)
        result = call()
        costs[name] = calls_of(requests[made:])
        return result

    snapshot = step("snapshot", lambda: case.client.take_snapshot(ref))
    step("archive", lambda: case.client.archive(ref))
    restored = step("restore", lambda: case.client.restore(ref, snapshot))
    step("fetch", lambda: case.client.fetch(ref))
    step("list", lambda: case.client.list_page(scope=case.scope))
    return restored.vendor_id, costs


def test_a_round_trip_costs_the_vendor_calls_its_strategy_needs(
    case: VendorCase, ada: LinkRef
) -> None:
    # When Ada is archived as the sync does it (snapshot first), restored, fetched and listed
    _, costs = round_trip(case, ada)

    # Then each step made the vendor calls it needs, and nothing more
    assert costs == case.round_trip_costs(ada)


def test_every_api_request_carries_the_tenants_credentials(case: VendorCase, ada: LinkRef) -> None:
    # When Ada makes a round trip
    round_trip(case, ada)

    # Then every request to the API carried the tenant's credentials (and the API version)
    expected = case.api_headers()
    api_requests = [
        request for request in case.sandbox.requests if request.url.path not in case.token_paths
    ]
    assert api_requests
    for request in api_requests:
        assert {name: request.headers.get(name) for name in expected} == expected


# -- injected faults ----------------------------------------------------------------------------


def test_archive_and_restore_get_through_injected_faults_exactly_once(
    case: VendorCase, ada: LinkRef
) -> None:
    # Given a flaky vendor, with a seed that makes each of its requests fail at first
    case.sandbox.faults = flaky()
    client = case.client_with(retry=RetryPolicy(max_attempts=8, total_budget=60))

    # When Ada is snapshotted, archived and restored
    snapshot = client.take_snapshot(ada)
    archived = client.archive(ada)
    stored_archived = case.stored(ada)
    restored = client.restore(ada, snapshot)

    # Then every request got through after retries, a throttle's Retry-After waited for...
    faults = {seen.status for seen in case.wire.seen} - SUCCESS
    assert faults == {429, 503, None}, "the seed injects every kind of fault"
    costs = case.round_trip_costs(ada)
    trip: set[Call] = {*costs["snapshot"], *costs["archive"], *costs["restore"]}
    for method, path in trip:
        assert len(case.wire.statuses(method, path)) > 1, (method, path)
    assert float(RETRY_AFTER) in case.waits
    # ...and each write reached the vendor exactly once: Ada archived, then back
    assert archived == ArchiveResult(already=False)
    assert stored_fields(stored_archived, case.archived_fields) == typed(case.archived_fields)
    back = "created" if case.restore_strategy is RestoreStrategy.RECREATE else "restored"
    assert case.sandbox.effects == Counter({"archived": 1, back: 1})
    writes = {
        (method, path) for method, path in trip if method != "GET" and path not in case.token_paths
    }
    for method, path in writes:
        handled = [status for status in case.wire.statuses(method, path) if status in SUCCESS]
        assert len(handled) == 1, (method, path)
    case.sandbox.faults = Faults()
    back_as = LinkRef(restored.vendor_id, ada.scope)
    assert stored_fields(case.stored(back_as), case.active_fields) == typed(case.active_fields)
    if case.restore_strategy is RestoreStrategy.RECREATE:
        assert restored.vendor_id != ada.vendor_id
        assert contacts_and_states(case, client) == {
            (ada.vendor_id, True),
            (restored.vendor_id, False),
        }
    else:
        # (what it could not write back, `not_restored`, is each vendor's own test's business)
        assert restored == RestoreResult(
            vendor_id=ada.vendor_id, not_restored=restored.not_restored
        )
        assert contacts_and_states(case, client) == {(ada.vendor_id, False)}
