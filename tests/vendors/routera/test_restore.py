"""Routera's restore against the strict sandbox: a re-create sends only the fields Routera takes
and reports what it cannot write back, a duplicate email or external id is linked or refused, a
contact archived in Routera's UI is snapshotted (by `GET`, or from the archived list where the
`GET` does not answer it), and a whole contact comes back field by field."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from contact_archive.vendors.client import LinkRef
from contact_archive.vendors.errors import PermanentVendorError, VendorNotFound
from contact_archive.vendors.routera import mapper
from contact_archive.vendors.routera.client import RouteraClient
from devtools.sandboxes.routera import RouteraSandbox
from devtools.sandboxes.routera_rules import DEFAULT_FIELDS
from tests.vendors.routera.case import (
    ADA,
    CLIENT_ID,
    CLIENT_SECRET,
    CONTACT,
    TOKEN,
    RouteraCase,
    RouteraClock,
)
from tests.vendors.sandboxed import ABSENT, calls_of

ARCHIVED_IN_UI = {"archived": "2026-05-01T10:00:00.000Z", "archived_by": "user-uuid"}


@pytest.fixture
def case() -> Iterator[RouteraCase]:
    with RouteraCase() as case:
        yield case


def archived_with_snapshot(client: RouteraClient, ref: LinkRef) -> dict[str, Any]:
    """Snapshot, then archive, as the sync does: the snapshot."""
    snapshot = client.take_snapshot(ref)
    client.archive(ref)
    return snapshot


def posted_fields(sandbox: RouteraSandbox) -> list[dict[str, Any]]:
    """The `fields` of every create the sandbox saw."""
    return [
        httpx.Response(200, content=request.content).json()["fields"]
        for request in sandbox.requests
        if (request.method, request.url.path) == ("POST", "/contacts")
    ]


# What a re-create sends, and what it reports


def test_a_restore_reports_what_a_re_create_cannot_write_back(
    client: RouteraClient, ada: LinkRef
) -> None:
    # Given Ada archived after her snapshot
    snapshot = archived_with_snapshot(client, ada)

    # When she is restored
    result = client.restore(ada, snapshot)

    # Then her new id and Routera's own times are reported as not restored, with why
    assert result.not_restored == mapper.NOT_RESTORED
    assert set(result.not_restored) == {"id", "created_at", "updated_at"}


def test_a_re_create_sends_only_fields_routera_takes_and_reports_the_others(
    sandbox: RouteraSandbox, client: RouteraClient, ada: LinkRef
) -> None:
    # Given a snapshot (saved elsewhere) whose fields hold keys Routera sets itself
    client.archive(ada)
    snapshot = {
        "id": ada.vendor_id,
        "fields": {**ADA, "archived_by": "user-uuid", "created_at": "2026-05-01T10:00:00.000Z"},
    }

    # When she is restored from it
    result = client.restore(ada, snapshot)

    # Then the create sent her fields only, and each key left out is reported with why
    assert posted_fields(sandbox) == [ADA]
    assert result.not_restored == {**mapper.NOT_RESTORED, "archived_by": mapper.READ_ONLY_REASON}


def test_a_re_create_naming_a_field_the_account_dropped_is_a_permanent_error(
    sandbox: RouteraSandbox, client: RouteraClient, ada: LinkRef
) -> None:
    # Given Ada's snapshot holding her custom `region`, which the account drops after her archive
    snapshot = archived_with_snapshot(client, ada)
    sandbox.remove_field("region")

    # When she is restored
    with pytest.raises(PermanentVendorError, match="Unknown fields: region") as raised:
        client.restore(ada, snapshot)

    # Then Routera's 400 is not retried, nothing is created, and no value of hers is shown
    assert raised.value.status == 400
    assert sandbox.calls("POST", "/contacts") == 1
    assert sandbox.archived_states() == {ada.vendor_id: True}
    assert "EMEA" not in str(raised.value)


# A duplicate email or external id (Routera's 409)


def test_a_restore_repeated_after_its_result_was_lost_links_the_contact_it_made(
    sandbox: RouteraSandbox, client: RouteraClient, ada: LinkRef
) -> None:
    # Given Ada restored once, her result lost before the ledger saved it
    snapshot = archived_with_snapshot(client, ada)
    first = client.restore(ada, snapshot)

    # When the restore is made again
    again = client.restore(ada, snapshot)

    # Then Routera refused the second create as a duplicate, and the first contact is linked
    assert again == first
    assert sandbox.calls("POST", "/contacts") == 2
    assert sandbox.effects["created"] == 1
    assert sandbox.archived_states() == {ada.vendor_id: True, first.vendor_id: False}


@pytest.mark.parametrize(
    ("other", "field"),
    [
        ({**ADA, "first_name": "Augusta", "external_id": "crm-43"}, "email"),
        ({"email": "grace@example.com", "external_id": ADA["external_id"]}, "external_id"),
    ],
    ids=["email", "external_id"],
)
def test_a_duplicate_holding_other_fields_is_a_permanent_error_naming_the_field_only(
    sandbox: RouteraSandbox,
    client: RouteraClient,
    ada: LinkRef,
    other: dict[str, Any],
    field: str,
) -> None:
    # Given Ada archived, and another active contact holding her email or her external id
    snapshot = archived_with_snapshot(client, ada)
    holder = sandbox.add_contact(**other)

    # When she is restored
    with pytest.raises(PermanentVendorError) as raised:
        client.restore(ada, snapshot)

    # Then the conflict is named by the holder's id and the field, never by a value of hers
    message = str(raised.value)
    assert f"active contact {holder['id']} has the same {field} and holds other fields" in message
    assert raised.value.status == 409
    for value in ADA.values():
        assert value not in message
    assert sandbox.effects["created"] == 0


def test_a_duplicate_linked_to_another_contact_of_the_ledger_is_not_taken(
    client: RouteraClient, ada: LinkRef
) -> None:
    # Given Ada restored once, and that contact linked to another contact of the ledger since
    snapshot = archived_with_snapshot(client, ada)
    first = client.restore(ada, snapshot)

    # When she is restored again, Then the holder is not taken
    with pytest.raises(PermanentVendorError, match="is linked to another contact") as raised:
        client.restore(ada, snapshot, taken=lambda vendor_id: vendor_id == first.vendor_id)
    assert raised.value.status == 409


def test_restoring_a_contact_still_active_at_routera_is_already_done(
    sandbox: RouteraSandbox, client: RouteraClient, ada: LinkRef
) -> None:
    # Given Ada's snapshot, her archive never made
    snapshot = client.take_snapshot(ada)

    # When she is restored
    result = client.restore(ada, snapshot)

    # Then Routera refused the create as a duplicate of Ada herself: nothing to do
    assert result.vendor_id == ada.vendor_id
    assert result.already
    assert result.replaced_vendor_id is None and result.not_restored == {}
    assert sandbox.archived_states() == {ada.vendor_id: False}


def test_an_archived_contact_holding_its_email_makes_a_re_create_a_permanent_error(
    sandbox: RouteraSandbox, client: RouteraClient, ada: LinkRef
) -> None:
    # Given a Routera where an archived contact keeps its email against duplicates
    sandbox.archived_keep_identity = True
    snapshot = archived_with_snapshot(client, ada)

    # When she is restored, Then it cannot be, and the error says why
    with pytest.raises(PermanentVendorError, match="no active contact holds") as raised:
        client.restore(ada, snapshot)
    assert raised.value.status == 409
    assert sandbox.archived_states() == {ada.vendor_id: True}


# A contact archived in Routera's UI


@pytest.mark.parametrize("get_answers_archived", [True, False], ids=["by GET", "from the list"])
def test_a_contact_archived_in_routeras_ui_is_snapshotted_and_restored(
    sandbox: RouteraSandbox, client: RouteraClient, get_answers_archived: bool
) -> None:
    # Given Ada archived by someone in Routera's UI, and a GET that may not answer her
    sandbox.get_answers_archived = get_answers_archived
    ada = LinkRef(sandbox.add_contact(**ADA, **ARCHIVED_IN_UI)["id"])

    # When her restore material is read
    snapshot = client.take_snapshot(ada)

    # Then it holds her fields, read by GET or, after its 404, from the archived list
    assert snapshot == {"id": ada.vendor_id, "fields": ADA}
    listed = [] if get_answers_archived else [("GET", "/contacts")]
    assert calls_of(sandbox.requests) == [
        ("POST", TOKEN),
        ("GET", f"/contacts/{ada.vendor_id}"),
        *listed,
    ]
    # And she is restored from it, under a new id
    restored = client.restore(ada, snapshot)
    recreated = sandbox.contact(restored.vendor_id)
    assert recreated is not None and {key: recreated[key] for key in ADA} == ADA
    assert sandbox.archived_states() == {ada.vendor_id: True, restored.vendor_id: False}


@pytest.mark.parametrize("get_answers_archived", [True, False], ids=["by GET", "from the list"])
def test_an_archived_contact_is_fetched_and_archived_again_as_already_archived(
    sandbox: RouteraSandbox, client: RouteraClient, get_answers_archived: bool
) -> None:
    # Given Ada archived in Routera's UI
    sandbox.get_answers_archived = get_answers_archived
    ada = LinkRef(sandbox.add_contact(**ADA, **ARCHIVED_IN_UI)["id"])

    # When she is fetched, and archived
    fetched = client.fetch(ada)
    archived = client.archive(ada)

    # Then she is seen archived, and the archive's 404 is confirmed as already archived
    assert fetched.archived and fetched.archived_by == "user-uuid"
    assert archived.already
    assert sandbox.calls("DELETE", CONTACT) == 1


@pytest.mark.parametrize("get_answers_archived", [True, False], ids=["by GET", "from the list"])
def test_a_contact_routera_shows_nowhere_is_not_found(
    sandbox: RouteraSandbox, client: RouteraClient, get_answers_archived: bool
) -> None:
    # Given a contact neither the GET nor the archived list (two pages of it) shows
    sandbox.get_answers_archived = get_answers_archived
    for number in range(150):
        sandbox.add_contact(email=f"gone-{number}@example.com", **ARCHIVED_IN_UI)

    # When its restore material is read, Then it is not found, after the whole archived list
    with pytest.raises(VendorNotFound):
        client.take_snapshot(LinkRef("no-such-contact"))
    assert sandbox.calls("GET", "/contacts") == 2


# A whole contact, field by field


def bearer(http: httpx.Client) -> dict[str, str]:
    """A new token of the tenant's, as its header: the sandbox's tokens expire by its clock."""
    credentials = {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    token = http.post(TOKEN, data=credentials).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def raw_contact(http: httpx.Client, contact_id: str) -> dict[str, Any]:
    """The contact as Routera answers a `GET` of it."""
    response = http.get(f"/contacts/{contact_id}", headers=bearer(http))
    assert response.status_code == 200
    contact: dict[str, Any] = response.json()
    return contact


def test_a_whole_contact_comes_back_field_by_field_but_what_is_reported(
    case: RouteraCase, sandbox: RouteraSandbox, client: RouteraClient, clock: RouteraClock
) -> None:
    # Given a contact created at Routera with every field it takes: the default properties of its
    # contact object and a custom field of the account
    writable = {
        "external_id": "crm-42",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "contact_owner": "jane@example.com",
        "region": "EMEA",
    }
    assert set(DEFAULT_FIELDS) < set(writable)
    sandbox.custom_fields.add("region")
    created = case.http.post("/contacts", json={"fields": writable}, headers=bearer(case.http))
    assert created.status_code == 201
    ref = LinkRef(created.json()["id"])
    before = raw_contact(case.http, ref.vendor_id)

    # When it is snapshotted, archived, and restored a day later
    clock.advance(timedelta(days=1))
    snapshot = client.take_snapshot(ref)
    client.archive(ref)
    clock.advance(timedelta(days=1))
    result = client.restore(ref, snapshot)
    after = raw_contact(case.http, result.vendor_id)

    # Then every field is back but its id and Routera's own times, which the restore reported
    server_set = {"id", "created_at", "updated_at"}
    differing = {
        key
        for key in before.keys() | after.keys()
        if before.get(key, ABSENT) != after.get(key, ABSENT)
    }
    assert differing == server_set
    assert set(result.not_restored) == differing
    assert result.not_restored == mapper.NOT_RESTORED
    assert {key: after[key] for key in writable} == writable
    assert after["archived"] is False and "archived_by" not in after
    # And the archived contact was never written to (Routera answers 409 "Object is archived")
    assert sandbox.calls("PATCH", CONTACT) == 0
