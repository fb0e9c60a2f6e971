"""Bulk jobs on moto: JobsFunction's routes and JobWorkerFunction's units, with the jobs queue
in moto's SQS. The contacts here have no vendor links (the ledger's part of a job); the vendors'
part runs in the local stack (tests/dynamodb_local/test_bulk_jobs.py)."""

from __future__ import annotations

import json
from typing import Any
from unittest.mock import patch

import pytest

from contact_archive.jobs.queue import JobQueue
from contact_archive.ledger.store import LedgerStore
from tests.ledger_helpers import TENANT, register
from tests.support import API_TENANT, Functions, api_event, body_of, load_event

pytestmark = pytest.mark.usefixtures("ledger_table")


@pytest.fixture
def jobs(store: LedgerStore, queue: Any) -> Functions:
    return Functions("jobs", "job_worker", "list")


def submit(jobs: Functions, body: dict[str, Any], **headers: str) -> dict[str, Any]:
    """POST /jobs; the sample's Idempotency-Key only when the test gives one."""
    event = api_event("submit_job", body=body, headers=headers or None)
    if not headers:
        event["headers"].pop("Idempotency-Key")
        event["multiValueHeaders"].pop("Idempotency-Key")
    response = jobs("jobs", event)
    assert response["statusCode"] == 202, response["body"]
    return dict(body_of(response))


def work(jobs: Functions, queue: Any, *, repeat: int = 1) -> int:
    """Deliver every queued message to JobWorkerFunction (each `repeat` times, as SQS may)."""
    sqs, url = queue
    delivered = 0
    while True:
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return delivered
        for message in messages:
            event = load_event("job_unit_message")
            record = event["Records"][0] | {
                "messageId": message["MessageId"],
                "body": message["Body"],
            }
            for _ in range(repeat):
                response = jobs("job_worker", {"Records": [record]})
                assert response == {"batchItemFailures": []}
                delivered += 1
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def job(jobs: Functions, job_id: str) -> dict[str, Any]:
    event = api_event("get_job")
    event["pathParameters"] = {"job_id": job_id}
    event["path"] = f"/jobs/{job_id}"
    response = jobs("jobs", event)
    assert response["statusCode"] == 200, response["body"]
    return dict(body_of(response))


def test_a_job_archives_the_named_contacts_once_however_often_its_unit_comes(
    store: LedgerStore, jobs: Functions, queue: Any
) -> None:
    # Given three contacts without vendor links
    for contact_id in ("c-1", "c-2", "c-3"):
        register(store, contact_id, [], tenant=API_TENANT)
    # When a job archives them and an unknown id, and its unit is delivered three times
    queued = submit(
        jobs,
        {"action": "archive", "reason": "churned", "contact_ids": ["c-1", "c-2", "c-3", "c-404"]},
    )
    assert queued["status"] == "queued" and queued["counts"]["total"] == 4
    work(jobs, queue, repeat=3)
    # Then the job succeeded: three archived, the unknown id skipped
    done = job(jobs, queued["job_id"])
    assert done["status"] == "succeeded"
    assert done["counts"] == {"total": 4, "succeeded": 3, "failed": 0, "skipped": 1, "pending": 0}
    for contact_id in ("c-1", "c-2", "c-3"):
        contact = store.contacts.get(API_TENANT, contact_id)
        assert contact is not None and contact.status.value == "archived"
        archived = [
            e
            for e in store.history.get(API_TENANT, contact_id) or []
            if e.action.value == "archived"
        ]
        assert len(archived) == 1  # changed once, not three times
        assert archived[0].details == {"links": "all", "job_id": queued["job_id"]}


def test_emails_match_in_any_case_and_vendor_ids_through_their_refs(
    store: LedgerStore, jobs: Functions, queue: Any
) -> None:
    register(store, "c-1", [], tenant=API_TENANT, email="Grace@Example.com")
    register(store, "c-2", [], tenant=API_TENANT, email="ada@example.com")
    queued = submit(
        jobs, {"action": "archive", "emails": ["grace@EXAMPLE.com", "nobody@example.com"]}
    )
    work(jobs, queue)
    done = job(jobs, queued["job_id"])
    assert done["counts"] == {"total": 2, "succeeded": 1, "failed": 0, "skipped": 1, "pending": 0}
    assert store.contacts.get(API_TENANT, "c-2").status.value == "active"  # type: ignore[union-attr]


