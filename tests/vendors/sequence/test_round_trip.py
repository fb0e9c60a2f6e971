"""A whole Sequence contact, field by field, through snapshot, archive and restore: what comes back
as it was, and what does not, each named in the restore's `not_restored`. And the restore material
of a contact someone archived in Sequence's own dashboard."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from contact_archive.vendors.client import LinkRef
from contact_archive.vendors.errors import VendorNotFound
from contact_archive.vendors.sequence import mapper
from contact_archive.vendors.sequence.client import SequenceClient
from tests.vendors.recorded import load_spec
from tests.vendors.sandboxed import ABSENT, calls_of
from tests.vendors.sequence.case import ADA, BASE_URL, CONTACTS, CUSTOMER, SequenceCase

# Changed by every write, a restore's as any other: the time of the last one.
SERVER_SET_ON_EVERY_WRITE = frozenset({"updatedAt"})
# Never written back (`mapper.NOT_RESTORED`): the re-created contact's own id and creation time.
NEVER_RESTORED = frozenset({"id", "createdAt"})


def writable_fields() -> set[str]:
    """Every field of the spec's create body (`ContactRequestModel`)."""
    spec = load_spec("sequence-2024-07-30.json")
    return set(spec["components"]["schemas"]["ContactRequestModel"]["properties"])


def created_through_the_api(case: SequenceCase, body: dict[str, Any]) -> LinkRef:
    """Create the contact as any Sequence user would, through the API (the strict sandbox's
    checks included): its link."""
    with httpx.Client(
        base_url=BASE_URL, transport=case.sandbox.transport(), headers=case.api_headers()
    ) as api:
        response = api.post(f"/customers/{CUSTOMER}/contacts", json=body)
    assert response.status_code == 201, response.text
    return LinkRef(response.json()["id"], CUSTOMER)


def differing(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    """The fields whose value (or presence) differs."""
    return {
        key
        for key in before.keys() | after.keys()
        if before.get(key, ABSENT) != after.get(key, ABSENT)
    }


@pytest.mark.parametrize(
    ("body", "others", "lost"),
    [
        pytest.param(ADA, [], set(), id="primary"),
        pytest.param(
            {"name": "Bob Babbage", "email": "bob@example.com", "billingPreference": "STANDARD"},
            [{"name": "Pat", "email": "pat@example.com", "billingPreference": "PRIMARY"}],
            set(),
            id="standard-beside-a-primary",
        ),
        pytest.param(
            {"name": "Nia Noone", "email": "nia@example.com", "billingPreference": "NONE"},
            [],
            set(),
            id="none",
        ),
        pytest.param(
            {"name": "Bob Babbage", "email": "bob@example.com", "billingPreference": "STANDARD"},
            [{"name": "Pat", "email": "pat@example.com", "billingPreference": "PRIMARY"}],
            {"billingPreference"},
            id="standard-once-no-primary-is-left",
        ),
    ],
)
def test_a_whole_contact_comes_back_field_by_field_but_what_not_restored_names(
    case: SequenceCase,
    body: dict[str, str],
    others: list[dict[str, str]],
    lost: set[str],
) -> None:
    # Given a contact holding every writable field of the spec's create body, made through the
    # API a day ago, beside the customer's other contacts
    assert set(body) == writable_fields()
    kept_others = [created_through_the_api(case, other) for other in others]
    ref = created_through_the_api(case, body)
    before = case.raw(ref)
    case.clock.advance(timedelta(days=1))

    # When the sync snapshots and archives it, (in one case the customer's PRIMARY contact is
    # archived since), and a day later it is restored from the snapshot
    snapshot = case.client.take_snapshot(ref)
    case.client.archive(ref)
    if lost:
        for other in kept_others:
            case.client.archive(other)
    case.clock.advance(timedelta(days=1))
    result = case.client.restore(ref, snapshot)

    # Then the contact Sequence now holds differs from the one before only in the fields the
    # restore names, and in the time of its last write
    after = case.raw(LinkRef(result.vendor_id, CUSTOMER))
    assert differing(before, after) - SERVER_SET_ON_EVERY_WRITE == set(result.not_restored)
    assert set(result.not_restored) == NEVER_RESTORED | lost
    assert set(mapper.NOT_RESTORED) == NEVER_RESTORED
    assert all(result.not_restored[key] == mapper.NOT_RESTORED[key] for key in NEVER_RESTORED)
    assert after["createdAt"] == after["updatedAt"] == "2024-08-03T12:00:00Z"
    # And the archived contact is still there, archived, under its old id
    assert case.raw(ref)["archivedAt"] == "2024-08-02T12:00:00Z"


# -- a contact archived in Sequence's own dashboard -----------------------------------------------


def test_take_snapshot_of_a_contact_archived_in_the_dashboard(
    case: SequenceCase, client: SequenceClient, ada: LinkRef
) -> None:
    # Given Ada archived by someone in Sequence's dashboard (no webhook tells of it)
    case.sandbox.archive_in_ui(CUSTOMER, ada.vendor_id)

    # When her restore material is taken
    snapshot = client.take_snapshot(ada)

    # Then it is all there, read from the customer's list with archived contacts included
    # (Sequence has no GET of one contact)
    assert snapshot == {"customer": CUSTOMER, "id": ada.vendor_id, **ADA}
    (request,) = case.sandbox.requests
    assert (request.method, request.url.path) == ("GET", CONTACTS)
    assert request.url.params["includeArchived"] == "true"
    # And a restore from it brings her back
    restored = client.restore(ada, snapshot)
    assert case.raw(LinkRef(restored.vendor_id, CUSTOMER))["billingPreference"] == "PRIMARY"


@pytest.mark.parametrize(
    "ref",
    [
        pytest.param(LinkRef("no-such-contact", CUSTOMER), id="unknown-contact"),
        pytest.param(None, id="under-another-customer"),
    ],
)
def test_take_snapshot_of_a_contact_sequence_does_not_list_is_not_found(
    case: SequenceCase, client: SequenceClient, ada: LinkRef, ref: LinkRef | None
) -> None:
    # Given a contact the customer's list does not hold (Ada looked for under another customer)
    case.sandbox.add_customer("customer-2")
    wanted = ref or LinkRef(ada.vendor_id, "customer-2")

    # When its restore material is taken, Then it is not found, after the one list read
    with pytest.raises(VendorNotFound):
        client.take_snapshot(wanted)
    assert calls_of(case.sandbox.requests) == [("GET", f"/api/customers/{wanted.scope}/contacts")]
