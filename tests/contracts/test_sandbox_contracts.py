"""Every endpoint the four sandboxes serve, driven with raw httpx through `ContractTransport`:
requests built by the vendors' mappers, answers (errors included) held against the vendors'
specs (Routera: its documented shapes). Then the other way round: a wrong request or a wrong
answer is caught, each tolerance stays narrow, and nothing outside the contract slips through.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any, cast

import httpx
import pytest

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.canonical import VendorContact
from contact_archive.vendors.constant_contact import mapper as constant_contact_mapper
from contact_archive.vendors.constant_contact.types import ContactResource
from contact_archive.vendors.intercom import mapper as intercom_mapper
from contact_archive.vendors.routera import mapper as routera_mapper
from contact_archive.vendors.routera.types import Contact as RouteraContact
from contact_archive.vendors.sequence import mapper as sequence_mapper
from contact_archive.vendors.sequence.types import Contact as SequenceContact
from devtools.sandboxes.constant_contact import ConstantContactSandbox
from devtools.sandboxes.intercom import IntercomSandbox
from devtools.sandboxes.routera import RouteraSandbox
from devtools.sandboxes.sequence import SequenceSandbox
from devtools.sandboxes.server import serve
from tests.contracts.specs import contract_for, contract_transport
from tests.contracts.validating import ContractTransport

SEQUENCE_URL = "https://sandbox.sequencehq.com/api"
ROUTERA_URL = "https://api.routera.io"
INTERCOM_URL = "https://api.intercom.io"
CONSTANT_CONTACT_URL = "https://api.cc.email"
CUSTOMER = "customer-1"
LISTS = ["07936f78-662a-11eb-af0a-fa163e56c9b0", "1a2b3c4d-662a-11eb-af0a-fa163e56c9b0"]


def basic(client_id: str, client_secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()


class TickingClock:
    """One second per reading: Constant Contact's 4 requests/s never throttles these tests."""

    def __init__(self) -> None:
        self.now = 1_717_000_000.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def client(transport: ContractTransport, base_url: str, **headers: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, transport=transport, headers=headers)


def answering(
    vendor: Vendor, status: int, body: Any = None, *, content_type: str = "application/json"
) -> ContractTransport:
    """A contract transport around a fake vendor that answers `body` to everything."""
    content = b"" if body is None else json.dumps(body).encode()
    fake = httpx.MockTransport(
        lambda request: httpx.Response(
            status, headers={"Content-Type": content_type}, content=content
        )
    )
    return ContractTransport(fake, contract_for(vendor))


def statuses(*responses: httpx.Response) -> list[int]:
    return [response.status_code for response in responses]


# -- the sandboxes keep to their contracts ------------------------------------------------------


def test_sequence_sandbox_keeps_to_the_spec() -> None:
    sandbox = SequenceSandbox("client-id", "client-secret")
    seeded = sandbox.add_contact(CUSTOMER, name="Ada Lovelace", email="ada@example.com")
    transport = contract_transport(Vendor.SEQUENCE, sandbox)
    headers = {
        "Authorization": basic("client-id", "client-secret"),
        "Sequence-Version": "2024-07-30",
    }
    with client(transport, SEQUENCE_URL, **headers) as c:
        contacts = f"/customers/{CUSTOMER}/contacts"
        listed = c.get(contacts, params={"includeArchived": "true"})
        saved = sequence_mapper.snapshot(
            cast(SequenceContact, listed.json()["items"][0]), scope=CUSTOMER
        )
        seen = statuses(
            listed,
            c.get(contacts),
            c.post(f"{contacts}/{seeded['id']}/archive"),
            c.post(f"{contacts}/{seeded['id']}/archive"),  # twice: the contact again
            c.post(
                sequence_mapper.create_path(saved), json=dict(sequence_mapper.create_body(saved))
            ),
            c.get(contacts, params={"includeArchived": "false"}),
            c.post(f"{contacts}/no-such-contact/archive"),
            c.get("/customers/no-such-customer/contacts"),
            c.get(contacts, headers={"Authorization": basic("client-id", "wrong")}),
        )
    assert seen == [200, 200, 200, 200, 201, 200, 404, 404, 401]
    assert transport.violations == []
    assert transport.checked == len(seen)


