"""Erasure through the functions as Lambda runs them (moto's table, the vendor sandboxes):
`POST /contacts/{contact_id}/erase` leaves a tombstone and no item holding the person's data;
the tombstone's stream record has Intercom delete its contact and Sequence archive its own; an
import does not bring the person back."""

from __future__ import annotations

import json
import zlib
from typing import Any

import pytest

from contact_archive import dependencies
from contact_archive.config import get_settings
from contact_archive.contacts.changes import archive_contact, restore_contact
from contact_archive.ledger.store import LedgerStore
from contact_archive.ledger.store.jobs import unpack
from devtools.sandboxes.stack import SandboxStack
from tests.integration.test_jobs import job, submit
from tests.ledger_helpers import CUSTOMER, change, sandbox_clients
from tests.support import API_TENANT, Functions, api_event, body_of, load_event, stream_record

EMAIL = "grace.hopper@example.com"
PERSONAL = ("grace", "hopper")  # the email's and names' parts, in any case
CONTACT = "c-1001"


@pytest.fixture
def service(store: LedgerStore, stack: SandboxStack, monkeypatch: pytest.MonkeyPatch) -> Functions:
    """The API's functions and SyncFunction, their vendor clients at the sandboxes."""
    clients = sandbox_clients(stack, stack.credentials(API_TENANT))
    monkeypatch.setattr(dependencies, "get_vendor_clients", lambda: clients)
    # The import route took its own name for it when first imported
    monkeypatch.setattr("contact_archive.api.register_routes.get_vendor_clients", lambda: clients)
    monkeypatch.setenv("EVENT_BUS_NAME", "contact-archive-test")
    get_settings.cache_clear()
    return Functions("archive", "list", "register", "sync")


@pytest.fixture
def grace(service: Functions, store: LedgerStore, stack: SandboxStack) -> dict[str, str]:
    """Grace, at Intercom and at Sequence, registered; archived once with an Idempotency-Key
    (the response kept for it shows her), then archived and restored until her history spilled
    into pages. Her vendor ids, by vendor."""
    intercom = stack.intercom.add_contact(email=EMAIL, name="Grace Hopper")["id"]
    sequence = stack.sequence.add_contact(CUSTOMER, name="Grace Hopper", email=EMAIL)["id"]
    body = {
        "email": EMAIL,
        "first_name": "Grace",
        "last_name": "Hopper",
        "links": [
            {"vendor": "intercom", "vendor_id": intercom},
            {"vendor": "sequence", "vendor_id": sequence, "scope": CUSTOMER},
        ],
    }
    assert service("register", api_event("register_contact", body=body))["statusCode"] == 201
    keyed = api_event("archive_contact", headers={"Idempotency-Key": "offboarding-7"})
    assert service("archive", keyed)["statusCode"] == 200
    for _ in range(16):
        restore_contact(store, change(CONTACT, tenant=API_TENANT))
        archive_contact(store, change(CONTACT, tenant=API_TENANT))
    assert any(item["type"]["S"] == "history_page" for item in every_item(store))
    return {"intercom": intercom, "sequence": sequence}


def every_item(store: LedgerStore) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    scan: dict[str, Any] = {"TableName": store.table.name}
    while True:
        page = store.client.scan(**scan)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def holding_her_data(store: LedgerStore) -> list[str]:
    """The keys of the items whose text holds any part of her email or names (compressed
    binary attributes, a job's units, read uncompressed)."""
    return [
        f"{item['pk']['S']} {item['sk']['S']}"
        for item in every_item(store)
        if any(part in json.dumps(item, default=_text).lower() for part in PERSONAL)
    ]


def _text(value: Any) -> str:
    raw = bytes(value)
    try:
        return json.dumps(unpack(raw))
    except (zlib.error, ValueError):
        return raw.decode("latin-1")


def test_an_erased_contact_leaves_only_a_tombstone_and_answers_410(
    service: Functions, store: LedgerStore, grace: dict[str, str]
) -> None:
    # Given Grace's data in her contact item and in the response kept for a key, and her
    # history beside it in pages
    assert [key.rpartition(" ")[2] for key in holding_her_data(store)] == ["CONTACT", "IDEMPOTENCY"]
    # When she is erased
    response = service("register", api_event("erase_contact"))
    # Then the answer is her tombstone, her vendors still to be asked
    assert response["statusCode"] == 202, response["body"]
    tombstone = body_of(response)
    assert tombstone["status"] == "erased"
    assert tombstone["reason"] == "GDPR erasure request #4411"
    assert {link["vendor"]: link["state"] for link in tombstone["links"]} == {
        "intercom": "erasing",
        "sequence": "erasing",
    }
    # And no item of the table holds her email or names, and nothing of her history is left
    assert holding_her_data(store) == []
    assert {item["type"]["S"] for item in every_item(store)} == {"erased_contact", "erased_email"}
    # And every route that names her answers 410, changing nothing
    before = every_item(store)
    for function, event in (
        ("list", api_event("get_contact")),
        ("list", api_event("contact_history")),
        ("archive", api_event("archive_contact")),
        ("register", api_event("register_contact")),
        ("register", api_event("retry_sync")),
    ):
        gone = service(function, event)
        assert (gone["statusCode"], body_of(gone)["error"]["code"]) == (410, "contact_erased")
    assert every_item(store) == before
    # And no listing or lookup finds her
    listed = body_of(service("list", api_event("list_contacts", query={"status": "all"})))
    assert listed["items"] == []
    by_email = service("list", api_event("list_contacts", query={"email": EMAIL}))
    assert body_of(by_email)["items"] == []
    by_vendor_id = api_event(
        "list_contacts", query={"vendor": "intercom", "vendor_id": grace["intercom"]}
    )
    assert body_of(service("list", by_vendor_id))["items"] == []
    # And erasing her again answers the same tombstone, writing nothing
    again = service("register", api_event("erase_contact"))
    assert (again["statusCode"], body_of(again)) == (202, tombstone)
    assert every_item(store) == before


