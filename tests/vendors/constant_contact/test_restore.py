"""The Constant Contact restore, field by field, against the strict sandbox behind the vendor's
contract: every writable field comes back or is named in `not_restored` with why; consent is never
granted by a revive; a contact with no known list comes back on the tenant's restore list or is
refused for good; more than 50 lists, a vendor refusal and a contact deleted in Constant Contact's
own UI each have their one clear outcome."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.client import LinkRef
from contact_archive.vendors.constant_contact import mapper
from contact_archive.vendors.constant_contact.client import ConstantContactClient
from contact_archive.vendors.errors import PermanentVendorError, VendorNotFound
from devtools.sandboxes.constant_contact import ConstantContactSandbox
from tests.contracts.specs import contract_transport
from tests.contracts.validating import ContractTransport
from tests.fakes import FakeTime
from tests.support import covered
from tests.vendors.constant_contact.case import (
    BASE_URL,
    CONTACT,
    LISTS,
    ConstantContactCase,
    credentials,
)
from tests.vendors.constant_contact.whole_contact import EARLIER, changed, every_field, raw

RESTORE_LIST = "5e88f172-21d1-11ea-b5ae-fa163e56c9b9"
MANY_LISTS = [f"07936f78-662a-11eb-af0a-{index:012d}" for index in range(53)]
DAY = 86_400.0


@pytest.fixture
def case() -> Iterator[ConstantContactCase]:
    with ConstantContactCase() as case:
        yield case


@pytest.fixture
def contract(case: ConstantContactCase) -> ContractTransport:
    """The case's wire to the sandbox, held against Constant Contact's published contract."""
    return contract_transport(Vendor.CONSTANT_CONTACT, httpx.MockTransport(case.wire))


@pytest.fixture
def checked(case: ConstantContactCase, contract: ContractTransport) -> Iterator[httpx.Client]:
    """An httpx client through `contract`, for the vendor client and for reading raw contacts
    (those reads carry the tenant's token; a client's own requests carry theirs)."""
    with httpx.Client(base_url=BASE_URL, transport=contract, headers=case.api_headers()) as http:
        yield http


def client_on(
    case: ConstantContactCase, http: httpx.Client, restore_list_id: str | None = None
) -> ConstantContactClient:
    client = case.client_with(tenant=credentials(restore_list_id=restore_list_id), http=http)
    assert isinstance(client, ConstantContactClient)
    return client


def round_trip(
    client: ConstantContactClient, clock: FakeTime, ref: LinkRef
) -> tuple[dict[str, Any], Any]:
    """Snapshot, archive, a day later restore: the snapshot (as the ledger stores it, JSON) and
    the restore's result."""
    snapshot = json.loads(json.dumps(client.take_snapshot(ref)))
    client.archive(ref)
    clock.now += DAY
    return snapshot, client.restore(ref, snapshot)


# -- the whole contact ----------------------------------------------------------------------------


def test_every_writable_field_comes_back_or_is_named_with_why(
    case: ConstantContactCase,
    sandbox: ConstantContactSandbox,
    checked: httpx.Client,
    contract: ContractTransport,
    clock: FakeTime,
) -> None:
    # Given a contact holding every field a PUT can write, on two lists
    ref = LinkRef(sandbox.add_contact(list_ids=LISTS, **every_field())["contact_id"])
    client = client_on(case, checked)
    before = raw(checked, ref)
    # When it is snapshotted, archived and, a day later, restored
    _, result = round_trip(client, clock, ref)
    after = raw(checked, ref)
    # Then every field came back but two, each named, with why: the SMS channel (its consent
    # is the person's to give, so a revive does not send it) and who last updated it
    differing = changed(before, after)
    assert {path.split(".")[0].split("[")[0] for path in differing} == {
        "update_source",
        "sms_channel",
    }
    assert all(covered(path, set(result.not_restored)) for path in differing)
    assert "deleted_at" not in after and after["list_memberships"] == LISTS
    # And the restore named exactly those, and the consent history it could not write (which
    # Constant Contact kept through the delete: it came back as it was)
    assert result.not_restored == {
        "update_source": mapper.UPDATED_BY_ACCOUNT,
        "sms_channel": mapper.SMS_NOT_SENT,
        "email_address.opt_in_source": mapper.NO_CONSENT_HISTORY,
        "email_address.opt_in_date": mapper.NO_CONSENT_HISTORY,
        "email_address.confirm_status": mapper.NO_CONSENT_HISTORY,
    }
    assert set(result.not_restored) <= set(mapper.NOT_RESTORED)
    # And every request and answer of the round trip kept to Constant Contact's contract
    assert contract.violations == []