def test_routera_sandbox_keeps_to_its_documented_shapes() -> None:
    sandbox = RouteraSandbox("client-id", "client-secret")
    seeded = sandbox.add_contact(email="ada@example.com", first_name="Ada", favourite="tea")
    transport = contract_transport(Vendor.ROUTERA, sandbox)
    with client(transport, ROUTERA_URL) as c:
        credentials = {
            "grant_type": "client_credentials",
            "client_id": "client-id",
            "client_secret": "client-secret",
        }
        token = c.post("/oauth2/token", data=credentials).json()["access_token"]
        c.headers["Authorization"] = f"Bearer {token}"
        fetched = c.get(f"/contacts/{seeded['id']}")
        saved = routera_mapper.snapshot(cast(RouteraContact, fetched.json()))
        seen = statuses(
            fetched,
            c.get("/contacts", params={"archived": "false", "limit": 10, "offset": 0}),
            c.patch(f"/contacts/{seeded['id']}", json={"fields": {"last_name": "Lovelace"}}),
            c.delete(f"/contacts/{seeded['id']}"),
            c.delete(f"/contacts/{seeded['id']}"),  # twice: 404 "already archived"
            c.patch(f"/contacts/{seeded['id']}", json={"fields": {"first_name": "A"}}),  # 409
            c.get("/contacts", params={"archived": "true", "limit": 1}),
            c.post("/contacts", json=dict(routera_mapper.create_body(saved))),
            c.get("/contacts/no-such-contact"),
            c.delete("/contacts/"),
            c.get("/contacts", params={"limit": 101}),
            c.get("/contacts", headers={"Authorization": "Bearer expired-or-forged"}),
        )
    assert seen == [200, 200, 200, 200, 404, 409, 200, 201, 404, 400, 400, 401]
    assert transport.violations == [
        "GET /contacts: limit must be an integer from 1 to 100"  # the request the 400 refuses
    ]
    assert transport.unchecked == [
        "POST /oauth2/token: Routera documents the client-credentials flow but not its token"
        " answer's shape"
    ]


def test_intercom_sandbox_keeps_to_the_spec() -> None:
    sandbox = IntercomSandbox("intercom-token")
    first = sandbox.add_contact(email="ada@example.com", name="Ada Lovelace", external_id="7")
    sandbox.add_contact(email="grace@example.com")
    transport = contract_transport(Vendor.INTERCOM, sandbox)
    headers = {"Authorization": "Bearer intercom-token", "Intercom-Version": "2.10"}
    new = VendorContact(
        vendor=Vendor.INTERCOM, vendor_id="-", email="alan@example.com", first_name="Alan"
    )
    with client(transport, INTERCOM_URL, **headers) as c:
        page = c.get("/contacts", params={"per_page": 1})
        _, cursor = intercom_mapper.list_page(page.json())
        seen = statuses(
            page,
            c.get("/contacts", params={"per_page": 1, "starting_after": cursor}),
            c.get(f"/contacts/{first['id']}"),
            c.post("/contacts", json=dict(intercom_mapper.create_body(new))),
            c.post("/contacts", json=dict(intercom_mapper.create_body(new))),  # 409 duplicate
            c.post(f"/contacts/{first['id']}/archive"),
            c.post(f"/contacts/{first['id']}/archive"),  # twice: 200 again
            c.get(f"/contacts/{first['id']}"),  # archived: 404
            c.post(f"/contacts/{first['id']}/unarchive"),
            c.post("/contacts/no-such-contact/archive"),
            c.get("/contacts", params={"per_page": 0}),
            c.get("/contacts", headers={"Authorization": "Bearer forged"}),
        )
    assert seen == [200, 200, 200, 200, 409, 200, 200, 404, 200, 404, 400, 401]
    assert transport.violations == []
    assert transport.checked == len(seen)


def test_constant_contact_sandbox_keeps_to_the_spec() -> None:
    sandbox = ConstantContactSandbox("cc-token", clock=TickingClock())
    kept = sandbox.add_contact(email="ada@example.com", first_name="Ada", list_ids=LISTS)
    bulk = [sandbox.add_contact()["contact_id"] for _ in range(2)]
    transport = contract_transport(Vendor.CONSTANT_CONTACT, sandbox)
    with client(transport, CONSTANT_CONTACT_URL, Authorization="Bearer cc-token") as c:
        one = f"/v3/contacts/{kept['contact_id']}"
        fetched = c.get(one, params={"include": "list_memberships,custom_fields"})
        saved = constant_contact_mapper.snapshot(cast(ContactResource, fetched.json()))
        page = c.get("/v3/contacts", params={"status": "all", "limit": 2, "include_count": "true"})
        _, following = constant_contact_mapper.list_page(page.json())
        assert following is not None
        created = c.post(
            "/v3/activities/contact_delete",
            json=dict(constant_contact_mapper.bulk_delete_body(bulk)),
        )
        seen = statuses(
            fetched,
            page,
            c.get(following),
            c.get(one),
            c.delete(one),
            c.get(one, params={"include": "list_memberships"}),  # deleted: a `deleted_at` date
            c.get(
                "/v3/contacts",
                params={"status": "deleted", "updated_after": "2024-01-01T00:00:00Z"},
            ),
            c.put(one, json=dict(constant_contact_mapper.revive_body(saved))),
            created,
            c.get(f"/v3/activities/{created.json()['activity_id']}"),
            c.get("/v3/contacts/no-such-contact"),
            c.get("/v3/activities/no-such-activity"),
            c.get("/v3/contacts", params={"limit": 501}),
            c.get("/v3/contacts", headers={"Authorization": "Bearer forged"}),
        )
    assert seen == [200, 200, 200, 200, 204, 200, 200, 200, 201, 200, 404, 404, 400, 401]
    assert (
        transport.violations
        == [
            "GET /contacts: query parameter 'limit': 501 is greater than the maximum of 500"  # the 400's
        ]
    )
    assert transport.checked == len(seen)


