"""The Constant Contact sandbox's PUT as strict as the spec: `ContactPutRequest`'s limits, the
read-only consent history refused, a deleted contact revived only onto a list, what a PUT does to
consent (why a client must never send consent it was not given), the daily quota, all answered
in the vendor's error shape and checked against its contract."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from contact_archive.ledger.models import Vendor
from devtools.sandboxes.constant_contact import ConstantContactSandbox
from tests.contracts.specs import contract_transport
from tests.sandboxes.test_constant_contact_sandbox import API, TOKEN, FakeClock, bearer
from tests.vendors.constant_contact.case import LISTS, START

LIST_IDS = [f"07936f78-662a-11eb-af0a-{index:012d}" for index in range(51)]
FIELD_ID = "1618ae62-4752-11e9-9c8a-fa163e6b01c1"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(step=0.5)


@pytest.fixture
def sandbox(clock: FakeClock) -> ConstantContactSandbox:
    return ConstantContactSandbox(TOKEN, clock=clock)


def put_body(**fields: Any) -> dict[str, Any]:
    """A valid PUT, as the account, with `fields` over it (None removes one)."""
    body: dict[str, Any] = {
        "update_source": "Account",
        "email_address": {"address": "rae@example.com"},
        "list_memberships": LISTS,
    }
    body.update(fields)
    return {key: value for key, value in body.items() if value is not None}


def email(**fields: Any) -> dict[str, Any]:
    return {"address": "rae@example.com", **fields}


def refused_400(response: httpx.Response, says: str) -> None:
    """A 400 in the vendor's error shape whose message says `says`."""
    assert response.status_code == 400, response.text
    ((error),) = response.json()
    assert set(error) == {"error_key", "error_message"}
    assert error["error_key"] == "contacts.api.validation.error"
    assert says in error["error_message"]


# -- limits ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"list_memberships": LIST_IDS}, "list_memberships takes at most 50 items"),
        ({"taggings": LIST_IDS}, "taggings takes at most 50 items"),
        ({"custom_fields": [{"custom_field_id": FIELD_ID}] * 26}, "at most 25"),
        ({"phone_numbers": [{"phone_number": "1", "kind": "home"}] * 4}, "at most 3"),
        ({"street_addresses": [{"kind": "home"}] * 4}, "at most 3"),
        ({"notes": [{"content": "n"}] * 151}, "at most 150"),
        ({"first_name": "x" * 51}, "first_name is longer than 50"),
        ({"last_name": "x" * 51}, "last_name is longer than 50"),
        ({"job_title": "x" * 51}, "job_title is longer than 50"),
        ({"company_name": "x" * 51}, "company_name is longer than 50"),
        ({"email_address": email(address="x" * 69 + "@example.com")}, "longer than 80"),
        ({"email_address": email(opt_out_reason="x" * 256)}, "longer than 255"),
        ({"email_address": email(permission_to_send="maybe")}, "must be one of explicit"),
        ({"update_source": "Robot"}, "update_source must be one of Account, Contact"),
        ({"birthday_month": 13, "birthday_day": 1}, "birthday_month must be from 1 to 12"),
        ({"birthday_month": 2, "birthday_day": 32}, "birthday_day must be from 1 to 31"),
        ({"birthday_day": 4}, "birthday_day and birthday_month go together"),
        ({"anniversary": "15 Nov 2006"}, "anniversary is longer than 10"),
        ({"anniversary": "2006.11.15"}, "anniversary is not in an accepted format"),
        ({"phone_numbers": [{"phone_number": "1" * 26}]}, "phone_number is longer than 25"),
        ({"phone_numbers": [{"kind": "fax"}]}, "kind must be one of home, mobile, other, work"),
        ({"street_addresses": [{"kind": "boat"}]}, "kind must be one of home, other, work"),
        ({"street_addresses": [{"city": "Boston"}]}, "street_addresses[0].kind is required"),
        ({"street_addresses": [{"kind": "home", "city": "x" * 51}]}, "city is longer than 50"),
        ({"custom_fields": [{"value": "gold"}]}, "custom_field_id is required"),
        ({"custom_fields": [{"custom_field_id": FIELD_ID, "value": "x" * 256}]}, "than 255"),
        ({"notes": [{"content": "x" * 2001}]}, "content is longer than 2000"),
        ({"sms_channel": {"full_sms_address": "17815551212"}}, "sms_channel_consents is required"),
        ({"update_source": None}, "update_source is required"),
        ({"status": "active"}, "status is not a property of this request"),
    ],
)
def test_a_put_past_the_specs_limits_is_a_400_that_changes_nothing(
    sandbox: ConstantContactSandbox, client: httpx.Client, fields: dict[str, Any], says: str
) -> None:
    # Given a contact
    added = sandbox.add_contact(email="rae@example.com", first_name="Rae", list_ids=LISTS)
    # When it is PUT past one of the spec's limits
    response = client.put(f"/v3/contacts/{added['contact_id']}", json=put_body(**fields))
    # Then the vendor answers 400 naming the field (never its value), and nothing changed
    refused_400(response, says)
    assert "x" * 20 not in response.text
    assert sandbox.contact(added["contact_id"]) == added