def test_an_unsubscribed_contact_comes_back_unsubscribed_and_without_sms_consent(
    case: ConstantContactCase,
    sandbox: ConstantContactSandbox,
    checked: httpx.Client,
    contract: ContractTransport,
    clock: FakeTime,
) -> None:
    # Given a contact who unsubscribed by herself, and had SMS consent
    unsubscribed = every_field(
        permission_to_send="unsubscribed",
        opt_out_source="Contact",
        opt_out_date=EARLIER,
        opt_out_reason="Too many emails",
    )
    ref = LinkRef(sandbox.add_contact(list_ids=LISTS, **unsubscribed)["contact_id"])
    client = client_on(case, checked)
    before = raw(checked, ref)
    # When she is archived and restored
    _, result = round_trip(client, clock, ref)
    after = raw(checked, ref)
    # Then her email consent is exactly as it was: unsubscribed, no new opt-in
    assert after["email_address"] | {"updated_at": None} == before["email_address"] | {
        "updated_at": None
    }
    # And no SMS consent was sent for her: the SMS channel is not restored, and said so
    assert "sms_channel" not in after
    put = next(request for request in case.sandbox.requests if request.method == "PUT")
    assert json.loads(put.content)["email_address"] == {
        "address": "rae@example.com",
        "permission_to_send": "unsubscribed",
        "opt_out_reason": "Too many emails",
    }
    assert "sms_channel" not in json.loads(put.content)
    assert set(result.not_restored) == {
        "update_source",
        "sms_channel",
        "email_address.opt_in_source",
        "email_address.opt_in_date",
        "email_address.opt_out_source",
        "email_address.opt_out_date",
        "email_address.confirm_status",
    }
    assert contract.violations == []


def test_a_permission_withdrawn_after_the_snapshot_is_not_given_back(
    case: ConstantContactCase, sandbox: ConstantContactSandbox, clock: FakeTime
) -> None:
    # Given a subscribed contact's snapshot, then her unsubscribing before the archive
    ref = LinkRef(sandbox.add_contact(list_ids=LISTS, **every_field())["contact_id"])
    client = client_on(case, case.http)
    snapshot = client.take_snapshot(ref)
    stored = sandbox.contact(ref.vendor_id)
    assert stored is not None
    sandbox._contacts[ref.vendor_id]["email_address"] |= {  # noqa: SLF001 - her own opt-out
        "permission_to_send": "unsubscribed",
        "opt_out_source": "Contact",
        "opt_out_date": EARLIER,
    }
    client.archive(ref)
    # When she is restored from the older snapshot
    result = client.restore(ref, snapshot)
    # Then she stays unsubscribed: the snapshot's permission was not written, and said so
    after = sandbox.contact(ref.vendor_id)
    assert after is not None and after["email_address"]["permission_to_send"] == "unsubscribed"
    assert after["email_address"]["opt_in_date"] == EARLIER
    assert result.not_restored["email_address.permission_to_send"] == mapper.CONSENT_KEPT


# -- lists ----------------------------------------------------------------------------------------


def test_a_contact_on_no_list_is_revived_on_the_restore_list(
    case: ConstantContactCase, sandbox: ConstantContactSandbox, clock: FakeTime
) -> None:
    # Given a contact on no list, and a tenant with a restore list
    ref = LinkRef(sandbox.add_contact(email="rae@example.com")["contact_id"])
    client = client_on(case, case.http, RESTORE_LIST)
    # When it is archived and restored
    _, result = round_trip(client, clock, ref)
    # Then it is active again, on the restore list, and the restore says why
    stored = sandbox.contact(ref.vendor_id)
    assert stored is not None and "deleted_at" not in stored
    assert stored["list_memberships"] == [RESTORE_LIST]
    assert result.not_restored["list_memberships"] == (
        "it was on no list when it was saved; it was revived on the tenant's restore list"
    )


def test_without_a_restore_list_a_contact_on_no_list_is_refused_for_good(
    case: ConstantContactCase, sandbox: ConstantContactSandbox, clock: FakeTime
) -> None:
    # Given a contact on no list, archived, and a tenant without a restore list
    ref = LinkRef(sandbox.add_contact(email="rae@example.com")["contact_id"])
    client = client_on(case, case.http)
    snapshot = client.take_snapshot(ref)
    client.archive(ref)
    # When it is restored, then it is a permanent error saying why and how to fix it, after
    # the one read that finds it deleted: retrying cannot help, and the vendor would refuse a
    # revive onto no list
    with pytest.raises(PermanentVendorError) as raised:
        client.restore(ref, snapshot)
    message = str(raised.value)
    assert "on no list" in message and "restore_list_id" in message
    assert sandbox.calls("GET", CONTACT) == 2 and sandbox.calls("PUT", CONTACT) == 0


def test_more_than_50_lists_revive_on_50_and_name_the_rest(
    case: ConstantContactCase, sandbox: ConstantContactSandbox, clock: FakeTime
) -> None:
    # Given a snapshot holding 53 lists (older material: Constant Contact allows 50 a contact)
    ref = LinkRef(sandbox.add_contact(email="rae@example.com", list_ids=LISTS)["contact_id"])
    client = client_on(case, case.http)
    snapshot = {**client.take_snapshot(ref), "list_memberships": MANY_LISTS}
    client.archive(ref)
    # When it is restored
    result = client.restore(ref, snapshot)
    # Then one PUT revived it on the first 50, and the 3 others are named as not restored: no
    # add-to-lists activity either, since a contact can be on 50 lists at most
    assert sandbox.calls("PUT", CONTACT) == 1
    assert sandbox.calls("POST", r"/v3/activities/.+") == 0
    stored = sandbox.contact(ref.vendor_id)
    assert stored is not None and stored["list_memberships"] == MANY_LISTS[:50]
    assert result.not_restored["list_memberships"] == (
        "3 of its 53 lists were not restored: Constant Contact puts a contact on 50 lists at most"
    )