def test_the_tombstones_record_has_intercom_delete_and_sequence_archive_once(
    service: Functions, store: LedgerStore, stack: SandboxStack, grace: dict[str, str]
) -> None:
    # Given Grace erased
    assert service("register", api_event("erase_contact"))["statusCode"] == 202
    (item,) = [i for i in every_item(store) if i["type"]["S"] == "erased_contact"]
    # When SyncFunction gets the tombstone's stream record
    assert service("sync", {"Records": [stream_record(item)]}) == {"batchItemFailures": []}
    # Then Intercom deleted her for good and Sequence archived her
    assert stack.intercom.contact(grace["intercom"]) is None
    sequence = stack.sequence.contact(CUSTOMER, grace["sequence"])
    assert sequence is not None and sequence.get("archivedAt")
    # And the tombstone says so, out of the due index
    tombstone = body_of(service("register", api_event("erase_contact")))
    assert {link["vendor"]: link["state"] for link in tombstone["links"]} == {
        "intercom": "deleted",
        "sequence": "archived",
    }
    (settled,) = [i for i in every_item(store) if i["type"]["S"] == "erased_contact"]
    assert "due_pk" not in settled
    # And the same record again asks no vendor anything
    requests = len(stack.intercom.requests) + len(stack.sequence.requests)
    assert service("sync", {"Records": [stream_record(item, "101")]}) == {"batchItemFailures": []}
    assert len(stack.intercom.requests) + len(stack.sequence.requests) == requests


def test_an_import_does_not_bring_an_erased_person_back(
    service: Functions, store: LedgerStore, stack: SandboxStack, grace: dict[str, str]
) -> None:
    # Given Grace erased, and then added to Intercom again by someone else, in another case
    assert service("register", api_event("erase_contact"))["statusCode"] == 202
    stack.intercom.add_contact(email=EMAIL.upper(), name="Grace Hopper")
    # When Intercom's contacts are imported
    response = service("register", api_event("import_contacts", body={"vendor": "intercom"}))
    # Then she is skipped as erased (both her Intercom contacts: no stream record ran here to
    # delete the first), and nothing holds her data again
    assert response["statusCode"] == 200, response["body"]
    assert (body_of(response)["created"], body_of(response)["skipped_erased"]) == (0, 2)
    assert holding_her_data(store) == []


def test_erasing_an_unknown_contact_is_a_404(service: Functions) -> None:
    response = service("register", api_event("erase_contact", contact_id="nobody"))
    assert (response["statusCode"], body_of(response)["error"]["code"]) == (
        404,
        "contact_not_found",
    )


def deliver_queued(jobs: Functions, queue: Any, *, repeat: int = 1) -> int:
    """Deliver the messages queued now (not those their delivery sends: a unit still waiting
    for its vendors sends its next look at once here), each `repeat` times."""
    sqs, url = queue
    taken: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        taken += batch
    for message in taken:
        record = load_event("job_unit_message")["Records"][0] | {
            "messageId": message["MessageId"],
            "body": message["Body"],
        }
        for _ in range(repeat):
            assert jobs("job_worker", {"Records": [record]}) == {"batchItemFailures": []}
    return len(taken)


def test_a_bulk_job_erases_by_email_and_succeeds_once_the_vendors_answered(
    service: Functions, store: LedgerStore, stack: SandboxStack, grace: dict[str, str], queue: Any
) -> None:
    # Given Grace, and an erasure job naming her by email and an unknown email
    jobs = Functions("jobs", "job_worker")
    queued = submit(
        jobs, {"action": "erase", "reason": "deletion requests", "emails": [EMAIL, "x@y.z"]}
    )
    # When its unit comes twice
    assert deliver_queued(jobs, queue, repeat=2) == 1
    # Then she is erased once, by the job, and the job waits for her vendors
    tombstone = store.erasures.get(API_TENANT, CONTACT)
    assert tombstone is not None and tombstone.source == f"job:{queued['job_id']}"
    assert holding_her_data(store) == []
    assert job(jobs, queued["job_id"])["status"] == "running"
    # When the tombstone's stream record reaches SyncFunction, and the unit is looked at again
    (item,) = [i for i in every_item(store) if i["type"]["S"] == "erased_contact"]
    assert service("sync", {"Records": [stream_record(item)]}) == {"batchItemFailures": []}
    assert deliver_queued(jobs, queue) == 1
    # Then the job succeeded: her two links erased at their vendors, the unknown email skipped
    done = job(jobs, queued["job_id"])
    assert done["status"] == "succeeded"
    assert done["counts"] == {"total": 2, "succeeded": 1, "failed": 0, "skipped": 1, "pending": 0}
    assert {vendor: t["succeeded"] for vendor, t in done["vendors_counts"].items()} == {
        "intercom": 1,
        "sequence": 1,
    }
    assert stack.intercom.contact(grace["intercom"]) is None


def test_an_erasure_job_that_names_links_is_a_422(service: Functions, queue: Any) -> None:
    jobs = Functions("jobs")
    event = api_event(
        "submit_job", body={"action": "erase", "contact_ids": [CONTACT], "vendors": ["intercom"]}
    )
    response = jobs("jobs", event)
    assert response["statusCode"] == 422
    assert "vendors" in response["body"]
