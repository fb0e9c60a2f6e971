"""Constant Contact v3 payloads to the canonical contact and back, checked against the spec.

The deleted and list-less contacts are the seed's documented payloads (its `{contact_id}`
placeholder replaced by an id); the active contact with list memberships and every subresource is
assembled from the spec's property examples, since the spec gives no whole-contact example.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from contact_archive.ledger.models import LinkState
from contact_archive.vendors.constant_contact import mapper
from tests.vendors.recorded import RecordedPayloads, load_spec, resolve_schema

RECORDED = RecordedPayloads(__file__)
_payload = RECORDED.load


@pytest.fixture(scope="module")
def contacts_spec() -> dict[str, Any]:
    return load_spec("constant-contact-v3-contacts.yml")


@pytest.fixture(scope="module")
def bulk_spec() -> dict[str, Any]:
    return load_spec("constant-contact-v3-bulk-activities.yml")


def _body_schema(spec: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    parameters = spec["paths"][path][method]["parameters"]
    (body,) = [parameter for parameter in parameters if parameter["in"] == "body"]
    return resolve_schema(spec, body["schema"])


def _violations(spec: dict[str, Any], value: Any, schema: dict[str, Any], at: str) -> list[str]:
    """Where `value` strays from a Swagger 2.0 schema: unknown or read-only keys, missing required
    keys, too many items; recursing through objects, arrays and `$ref`s."""
    schema = resolve_schema(spec, schema)
    found: list[str] = []
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        found += [f"{at}.{key} missing" for key in schema.get("required", []) if key not in value]
        for key, item in value.items():
            if key not in properties:
                found.append(f"{at}.{key} unknown")
                continue
            if resolve_schema(spec, properties[key]).get("readOnly"):
                found.append(f"{at}.{key} read-only")
            found += _violations(spec, item, properties[key], f"{at}.{key}")
    elif isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            found.append(f"{at} has more than {schema['maxItems']} items")
        for index, item in enumerate(value):
            found += _violations(spec, item, schema.get("items", {}), f"{at}[{index}]")
    return found


def test_deleted_at_date_marks_the_contact_archived_at_midnight_utc() -> None:
    # Given the seed's deleted contact: `deleted_at` is the date 2015-03-17
    contact = mapper.to_canonical(_payload("contact_deleted"))
    # Then it is archived at that date's midnight UTC, on no list
    assert contact.link_state is LinkState.ARCHIVED
    assert contact.archived_at == "2015-03-17T00:00:00.000Z"
    assert contact.list_ids == ()


def test_list_ids_are_unknown_without_include_list_memberships() -> None:
    # Given a contact fetched without include=list_memberships, and one fetched with it
    without = mapper.to_canonical(_payload("contact_without_list_memberships"))
    with_lists = mapper.to_canonical(_payload("contact_active_with_list_memberships"))
    # Then the first has unknown lists (not "no lists"), the second its two list ids
    assert without.list_ids is None
    assert with_lists.list_ids == (
        "07936f78-662a-11eb-af0a-fa163e56c9b0",
        "04fe9a97-a579-43c5-bb1a-58ed29bf0a6a",
    )


def test_contact_without_id_is_refused() -> None:
    # When a payload without contact_id is mapped, Then it is refused
    with pytest.raises(ValueError, match="contact_id"):
        mapper.to_canonical({"first_name": "John"})


RESTORE_LIST = "5e88f172-21d1-11ea-b5ae-fa163e56c9b9"


def test_snapshot_then_revive_keeps_list_memberships_and_every_writable_field() -> None:
    # Given an active contact with list memberships and every subresource
    contact = _payload("contact_active_with_list_memberships")
    # When its restore material is saved (as JSON, as the ledger stores it) and revived from,
    # the contact as Constant Contact holds it now being the same
    saved = json.loads(json.dumps(mapper.snapshot(contact)))
    revive = mapper.revive(saved, current=contact)
    body = revive.body
    # Then the body revives it as the account, on the same lists, with every writable field
    assert body["update_source"] == "Account"
    assert body["list_memberships"] == contact["list_memberships"]
    for key in (
        "first_name",
        "last_name",
        "job_title",
        "company_name",
        "birthday_month",
        "birthday_day",
        "anniversary",
        "custom_fields",
        "taggings",
        "notes",
    ):
        assert body[key] == contact[key], key
    # (the permission is the one Constant Contact holds now, never the snapshot's)
    assert body["email_address"] == {
        "address": "dlang@example.com",
        "permission_to_send": "implicit",
    }
    assert body["phone_numbers"] == [{"phone_number": "+1-555-555-5555", "kind": "home"}]
    assert body["street_addresses"] == [
        {
            "kind": "home",
            "street": "123 Kashmir Valley Road",
            "city": "Chicago",
            "state": "Illinois",
            "postal_code": "60609",
            "country": "United States",
        }
    ]
    # And nothing read-only, identifying the old record, or granting SMS consent rides along
    assert not {
        "contact_id",
        "create_source",
        "created_at",
        "updated_at",
        "deleted_at",
        "sms_channel",
        "consent_history",
    } & set(body)
    # And what it cannot write back is named: consent history, SMS consent, the updater
    assert revive.not_restored == {
        "update_source": mapper.UPDATED_BY_ACCOUNT,
        "email_address.opt_in_source": mapper.NO_CONSENT_HISTORY,
        "email_address.opt_in_date": mapper.NO_CONSENT_HISTORY,
        "email_address.confirm_status": mapper.NO_CONSENT_HISTORY,
        "sms_channel": mapper.SMS_NOT_SENT,
    }


def test_the_snapshot_keeps_consent_history_and_sms_consent_for_the_record() -> None:
    # Given an active contact with an opt-in history and an SMS consent
    contact = _payload("contact_active_with_list_memberships")
    # When its restore material is saved
    saved = mapper.snapshot(contact)
    # Then the consent history is kept apart, and the SMS channel in the PUT's shape
    assert saved["consent_history"] == {
        "email_address": {
            "opt_in_source": "Contact",
            "opt_in_date": "2016-01-23T13:48:44.108Z",
            "confirm_status": "confirmed",
        }
    }
    assert saved["sms_channel"] == {
        "full_sms_address": "17815551212",
        "sms_channel_consents": [
            {"sms_consent_permission": "explicit", "consent_type": "promotional_sms"}
        ],
    }


def test_a_revive_never_grants_the_consent_the_snapshot_had() -> None:
    # Given a snapshot taken while the contact was subscribed, and the contact as Constant
    # Contact holds it now: unsubscribed by the person, with a reason
    saved = mapper.snapshot(_payload("contact_active_with_list_memberships"))
    current = {
        "contact_id": "ab7ab702-b935-11e9-8a58-fa163e6b01c1",
        "email_address": {
            "address": "dlang@example.com",
            "permission_to_send": "unsubscribed",
            "opt_out_source": "Contact",
            "opt_out_date": "2026-03-01T10:00:00Z",
            "opt_out_reason": "Too many emails",
        },
        "deleted_at": "2026-03-02",
    }
    # When the revive is built
    revive = mapper.revive(saved, current)
    # Then it keeps the unsubscription as it stands, and says the snapshot's was not written
    assert revive.body["email_address"] == {
        "address": "dlang@example.com",
        "permission_to_send": "unsubscribed",
        "opt_out_reason": "Too many emails",
    }
    assert revive.not_restored["email_address.permission_to_send"] == mapper.CONSENT_KEPT
    assert "sms_channel" not in revive.body


def test_a_snapshot_of_a_deleted_contact_marks_its_lists_unknown() -> None:
    # Given the seed's deleted contact: on no list, since the delete dropped them
    saved = mapper.snapshot(_payload("contact_deleted"))
    # Then its lists are unknown, not "none"
    assert "list_memberships" not in saved and saved["lists_unknown"] is True
    # And a revive needs the tenant's restore list, said so without one
    with pytest.raises(ValueError, match=r"not known.*restore_list_id"):
        mapper.revive(saved)
    revive = mapper.revive(saved, restore_list_id=RESTORE_LIST)
    assert revive.body["list_memberships"] == [RESTORE_LIST]
    assert "restore list" in revive.not_restored["list_memberships"]


def test_revive_needs_a_list_and_drops_unknown_fields() -> None:
    # Given a snapshot without lists, one on no list, and one carrying fields the PUT does not take
    # Then the first two are refused without a restore list, and the third loses the fields
    with pytest.raises(ValueError, match="not known"):
        mapper.revive_body({"first_name": "John"})
    with pytest.raises(ValueError, match="on no list"):
        mapper.revive_body({"first_name": "John", "list_memberships": []})
    body = mapper.revive_body(
        {"first_name": "John", "contact_id": "x", "list_memberships": []},
        restore_list_id=RESTORE_LIST,
    )
    assert body == {
        "first_name": "John",
        "update_source": "Account",
        "list_memberships": [RESTORE_LIST],
    }


def test_a_revive_takes_at_most_50_lists_and_names_the_rest() -> None:
    # Given a snapshot on 53 lists (more than Constant Contact lets a contact be on)
    lists = [f"07936f78-662a-11eb-af0a-{index:012d}" for index in range(53)]
    # When the revive is built
    revive = mapper.revive({"first_name": "Many", "list_memberships": lists})
    # Then the first 50 go in the PUT, and the 3 others are named as not restored
    assert revive.body["list_memberships"] == lists[:50]
    assert revive.not_restored == {
        "list_memberships": "3 of its 53 lists were not restored: Constant Contact puts a"
        " contact on 50 lists at most"
    }


def test_not_restored_names_every_field_a_revive_can_report() -> None:
    # Given a subscribed contact's snapshot, a deleted one's, and an unsubscribed one's on more
    # lists than Constant Contact allows, each revived with nothing known of it now
    subscribed = mapper.snapshot(_payload("contact_active_with_list_memberships"))
    deleted = mapper.snapshot(_payload("contact_deleted"))
    unsubscribed = {
        "email_address": {
            "address": "gone@example.com",
            "permission_to_send": "unsubscribed",
            "opt_out_reason": "Too many emails",
        },
        "consent_history": {
            "email_address": {"opt_out_source": "Contact", "opt_out_date": "2026-03-01T10:00:00Z"}
        },
        "list_memberships": [f"07936f78-662a-11eb-af0a-{index:012d}" for index in range(51)],
    }
    reported = {
        key
        for saved in (subscribed, deleted, unsubscribed)
        for key in mapper.revive(saved, {}, RESTORE_LIST).not_restored
    }
    # Then together they report every field `NOT_RESTORED` names (what the docs list), no other
    assert reported == set(mapper.NOT_RESTORED)


@pytest.mark.parametrize(
    "payload_name", ["contact_active_with_list_memberships", "contact_deleted"]
)
def test_revive_body_conforms_to_the_put_request_schema(
    contacts_spec: dict[str, Any], payload_name: str
) -> None:
    # Given the body schema of PUT /contacts/{contact_id}
    schema = _body_schema(contacts_spec, "/contacts/{contact_id}", "put")
    # When a contact is saved and revived (the deleted one onto the restore list)
    payload = _payload(payload_name)
    body = mapper.revive_body(mapper.snapshot(payload), payload, RESTORE_LIST)
    # Then every key, at every depth, is a writable property the schema declares
    assert set(body) <= set(schema["properties"])
    assert _violations(contacts_spec, body, schema, "body") == []


def test_bulk_delete_body_takes_up_to_500_ids(bulk_spec: dict[str, Any]) -> None:
    # Given 500 contact ids, and 501
    ids = [f"04fe9a97-a579-43c5-bb1a-{index:012d}" for index in range(501)]
    # When the bulk delete body is built
    body = mapper.bulk_delete_body(ids[:500])
    # Then 500 fit in one body that the ContactDelete schema accepts, and 501 are refused
    assert body == {"contact_ids": ids[:500]}
    schema = _body_schema(bulk_spec, "/activities/contact_delete", "post")
    assert _violations(bulk_spec, body, schema, "body") == []
    with pytest.raises(ValueError, match="at most 500"):
        mapper.bulk_delete_body(ids)
    with pytest.raises(ValueError, match="at least one"):
        mapper.bulk_delete_body([])


def test_list_page_with_next_gives_the_next_href() -> None:
    # Given a page with _links.next
    contacts, next_href = mapper.list_page(_payload("list_page_with_next"))
    # Then its contacts and the next page's href come back
    assert [contact["contact_id"] for contact in contacts] == [
        "ab7ab702-b935-11e9-8a58-fa163e6b01c1"
    ]
    assert next_href == "/v3/contacts?cursor=bGltaXQ9MSZuZXh0PTImaW5jbHVkZT1saXN0X21lbWJlcnNoaXBz"


@pytest.mark.parametrize(
    "payload",
    [_payload("list_page_last"), {"contacts": [], "_links": {}}, {}],
    ids=["no _links", "no next", "empty body"],
)
def test_last_list_page_has_no_next_href(payload: Any) -> None:
    # Given the last page
    _, next_href = mapper.list_page(payload)
    # Then there is no next href
    assert next_href is None


@pytest.mark.parametrize(
    ("payload_name", "message", "throttled"),
    [
        ("error_unauthorized", "unauthorized: Unauthorized", False),
        ("error_throttled", "throttled: Too many requests", True),
        ("error_quota_exceeded", "quota_exceeded: Daily quota exceeded", True),
    ],
)
def test_error_array_gives_message_and_throttling(
    payload_name: str, message: str, throttled: bool
) -> None:
    # Given a recorded error array
    payload = _payload(payload_name)
    # Then its key and message come back as one line, and 429 keys count as throttled
    assert mapper.error_message(payload) == message
    assert mapper.is_throttled(payload) is throttled


@pytest.mark.parametrize(
    "payload",
    [_payload("contact_deleted"), [], "Service Unavailable", None, [{"code": "x"}]],
    ids=["a contact", "empty array", "text", "no body", "another vendor's error"],
)
def test_non_error_bodies_give_no_message(payload: Any) -> None:
    # Given a body that is not a Constant Contact error array
    # Then there is no message and it is not throttled
    assert mapper.error_message(payload) is None
    assert mapper.is_throttled(payload) is False