def test_a_revive_past_another_limit_is_permanent_and_sent_once(
    case: ConstantContactCase, sandbox: ConstantContactSandbox
) -> None:
    # Given a deleted contact, and a snapshot whose first name is past the spec's 50 characters
    ref = LinkRef(sandbox.add_contact(deleted_at="2026-03-16")["contact_id"])
    snapshot = {"email_address": {"address": "rae@example.com"}, "list_memberships": LISTS}
    # When it is restored, then the vendor's 400 is permanent, the PUT never sent again
    with pytest.raises(PermanentVendorError, match="first_name is longer than 50") as raised:
        case.client.restore(ref, {**snapshot, "first_name": "R" * 51})
    assert raised.value.status == 400 and "R" * 51 not in str(raised.value)
    assert sandbox.calls("PUT", CONTACT) == 1


def test_a_revive_answered_with_a_contact_still_deleted_is_permanent(
    case: ConstantContactCase, sandbox: ConstantContactSandbox
) -> None:
    # Given a deleted contact, and a vendor answering its PUT with the contact still deleted
    ref = LinkRef(sandbox.add_contact(deleted_at="2026-03-16")["contact_id"])
    still_deleted = {"contact_id": ref.vendor_id, "deleted_at": "2026-03-16"}
    case.wire.intercept = lambda request: (
        httpx.Response(200, json=still_deleted) if request.method == "PUT" else None
    )
    snapshot = {"email_address": {"address": "rae@example.com"}, "list_memberships": LISTS}
    # When it is restored, then it is permanent (the same PUT cannot do better), sent once
    with pytest.raises(PermanentVendorError, match="still deleted"):
        case.client.restore(ref, snapshot)
    assert len(case.wire.statuses("PUT", f"/v3/contacts/{ref.vendor_id}")) == 1


# -- deleted in Constant Contact's own UI -----------------------------------------------------------


def test_a_contact_deleted_at_the_vendor_can_be_snapshotted_with_its_lists_unknown(
    case: ConstantContactCase,
    sandbox: ConstantContactSandbox,
    checked: httpx.Client,
    contract: ContractTransport,
) -> None:
    # Given a contact someone deleted in Constant Contact's UI: still there, on no list
    ref = LinkRef(sandbox.add_contact(list_ids=LISTS, **every_field())["contact_id"])
    sandbox._mark_deleted(sandbox._contacts[ref.vendor_id])  # noqa: SLF001 - the UI's delete
    # When its snapshot is taken, then it holds the contact, its lists marked unknown
    snapshot = client_on(case, checked).take_snapshot(ref)
    assert snapshot["first_name"] == "Rae" and snapshot["job_title"] == "Poet"
    assert snapshot["lists_unknown"] is True and "list_memberships" not in snapshot
    # And the restore says so: without a restore list it is refused for good, nothing PUT
    with pytest.raises(PermanentVendorError, match=r"not known.*restore_list_id"):
        client_on(case, checked).restore(ref, snapshot)
    assert sandbox.calls("PUT", CONTACT) == 0
    # And with one, it is revived on it, its lists named as not restored
    result = client_on(case, checked, RESTORE_LIST).restore(ref, snapshot)
    stored = sandbox.contact(ref.vendor_id)
    assert stored is not None and stored["list_memberships"] == [RESTORE_LIST]
    assert result.not_restored["list_memberships"].startswith("its lists are not known")
    assert contract.violations == []


def test_a_contact_revived_in_the_vendors_ui_is_already_restored_whatever_its_snapshot(
    case: ConstantContactCase, sandbox: ConstantContactSandbox
) -> None:
    # Given material taken after a delete in Constant Contact's UI (lists unknown), then the
    # contact revived there, and a tenant without a restore list
    ref = LinkRef(sandbox.add_contact(deleted_at="2026-03-01")["contact_id"])
    snapshot = case.client.take_snapshot(ref)
    sandbox._contacts[ref.vendor_id].pop("deleted_at")  # noqa: SLF001 - revived in the UI
    # When it is restored, then it already is: no error, nothing PUT
    result = case.client.restore(ref, snapshot)
    assert (result.already, result.not_restored) == (True, {})
    assert sandbox.calls("PUT", CONTACT) == 0


def test_a_snapshot_of_a_contact_the_vendor_does_not_have_is_not_found(
    case: ConstantContactCase,
) -> None:
    with pytest.raises(VendorNotFound):
        case.client.take_snapshot(case.unknown)