def test_a_filter_is_cut_into_units_and_one_that_matches_nobody_succeeds_empty(
    store: LedgerStore, jobs: Functions, queue: Any
) -> None:
    for number in range(7):
        register(
            store,
            f"c-{number}",
            [],
            tenant=API_TENANT,
            email=f"p{number}@{'acme.test' if number % 2 else 'example.com'}",
        )
    queued = submit(
        jobs, {"action": "archive", "filter": {"status": "active", "email_domain": "acme.test"}}
    )
    assert queued["counts"]["total"] is None  # not known before the filter is cut
    work(jobs, queue)
    done = job(jobs, queued["job_id"])
    assert done["status"] == "succeeded" and done["counts"]["succeeded"] == 3
    empty = submit(
        jobs,
        {"action": "restore", "filter": {"status": "archived", "email_domain": "nowhere.test"}},
    )
    work(jobs, queue)
    assert job(jobs, empty["job_id"])["status"] == "succeeded"
    assert job(jobs, empty["job_id"])["counts"]["total"] == 0


def test_a_cancelled_job_starts_nothing_more(
    store: LedgerStore, jobs: Functions, queue: Any
) -> None:
    register(store, "c-1", [], tenant=API_TENANT)
    queued = submit(jobs, {"action": "archive", "contact_ids": ["c-1"]})
    event = api_event("cancel_job")
    event["pathParameters"] = {"job_id": queued["job_id"]}
    event["path"] = f"/jobs/{queued['job_id']}/cancel"
    cancelled = jobs("jobs", event)
    assert cancelled["statusCode"] == 200 and body_of(cancelled)["status"] == "cancelled"
    work(jobs, queue)
    assert store.contacts.get(API_TENANT, "c-1").status.value == "active"  # type: ignore[union-attr]
    done = job(jobs, queued["job_id"])
    assert done["status"] == "cancelled" and done["counts"]["skipped"] == 1
    again = jobs("jobs", event)
    assert again["statusCode"] == 409 and body_of(again)["error"]["code"] == "job_finished"


def test_the_same_idempotency_key_gives_the_same_job_and_jobs_are_listed(
    store: LedgerStore, jobs: Functions, queue: Any
) -> None:
    body = {"action": "archive", "contact_ids": ["c-1"]}
    first = submit(jobs, body, **{"Idempotency-Key": "k-1"})
    second = submit(jobs, body, **{"Idempotency-Key": "k-1"})
    assert first["job_id"] == second["job_id"]
    listed = body_of(jobs("jobs", api_event("list_jobs")))
    assert [item["job_id"] for item in listed["items"]] == [first["job_id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "archive"}, "body"),
        ({"action": "archive", "contact_ids": ["c-1"], "emails": ["a@example.com"]}, "body"),
        ({"action": "archive", "contact_ids": []}, "contact_ids"),
        ({"action": "archive", "contact_ids": [f"c-{n}" for n in range(10_001)]}, "contact_ids"),
        ({"action": "archive", "emails": ["not an email"]}, "emails"),
        ({"action": "delete", "contact_ids": ["c-1"]}, "action"),
        ({"action": "archive", "filter": {"scope": "cust-1"}}, "filter"),
    ],
)
def test_an_invalid_job_is_a_422_naming_the_field_and_queues_nothing(
    jobs: Functions, queue: Any, body: dict[str, Any], field: str
) -> None:
    event = api_event(
        "submit_job", body=body, headers={"Idempotency-Key": f"k-{field}-{len(body)}"}
    )
    response = jobs("jobs", event)
    assert response["statusCode"] == 422
    assert field in json.dumps(body_of(response)["error"])
    sqs, url = queue
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []


def test_an_unknown_job_is_a_404(jobs: Functions) -> None:
    response = jobs("jobs", api_event("get_job"))
    assert response["statusCode"] == 404
    assert body_of(response)["error"]["code"] == "job_not_found"
    assert TENANT  # the helpers' tenant is not the API's: jobs are per tenant