def test_a_sandbox_over_loopback_is_checked_against_the_same_contract() -> None:
    sandbox = IntercomSandbox("intercom-token")
    contact = sandbox.add_contact(email="ada@example.com")
    headers = {"Authorization": "Bearer intercom-token", "Intercom-Version": "2.10"}
    with serve(sandbox) as url:
        transport = contract_transport(Vendor.INTERCOM, httpx.HTTPTransport(), base_url=url)
        with client(transport, url, **headers) as c:
            seen = statuses(c.post(f"/contacts/{contact['id']}/archive"), c.get("/contacts/nope"))
    assert seen == [200, 404]
    assert transport.violations == [] and transport.checked == 2


# -- wrong requests are caught ------------------------------------------------------------------


@pytest.fixture
def sequence() -> Iterator[tuple[ContractTransport, httpx.Client]]:
    sandbox = SequenceSandbox("client-id", "client-secret")
    sandbox.add_customer(CUSTOMER)
    transport = contract_transport(Vendor.SEQUENCE, sandbox)
    headers = {"Authorization": basic("client-id", "client-secret")}
    with client(transport, SEQUENCE_URL, **headers) as c:
        yield transport, c


def test_a_request_body_against_the_schema_is_caught(
    sequence: tuple[ContractTransport, httpx.Client],
) -> None:
    transport, c = sequence
    c.post(
        f"/customers/{CUSTOMER}/contacts", json={"name": "Ada", "billingPreference": "SOMETIMES"}
    )
    assert transport.violations == [
        "POST /customers/customer-1/contacts: request body: 'email' is a required property",
        "POST /customers/customer-1/contacts: request body: 'SOMETIMES' is not one of"
        " ['PRIMARY', 'STANDARD', 'NONE'] (at billingPreference)",
    ]


def test_an_unknown_field_in_a_request_body_is_caught() -> None:
    transport = contract_transport(Vendor.INTERCOM, IntercomSandbox("t"))
    with client(
        transport, INTERCOM_URL, Authorization="Bearer t", **{"Intercom-Version": "2.10"}
    ) as c:
        c.post("/contacts", json={"email": "a@example.com", "archived": True})
    assert transport.violations == [
        "POST /contacts: request body: Additional properties are not allowed ('archived' was"
        " unexpected)"
    ]


def test_a_missing_required_header_an_undeclared_query_and_an_unknown_path_are_caught(
    sequence: tuple[ContractTransport, httpx.Client],
) -> None:
    transport, c = sequence
    contacts = f"/customers/{CUSTOMER}/contacts"
    c.get(contacts, params={"includeArchive": "true"})  # a typo
    c.delete(f"{contacts}/some-id")  # Sequence has no DELETE for contacts
    with client(transport, SEQUENCE_URL) as anonymous:
        anonymous.get(contacts)
    assert transport.violations == [
        "GET /customers/customer-1/contacts: query parameter 'includeArchive' is not declared",
        "DELETE /customers/customer-1/contacts/some-id: Operation delete not found for"
        " https://sandbox.sequencehq.com/api/customers/customer-1/contacts/some-id",
        "GET /customers/customer-1/contacts: Missing required header parameter: Authorization",
    ]


def test_a_routera_body_without_its_fields_wrapper_and_a_missing_token_are_caught() -> None:
    transport = contract_transport(Vendor.ROUTERA, RouteraSandbox())
    with client(transport, ROUTERA_URL) as c:
        c.post("/contacts", json={"first_name": "Ada"})
    assert transport.violations == [
        "POST /contacts: no `Authorization: Bearer <JWT>` header",
        "POST /contacts: request body fields: Field required",
        "POST /contacts: request body first_name: Extra inputs are not permitted",
    ]


def test_a_request_outside_the_api_is_a_violation_and_an_unspecified_one_is_only_noted() -> None:
    transport = ContractTransport(
        httpx.MockTransport(lambda request: httpx.Response(200)),
        contract_for(Vendor.CONSTANT_CONTACT),
        base_url="http://127.0.0.1:8123/v3",
    )
    with httpx.Client(transport=transport) as c:
        c.post("https://authz.constantcontact.com/oauth2/default/v1/token")
        c.get("http://127.0.0.1:8123/v2/contacts")
    assert transport.violations == [
        "GET http://127.0.0.1:8123/v2/contacts: outside http://127.0.0.1:8123/v3 and not listed"
        " as unspecified for constant_contact"
    ]
    assert len(transport.unchecked) == 1 and transport.checked == 0