def test_a_put_at_the_specs_limits_is_taken(
    sandbox: ConstantContactSandbox, client: httpx.Client
) -> None:
    # Given a contact, and a PUT with each field at its limit
    added = sandbox.add_contact(list_ids=LISTS)
    body = put_body(
        email_address=email(permission_to_send="implicit", opt_out_reason="x" * 255),
        first_name="x" * 50,
        birthday_month=12,
        birthday_day=31,
        anniversary="11/15/2006",
        list_memberships=LIST_IDS[:50],
        taggings=LIST_IDS[:50],
        custom_fields=[{"custom_field_id": FIELD_ID, "value": "x" * 255}] * 25,
        phone_numbers=[{"phone_number": "1" * 25, "kind": "mobile"}] * 3,
        street_addresses=[{"kind": "other", "street": "x" * 255}] * 3,
        notes=[{"content": "x" * 2000}] * 150,
    )
    # When it is PUT, then it is taken
    assert client.put(f"/v3/contacts/{added['contact_id']}", json=body).status_code == 200


@pytest.mark.parametrize(
    "field", ["opt_in_date", "opt_out_date", "opt_out_source", "confirm_status", "created_at"]
)
def test_consent_history_is_read_only_and_a_put_of_it_is_refused(
    sandbox: ConstantContactSandbox, client: httpx.Client, field: str
) -> None:
    # Given a contact that opted in a year ago
    added = sandbox.add_contact(email="rae@example.com", list_ids=LISTS)
    # When a PUT tries to write its consent history
    body = put_body(email_address=email(**{field: "2020-01-01T00:00:00Z"}))
    response = client.put(f"/v3/contacts/{added['contact_id']}", json=body)
    # Then it is refused as read-only (the spec's `readOnly`), and the history is unchanged
    refused_400(response, f"email_address.{field} is read-only")
    assert sandbox.contact(added["contact_id"]) == added


def test_opt_in_source_is_not_a_property_of_a_put(
    sandbox: ConstantContactSandbox, client: httpx.Client
) -> None:
    # "value is set on POST, and is read-only going forward": EmailAddressPut has no such key
    added = sandbox.add_contact(email="rae@example.com", list_ids=LISTS)
    body = put_body(email_address=email(opt_in_source="Contact"))
    response = client.put(f"/v3/contacts/{added['contact_id']}", json=body)
    refused_400(response, "email_address.opt_in_source is not a property of this request")


# -- revive ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lists", [None, []], ids=["list_memberships left out", "list_memberships empty"]
)
def test_a_revive_onto_no_list_is_refused(
    sandbox: ConstantContactSandbox, client: httpx.Client, lists: list[str] | None
) -> None:
    # Given a deleted contact, on no list since its delete
    added = sandbox.add_contact(email="rae@example.com", deleted_at="2026-03-01")
    # When it is PUT as the account without a list to be on
    body = put_body(list_memberships=lists)
    response = client.put(f"/v3/contacts/{added['contact_id']}", json=body)
    # Then the vendor refuses: a deleted contact is revived by adding it to one list or more
    refused_400(response, "revived by adding it to one or more lists")
    stored = sandbox.contact(added["contact_id"])
    assert stored is not None and stored["deleted_at"] == "2026-03-01"


