"""A unit whose links are still on their way is looked at again later, one look at a time
however often SQS delivers each message (moto): every copy of a message sending its own next
look would double the looks at each round of duplicates."""

from __future__ import annotations

import json
from typing import Any

import pytest

from contact_archive import dependencies
from contact_archive.contacts.register import LinkInput
from contact_archive.ledger.models import LinkState, Vendor
from contact_archive.ledger.store import LedgerStore
from devtools.sandboxes.stack import SandboxStack
from tests.ledger_helpers import register, sandbox_clients
from tests.support import API_TENANT, Functions, api_event, body_of, load_event

pytestmark = pytest.mark.usefixtures("ledger_table")


@pytest.fixture
def jobs(
    store: LedgerStore, queue: Any, stack: SandboxStack, monkeypatch: pytest.MonkeyPatch
) -> Functions:
    """JobsFunction and JobWorkerFunction, the worker's vendor clients at the sandboxes."""
    clients = sandbox_clients(stack, stack.credentials(API_TENANT))
    monkeypatch.setattr(dependencies, "get_vendor_clients", lambda: clients)
    return Functions("jobs", "job_worker")


def queued_messages(queue: tuple[Any, str]) -> list[dict[str, Any]]:
    """Every message waiting in the queue, taken off it."""
    sqs, url = queue
    taken: list[dict[str, Any]] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        taken += messages
    return taken


def deliver_twice(jobs: Functions, message: dict[str, Any]) -> None:
    record = load_event("job_unit_message")["Records"][0] | {
        "messageId": message["MessageId"],
        "body": message["Body"],
    }
    for _ in range(2):
        assert jobs("job_worker", {"Records": [record]}) == {"batchItemFailures": []}


def test_each_look_is_sent_once_when_every_message_comes_twice(
    store: LedgerStore, jobs: Functions, queue: tuple[Any, str], stack: SandboxStack
) -> None:
    # Given a job archiving a contact whose Routera link stays on its way (Routera answers
    # 503), its unit message taken off the queue
    routera_id = stack.routera.add_contact(email="c1@example.com")["id"]
    register(store, "c-1", [LinkInput(Vendor.ROUTERA, routera_id)], tenant=API_TENANT)
    stack.faults.server_error_rate = 1.0
    event = api_event("submit_job", body={"action": "archive", "contact_ids": ["c-1"]})
    event["headers"].pop("Idempotency-Key")
    event["multiValueHeaders"].pop("Idempotency-Key")
    assert jobs("jobs", event)["statusCode"] == 202
    (unit_message,) = queued_messages(queue)

    # When the unit message comes twice, and then the look it sent comes twice
    deliver_twice(jobs, unit_message)
    first_looks = queued_messages(queue)
    deliver_twice(jobs, first_looks[0])
    second_looks = queued_messages(queue)

    # Then each round sent one next look, the looks counted on
    assert [json.loads(m["Body"])["total"] for m in first_looks] == [1]
    assert [json.loads(m["Body"])["total"] for m in second_looks] == [2]
    job_id = json.loads(unit_message["Body"])["job_id"]
    assert job_status(jobs, job_id) == "running"
    contact = store.contacts.get(API_TENANT, "c-1")
    assert contact is not None and contact.link_state("routera") is LinkState.ARCHIVING

    # And once Routera is back, the next look carries the link itself: the job succeeds
    stack.faults.server_error_rate = 0.0
    deliver_twice(jobs, second_looks[0])
    assert job_status(jobs, job_id) == "succeeded"
    contact = store.contacts.get(API_TENANT, "c-1")
    assert contact is not None and contact.link_state("routera") is LinkState.ARCHIVED
    assert (stack.routera.contact(routera_id) or {}).get("archived")  # Routera archived her


def job_status(jobs: Functions, job_id: str) -> str:
    get = api_event("get_job")
    get["pathParameters"] = {"job_id": job_id}
    get["path"] = f"/jobs/{job_id}"
    return str(body_of(jobs("jobs", get))["status"])