# -- wrong answers are caught -------------------------------------------------------------------


def test_an_archive_answer_missing_a_required_field_is_caught() -> None:
    # contact_archived declares no `required` in 2.10; the contract requires type, id, archived.
    transport = answering(Vendor.INTERCOM, 200, {"type": "contact", "id": "1"})
    with client(transport, INTERCOM_URL, Authorization="Bearer t") as c:
        c.post("/contacts/1/archive")
    assert transport.violations == [
        "POST /contacts/1/archive -> 200: response body: 'archived' is a required property"
    ]


def test_a_deleted_at_timestamp_and_an_invented_status_property_are_caught() -> None:
    contact = {
        "contact_id": "04fe9a97-a579-43c5-bb1a-58ed29bf0a6a",
        "deleted_at": "2026-03-17T12:00:00+00:00",  # the spec says a date
        "status": "deleted",  # contacts have no status property
    }
    transport = answering(Vendor.CONSTANT_CONTACT, 200, contact)
    with client(transport, CONSTANT_CONTACT_URL, Authorization="Bearer t") as c:
        c.get(f"/v3/contacts/{contact['contact_id']}")
    assert transport.violations == [
        f"GET /contacts/{contact['contact_id']} -> 200: response body:"
        " '2026-03-17T12:00:00+00:00' is not a 'date' (at deleted_at)",
        f"GET /contacts/{contact['contact_id']} -> 200: response body: Additional properties are"
        " not allowed ('status' was unexpected)",
    ]


def test_an_undeclared_status_is_caught_and_a_tolerated_one_still_has_its_body_checked() -> None:
    teapot = answering(Vendor.SEQUENCE, 418, {"message": "short and stout"})
    with client(teapot, SEQUENCE_URL, Authorization="Basic eA==") as c:
        c.get(f"/customers/{CUSTOMER}/contacts")
    assert teapot.violations == [
        "GET /customers/customer-1/contacts -> 418: Unknown response http status: 418"
    ]
    # Intercom's 404 is tolerated where 2.10 does not declare it, but only as an error.list.
    not_found = answering(Vendor.INTERCOM, 404, {"message": "not found"})
    with client(not_found, INTERCOM_URL, Authorization="Bearer t") as c:
        c.post("/contacts/1/archive")
    assert not_found.violations == [
        "POST /contacts/1/archive -> 404: response body: Additional properties are not allowed"
        " ('message' was unexpected)",
        "POST /contacts/1/archive -> 404: response body: 'type' is a required property",
        "POST /contacts/1/archive -> 404: response body: 'errors' is a required property",
    ]


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (
            {"id": "1", "created_at": "x", "updated_at": "x", "archived": 1},
            "archived/bool: Input should be a valid boolean",
        ),
        (
            {"id": "1", "created_at": "x", "updated_at": "x", "archived": "yesterday"},
            "archived 'yesterday' is not a timestamp",
        ),
        (
            {
                "id": "1",
                "created_at": "x",
                "updated_at": "x",
                "archived": False,
                "archived_by": "me",
            },
            "archived_by only when archived",
        ),
    ],
    ids=["archived-not-bool-or-text", "archived-not-a-timestamp", "archived-by-while-active"],
)
def test_a_routera_contact_off_its_documented_shape_is_caught(
    answer: dict[str, Any], problem: str
) -> None:
    transport = answering(Vendor.ROUTERA, 200, answer)
    with client(transport, ROUTERA_URL, Authorization="Bearer t") as c:
        c.get("/contacts/1")
    assert any(problem in violation for violation in transport.violations), transport.violations


def test_an_error_body_off_the_vendors_shape_is_caught() -> None:
    constant_contact = answering(Vendor.CONSTANT_CONTACT, 404, {"error": "nope"})
    with client(constant_contact, CONSTANT_CONTACT_URL, Authorization="Bearer t") as c:
        c.get("/v3/contacts/1")
    routera = answering(Vendor.ROUTERA, 404, {"error": "nope"})
    with client(routera, ROUTERA_URL, Authorization="Bearer t") as c:
        c.get("/contacts/1")
    assert constant_contact.violations == [
        "GET /contacts/1 -> 404: response body: {'error': 'nope'} is not of type 'array'"
    ]
    assert routera.violations == [
        "GET /contacts/1 -> 404: response body message: Field required",
        "GET /contacts/1 -> 404: response body error: Input should be a valid boolean",
    ]