def test_an_active_contact_may_be_put_on_no_list(
    sandbox: ConstantContactSandbox, client: httpx.Client
) -> None:
    added = sandbox.add_contact(email="rae@example.com", list_ids=LISTS)
    body = put_body(list_memberships=[])
    assert client.put(f"/v3/contacts/{added['contact_id']}", json=body).status_code == 200


# -- consent --------------------------------------------------------------------------------------


def test_a_put_of_a_permission_opts_the_contact_in_as_the_account(
    sandbox: ConstantContactSandbox, client: httpx.Client, clock: FakeClock
) -> None:
    # Given a contact who unsubscribed by herself
    added = sandbox.add_contact(
        email="rae@example.com",
        list_ids=LISTS,
        email_address={
            "address": "rae@example.com",
            "permission_to_send": "unsubscribed",
            "opt_in_source": "Contact",
            "opt_in_date": "2025-01-01T00:00:00+00:00",
            "opt_out_source": "Contact",
            "opt_out_date": "2026-01-01T00:00:00+00:00",
            "opt_out_reason": "Too many emails",
            "confirm_status": "confirmed",
        },
    )
    path = f"/v3/contacts/{added['contact_id']}"
    # When a PUT sends her permission unchanged, then nothing of her consent moves
    unchanged = email(permission_to_send="unsubscribed", opt_out_reason="Too many emails")
    assert client.put(path, json=put_body(email_address=unchanged)).status_code == 200
    kept = sandbox.contact(added["contact_id"])
    assert kept is not None
    assert {key: kept["email_address"][key] for key in added["email_address"]} == (
        added["email_address"]
    )
    # When a PUT sends `explicit`, then Constant Contact opts her in, as the account, now: what
    # the spec warns against, and why a restore must never send a permission she did not give
    response = client.put(path, json=put_body(email_address=email(permission_to_send="explicit")))
    assert response.status_code == 200
    granted = response.json()["email_address"]
    assert granted["permission_to_send"] == "explicit"
    assert (granted["opt_in_source"], granted["confirm_status"]) == ("Account", "confirmed")
    assert datetime.fromisoformat(granted["opt_in_date"]).timestamp() > START
    assert "opt_out_date" not in granted and "opt_out_source" not in granted


def test_a_put_without_the_sms_channel_clears_it_and_one_with_consent_opts_in(
    sandbox: ConstantContactSandbox, client: httpx.Client
) -> None:
    # Given a contact with an SMS number and no SMS consent
    channel = {
        "sms_channel_id": "3fa85f64-5712-6245-b3fc-2c963f66bfc6",
        "sms_address": "7815551212",
        "dial_code": "1",
        "country_code": "US",
        "update_source": "Contact",
        "create_source": "Contact",
        "sms_channel_consents": [
            {"sms_consent_permission": "unsubscribed", "consent_type": "promotional_sms"}
        ],
    }
    added = sandbox.add_contact(list_ids=LISTS, sms_channel=channel)
    path = f"/v3/contacts/{added['contact_id']}"
    # When a PUT leaves the SMS channel out (it is a property, not a subresource)
    assert client.put(path, json=put_body()).status_code == 200
    # Then it is gone: left out means null
    cleared = sandbox.contact(added["contact_id"])
    assert cleared is not None and "sms_channel" not in cleared
    # When a PUT sends it with explicit consent
    consent = {"sms_consent_permission": "explicit", "consent_type": "promotional_sms"}
    sent = {"full_sms_address": "17815551212", "sms_channel_consents": [consent]}
    response = client.put(path, json=put_body(sms_channel=sent))
    # Then the SMS consent is granted now, as the account
    (granted,) = response.json()["sms_channel"]["sms_channel_consents"]
    assert granted["sms_consent_permission"] == "explicit" and "opt_in_date" in granted
    assert response.json()["sms_channel"]["update_source"] == "Account"