def test_a_unit_failing_its_last_delivery_is_given_up_and_the_job_fails(
    store: LedgerStore, jobs: Functions, queue: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a job whose unit cannot be applied (the ledger refuses every time)
    from contact_archive.jobs import worker

    def refused(*_: Any, **__: Any) -> None:
        raise RuntimeError("the ledger refused")

    monkeypatch.setattr(worker, "apply_unit", refused)
    queued = submit(jobs, {"action": "archive", "contact_ids": ["c-1", "c-2"]})
    sqs, url = queue
    (message,) = sqs.receive_message(QueueUrl=url).get("Messages", [])
    record = load_event("job_unit_message")["Records"][0] | {"body": message["Body"]}

    # When it fails before its last delivery, then on its last
    early = jobs("job_worker", {"Records": [record]})
    record["attributes"] = record["attributes"] | {"ApproximateReceiveCount": "5"}
    last = jobs("job_worker", {"Records": [record]})

    # Then the first comes again (reported failed), the last is given up: the job failed
    assert early["batchItemFailures"] == [{"itemIdentifier": record["messageId"]}]
    assert last == {"batchItemFailures": []}
    done = job(jobs, queued["job_id"])
    assert done["status"] == "failed"
    assert done["counts"] == {"total": 2, "succeeded": 0, "failed": 2, "skipped": 0, "pending": 0}
    assert done["failures"][0]["reason"].startswith("job_unit_failed: RuntimeError")


def test_a_vendor_filter_selects_each_contact_once_though_the_job_moves_them_between_statuses(
    store: LedgerStore, jobs: Functions, queue: Any
) -> None:
    # Given three contacts at Constant Contact, one of them archived already
    from contact_archive.contacts.changes import ChangeCommand, archive_contact
    from contact_archive.contacts.register import LinkInput
    from contact_archive.ledger.models import Vendor
    from tests.ledger_helpers import ALICE

    for number in range(3):
        link = LinkInput(Vendor.CONSTANT_CONTACT, f"cc-{number}")
        register(store, f"c-{number}", [link], tenant=API_TENANT)
    archive_contact(store, ChangeCommand(tenant_id=API_TENANT, contact_id="c-0", actor=ALICE))
    # When a job archives every contact linked to the vendor (the tenant has no credentials
    # for it here: the links fail at once, and the job still settles)
    queued = submit(jobs, {"action": "archive", "filter": {"vendor": "constant_contact"}})
    work(jobs, queue, repeat=2)
    # Then the two not archived yet were selected, once each
    done = job(jobs, queued["job_id"])
    assert done["counts"]["total"] == 2
    assert done["vendors_counts"]["constant_contact"]["total"] == 2
    assert done["counts"]["failed"] == 2  # vendor_not_configured, counted, not hidden
    assert {f["contact_id"] for f in done["failures"]} == {"c-1", "c-2"}


def test_a_job_whose_work_cannot_be_queued_fails_at_once_and_its_key_can_be_used_again(
    store: LedgerStore, jobs: Functions, queue: Any
) -> None:
    # Given SQS refusing the job's messages
    body = {"action": "archive", "contact_ids": ["c-1"]}
    event = api_event("submit_job", body=body, headers={"Idempotency-Key": "retry-me"})
    with patch.object(JobQueue, "send", side_effect=RuntimeError("the queue is down")):
        # When a job is submitted
        response = jobs("jobs", event)
    # Then the request is a 424 saying so, and the job it made is failed, not queued for ever
    assert (response["statusCode"], body_of(response)["error"]["code"]) == (424, "job_not_queued")
    (listed,) = body_of(jobs("jobs", api_event("list_jobs")))["items"]
    assert listed["status"] == "failed"
    assert listed["failures"][0]["reason"] == "job_not_queued: SQS refused"
    # And the same request with the same key, once SQS is back, starts the job
    again = jobs("jobs", event)
    assert again["statusCode"] == 202 and body_of(again)["status"] == "queued"
