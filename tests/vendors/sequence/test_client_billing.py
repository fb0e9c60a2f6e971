"""The Sequence client and a customer's PRIMARY billing contact. The spec's rule: "if any contacts
receive billing communications then at least one contact must be designated PRIMARY". Archiving
the last PRIMARY contact others need is refused, and told as such; a STANDARD contact re-created
while no contact is PRIMARY comes back as NONE, reported in `not_restored`."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from contact_archive.vendors.client import LinkRef, RestoreResult
from contact_archive.vendors.errors import PermanentVendorError
from contact_archive.vendors.sequence import mapper
from contact_archive.vendors.sequence.client import LAST_PRIMARY_REFUSED, SequenceClient
from devtools.sandboxes.base import json_response
from tests.vendors.sandboxed import calls_of
from tests.vendors.sequence.case import CONTACTS, CUSTOMER, SequenceCase


def contact(name: str, preference: str) -> dict[str, str]:
    return {"name": name, "email": f"{name.lower()}@example.com", "billingPreference": preference}


def archive_path(ref: LinkRef) -> str:
    return f"{CONTACTS}/{ref.vendor_id}/archive"


def archived_with_snapshot(case: SequenceCase, ref: LinkRef) -> dict[str, Any]:
    """Archive as the sync does, the snapshot first: the snapshot."""
    snapshot = case.client.take_snapshot(ref)
    case.client.archive(ref)
    return snapshot


# -- archive --------------------------------------------------------------------------------


def test_archiving_the_last_primary_others_need_is_permanent_and_says_why(
    case: SequenceCase,
) -> None:
    # Given Ada, the customer's only PRIMARY contact, and Bob, STANDARD
    ada = case.add(**contact("Ada", "PRIMARY"))
    case.add(**contact("Bob", "STANDARD"))
    before = case.stored(ada)

    # When Ada is archived
    with pytest.raises(PermanentVendorError) as raised:
        case.client.archive(ada)

    # Then it is a permanent refusal that says why and what to do, asked once and never retried
    # (the list read after it confirms the cause), and Ada is unchanged
    assert str(raised.value) == f"sequence: {LAST_PRIMARY_REFUSED}"
    assert raised.value.status == 400
    assert calls_of(case.sandbox.requests) == [("POST", archive_path(ada)), ("GET", CONTACTS)]
    assert case.waits == []
    assert case.stored(ada) == before
    # And it names no one: no name or email in the message
    assert "Ada" not in str(raised.value) and "@" not in str(raised.value)


def test_another_400_on_archive_keeps_sequences_own_words(case: SequenceCase) -> None:
    # Given Ada, PRIMARY but alone (the billing rule does not need her), and a Sequence that
    # refuses her archive with a 400 of its own
    ada = case.add(**contact("Ada", "PRIMARY"))
    case.wire.intercept = lambda request: (
        json_response(400, {"message": "contact is locked"})
        if request.url.path.endswith("/archive")
        else None
    )

    # When she is archived, Then the refusal is Sequence's, not a guess at the billing rule
    with pytest.raises(PermanentVendorError, match="contact is locked") as raised:
        case.client.archive(ada)
    assert LAST_PRIMARY_REFUSED not in str(raised.value)


@pytest.mark.parametrize(
    "others",
    [
        pytest.param([], id="alone"),
        pytest.param([contact("Bob", "NONE")], id="no-one-else-receives-billing"),
        pytest.param([contact("Bob", "STANDARD"), contact("Pat", "PRIMARY")], id="another-primary"),
    ],
)
def test_archiving_a_primary_the_rule_does_not_need_succeeds(
    case: SequenceCase, others: list[dict[str, str]]
) -> None:
    # Given Ada PRIMARY, and others that do not need her
    ada = case.add(**contact("Ada", "PRIMARY"))
    for other in others:
        case.add(**other)

    # When she is archived, Then she is, with the one write
    assert not case.client.archive(ada).already
    assert calls_of(case.sandbox.requests) == [("POST", archive_path(ada))]


# -- restore ------------------------------------------------------------------------------------


def test_a_primary_is_recreated_primary_while_another_is_primary(case: SequenceCase) -> None:
    # Given Ada, PRIMARY, archived; then Pat made PRIMARY in her place
    ada = case.add(**contact("Ada", "PRIMARY"))
    snapshot = archived_with_snapshot(case, ada)
    case.add(**contact("Pat", "PRIMARY"))

    # When Ada is restored
    result = case.client.restore(ada, snapshot)

    # Then she is PRIMARY again beside Pat (the spec forbids no second PRIMARY), with one create
    restored = case.stored(LinkRef(result.vendor_id, CUSTOMER))
    assert restored is not None and restored["billingPreference"] == "PRIMARY"
    assert result.not_restored == mapper.NOT_RESTORED
    assert case.sandbox.calls("POST", CONTACTS) == 1


def test_a_standard_is_recreated_standard_while_a_primary_is_active(case: SequenceCase) -> None:
    # Given Pat PRIMARY, and Bob STANDARD archived
    case.add(**contact("Pat", "PRIMARY"))
    bob = case.add(**contact("Bob", "STANDARD"))
    snapshot = archived_with_snapshot(case, bob)

    # When Bob is restored, Then he is STANDARD again, with one create
    result = case.client.restore(bob, snapshot)
    restored = case.stored(LinkRef(result.vendor_id, CUSTOMER))
    assert restored is not None and restored["billingPreference"] == "STANDARD"
    assert result.not_restored == mapper.NOT_RESTORED
    assert case.sandbox.calls("POST", CONTACTS) == 1


def test_a_standard_without_an_active_primary_is_recreated_as_none_and_reported(
    case: SequenceCase,
) -> None:
    # Given Bob STANDARD archived, then Ada, the PRIMARY contact, archived too
    ada = case.add(**contact("Ada", "PRIMARY"))
    bob = case.add(**contact("Bob", "STANDARD"))
    snapshot = archived_with_snapshot(case, bob)
    case.client.archive(ada)
    made = len(case.sandbox.requests)

    # When Bob is restored
    result = case.client.restore(bob, snapshot)

    # Then the STANDARD create is refused, the list confirms no PRIMARY contact is active, and
    # Bob comes back as NONE, his billing preference reported as not restored
    assert calls_of(case.sandbox.requests[made:]) == [
        ("POST", CONTACTS),
        ("GET", CONTACTS),
        ("POST", CONTACTS),
    ]
    assert case.wire.statuses("POST", CONTACTS) == [400, 201]
    restored = case.stored(LinkRef(result.vendor_id, CUSTOMER))
    assert restored is not None
    assert {key: restored[key] for key in ("name", "email", "billingPreference")} == contact(
        "Bob", "NONE"
    )
    assert result == RestoreResult(
        vendor_id=result.vendor_id,
        replaced_vendor_id=bob.vendor_id,
        not_restored={
            **mapper.NOT_RESTORED,
            "billingPreference": mapper.BILLING_PREFERENCE_NOT_RESTORED,
        },
    )
    assert case.sandbox.effects["created"] == 1


def test_a_standard_refused_for_another_reason_is_not_downgraded(case: SequenceCase) -> None:
    # Given Pat PRIMARY, Bob STANDARD archived, and a Sequence refusing creates with a 400 of
    # its own
    case.add(**contact("Pat", "PRIMARY"))
    bob = case.add(**contact("Bob", "STANDARD"))
    snapshot = archived_with_snapshot(case, bob)
    case.wire.intercept = lambda request: (
        json_response(400, {"message": "email is invalid"})
        if (request.method, request.url.path) == ("POST", CONTACTS)
        else None
    )

    # When Bob is restored, Then Sequence's refusal stands: nothing is created as NONE
    with pytest.raises(PermanentVendorError, match="email is invalid"):
        case.client.restore(bob, snapshot)
    assert case.wire.statuses("POST", CONTACTS) == [400]
    assert case.sandbox.effects["created"] == 0


def test_a_none_fallback_whose_answer_is_lost_is_made_once_and_found(case: SequenceCase) -> None:
    # Given Bob STANDARD and Ada PRIMARY, both archived, and a Sequence that carries out the NONE
    # create but loses its answer
    ada = case.add(**contact("Ada", "PRIMARY"))
    bob = case.add(**contact("Bob", "STANDARD"))
    snapshot = archived_with_snapshot(case, bob)
    case.client.archive(ada)
    lost: list[httpx.Request] = []

    def lose_the_none_create(request: httpx.Request) -> httpx.Response | None:
        body = json.loads(request.content or b"{}")
        if request.method == "POST" and body.get("billingPreference") == "NONE" and not lost:
            lost.append(request)
            case.sandbox.handle(request)
            raise httpx.ReadTimeout("answer lost")
        return None

    case.wire.intercept = lose_the_none_create

    # When Bob is restored
    result = case.client.restore(bob, snapshot)

    # Then the contact the lost create made is the one linked: none made twice
    assert len(lost) == 1
    assert case.sandbox.effects["created"] == 1
    assert case.sandbox.archived_states() == {
        ada.vendor_id: True,
        bob.vendor_id: True,
        result.vendor_id: False,
    }
    assert "billingPreference" in result.not_restored


def test_find_recreated_finds_a_standard_recreated_as_none(
    case: SequenceCase, client: SequenceClient
) -> None:
    # Given Bob STANDARD restored as NONE (no PRIMARY contact active)
    ada = case.add(**contact("Ada", "PRIMARY"))
    bob = case.add(**contact("Bob", "STANDARD"))
    snapshot = archived_with_snapshot(case, bob)
    case.client.archive(ada)
    result = client.restore(bob, snapshot)

    # When a later retry looks for what the restore made, Then it finds that contact
    assert client.find_recreated(bob, snapshot) == result.vendor_id