def test_phone_numbers_and_addresses_put_get_ids_and_dates_of_their_own(
    sandbox: ConstantContactSandbox, client: httpx.Client
) -> None:
    # Given a contact with a phone number and an address, read with their ids
    phone = {"phone_number_id": "6eec28a6-1cf5-11ea-859f-fa163e56c9b0", "phone_number": "+1 555"}
    address = {"street_address_id": "977a9a2e-3e00-11ea-804b-fa163e56c9b0", "kind": "home"}
    added = sandbox.add_contact(list_ids=LISTS, phone_numbers=[phone], street_addresses=[address])
    # When they are PUT back as the PUT takes them (no ids)
    body = put_body(phone_numbers=[{"phone_number": "+1 555"}], street_addresses=[{"kind": "home"}])
    client.put(f"/v3/contacts/{added['contact_id']}", json=body)
    # Then the vendor gives them new ids and dates, and the account as their source
    stored = sandbox.contact(added["contact_id"])
    assert stored is not None
    (new_phone,), (new_address,) = stored["phone_numbers"], stored["street_addresses"]
    assert new_phone["phone_number"] == "+1 555" and new_phone["create_source"] == "Account"
    assert new_phone["phone_number_id"] != phone["phone_number_id"]
    assert new_address["street_address_id"] != address["street_address_id"]
    assert {"created_at", "updated_at"} <= set(new_phone) & set(new_address)


# -- daily quota ----------------------------------------------------------------------------------


def test_the_daily_quota_is_a_429_quota_exceeded_until_the_next_day(clock: FakeClock) -> None:
    # Given a key allowed 3 requests a day (10,000 by default), at noon
    sandbox = ConstantContactSandbox(TOKEN, clock=clock, daily_quota=3)
    with API.client(sandbox) as client:
        spent = [client.get("/v3/contacts").status_code for _ in range(3)]
        # When a fourth request comes the same day, and another from a bad token
        over = client.get("/v3/contacts")
        with API.client(sandbox, bearer("forged")) as forged:
            unknown = forged.get("/v3/contacts")
        # And one just after midnight UTC
        clock.now = datetime(2026, 3, 18, 0, 0, 1, tzinfo=UTC).timestamp()
        next_day = client.get("/v3/contacts")
    # Then the fourth is a 429 `quota_exceeded`, not the per-second `throttled`, with no rate
    # headers; a bad token is still told 401; the new day starts afresh
    assert spent == [200, 200, 200]
    assert over.status_code == 429
    assert over.json() == [{"error_key": "quota_exceeded", "error_message": "Daily quota exceeded"}]
    assert not any(name.lower().startswith(("x-ratelimit", "retry-after")) for name in over.headers)
    assert unknown.status_code == 401
    assert next_day.status_code == 200
    assert sandbox.daily_quota == 3 and ConstantContactSandbox().daily_quota == 10_000


# -- the contract -----------------------------------------------------------------------------------


def test_the_refusals_keep_to_the_contract(clock: FakeClock) -> None:
    # Given the sandbox behind the vendor's contract, a key with two requests left today
    sandbox = ConstantContactSandbox(TOKEN, clock=clock, daily_quota=4)
    deleted = sandbox.add_contact(email="rae@example.com", deleted_at="2026-03-01")
    transport = contract_transport(Vendor.CONSTANT_CONTACT, sandbox)
    path = f"/v3/contacts/{deleted['contact_id']}"
    with httpx.Client(base_url="https://api.cc.email", transport=transport) as client:
        client.headers.update(bearer(TOKEN))
        # When it is revived onto no list, then onto its list, then the quota runs out
        seen = [
            client.put(path, json=put_body(list_memberships=[])).status_code,
            client.put(path, json=put_body()).status_code,
            client.get(path).status_code,
            client.get(path).status_code,
            client.get(path).status_code,
        ]
    # Then every request and answer keeps to the contract, the refusals' error bodies included
    assert seen == [400, 200, 200, 200, 429]
    assert transport.violations == []
    assert transport.checked == len(seen)
