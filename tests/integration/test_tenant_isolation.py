"""Tenant isolation through every route (moto, the functions as Lambda runs them): another
tenant's caller, naming the owner's contact, job, email, external id or vendor ids in every way
the API takes, sees none of the owner's data and changes none of the owner's items."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from contact_archive.config import get_settings
from contact_archive.ledger.store import LedgerStore
from tests.support import API_TENANT, Functions, api_event, body_of, load_event

OWNER = API_TENANT  # the samples' tenant: Ada (c-1001) is registered by `register_contact`
INTRUDER = "tenant-intruder"
INTERCOM_ID = "6650a1b2c3d4e5f6a7b8c9d0"
# What of the owner's no answer to the intruder may hold (any case)
OWNER_MARKERS = ("ada@", "lovelace", "crm-42", "seq-contact-1", "rt-77", INTERCOM_ID, "1618ae62")


@pytest.fixture
def api(store: LedgerStore, monkeypatch: pytest.MonkeyPatch, ledger_table: Any) -> Functions:
    url = boto3.client("sqs").create_queue(QueueName="jobs")["QueueUrl"]
    monkeypatch.setenv("JOB_QUEUE_URL", url)
    monkeypatch.setenv("JOB_CHECK_SECONDS", "0")
    get_settings.cache_clear()
    return Functions("archive", "restore", "list", "register", "jobs", "job_worker")


def owner_items(store: LedgerStore) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    scan: dict[str, Any] = {"TableName": store.table.name, "ConsistentRead": True}
    while True:
        page = store.client.scan(**scan)
        items += [i for i in page["Items"] if f"TENANT#{OWNER}#" in i["pk"]["S"]]
        if "LastEvaluatedKey" not in page:
            return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))
        scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def as_intruder(name: str, **options: Any) -> dict[str, Any]:
    return api_event(name, tenant=INTRUDER, **options)


def job_event(name: str, job_id: str) -> dict[str, Any]:
    event = as_intruder(name)
    event["pathParameters"] = {"job_id": job_id}
    event["path"] = event["resource"].replace("{job_id}", job_id)
    return event


def work(api: Functions) -> None:
    """Deliver the jobs queue's messages now there, once each."""
    sqs = boto3.client("sqs")
    url = get_settings().job_queue_url or ""
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            record = load_event("job_unit_message")["Records"][0] | {"body": message["Body"]}
            assert api("job_worker", {"Records": [record]}) == {"batchItemFailures": []}


def test_another_tenant_sees_and_changes_nothing_of_the_owners(
    api: Functions, store: LedgerStore
) -> None:
    # Given the owner's Ada, archived once with an Idempotency-Key, and the owner's job
    assert api("register", load_event("register_contact"))["statusCode"] == 201
    keyed = api_event("archive_contact", headers={"Idempotency-Key": "owner-key-1"})
    assert api("archive", keyed)["statusCode"] == 200
    owner_job = body_of(api("jobs", load_event("submit_job")))["job_id"]
    work(api)
    before = owner_items(store)
    not_found = {404}
    # When the intruder names them in every way the API takes
    attempts: list[tuple[str, str, dict[str, Any], set[int]]] = [
        ("GET /contacts/{id}", "list", as_intruder("get_contact"), not_found),
        ("GET /contacts/{id}/history", "list", as_intruder("contact_history"), not_found),
        ("GET /contacts/resolve", "list", as_intruder("resolve_contact"), not_found),
        (
            "GET /contacts/resolve",
            "list",
            as_intruder("resolve_contact", query={"email": "ada@example.com"}),
            not_found,
        ),
        ("GET /contacts", "list", as_intruder("list_contacts", query={"status": "all"}), {200}),
        (
            "GET /contacts",
            "list",
            as_intruder("list_contacts", query={"email": "ADA@example.com"}),
            {200},
        ),
        (
            "GET /contacts",
            "list",
            as_intruder("list_contacts", query={"vendor": "intercom", "vendor_id": INTERCOM_ID}),
            {200},
        ),
        (
            "GET /contacts",
            "list",
            as_intruder("list_contacts", query={"external_id": "crm-42", "status": "all"}),
            {200},
        ),
        ("POST /contacts/{id}/archive", "archive", as_intruder("archive_contact"), not_found),
        ("POST /contacts/{id}/restore", "restore", as_intruder("restore_contact"), not_found),
        ("POST /contacts/archive", "archive", as_intruder("archive_contact_by_email"), not_found),
        (
            "POST /contacts/restore",
            "restore",
            as_intruder("restore_contact_by_vendor_id"),
            not_found,
        ),
        # The owner's key, with the owner's request: a key is the tenant's own
        (
            "POST /contacts/{id}/archive",
            "archive",
            as_intruder("archive_contact", headers={"Idempotency-Key": "owner-key-1"}),
            not_found,
        ),
        ("POST /contacts/{id}/sync", "register", as_intruder("retry_sync"), not_found),
        ("POST /contacts/{id}/erase", "register", as_intruder("erase_contact"), not_found),
        (
            "PUT /contacts/{id}",
            "register",
            as_intruder("register_contact", body={"email": "eve@example.com", "links": []}),
            {201},
        ),
        ("GET /jobs/{id}", "jobs", job_event("get_job", owner_job), not_found),
        ("POST /jobs/{id}/cancel", "jobs", job_event("cancel_job", owner_job), not_found),
        ("GET /jobs", "jobs", as_intruder("list_jobs"), {200}),
        ("PUT /settings", "register", as_intruder("put_settings"), {200}),
        ("GET /settings", "register", as_intruder("get_settings"), {200}),
        ("POST /contacts/import", "register", as_intruder("import_contacts"), {409}),
    ]
    for number, selector in enumerate(
        (
            {"contact_ids": ["c-1001"]},
            {"emails": ["ada@example.com"]},
            {"vendor_ids": [{"vendor": "intercom", "vendor_id": INTERCOM_ID}]},
            {"filter": {"vendor": "intercom"}},
        )
    ):
        for action in ("restore", "erase"):
            body = {"action": action, **selector}
            key = {"Idempotency-Key": f"intruder-{action}-{number}"}
            event = as_intruder("submit_job", body=body, headers=key)
            attempts.append(("POST /jobs", "jobs", event, {202}))
    leaks: list[str] = []
    for route, function, event, expected in attempts:
        response = api(function, event)
        work(api)
        assert response["statusCode"] in expected, (route, response["body"])
        # What the intruder sent may come back (a 404 names the id asked for); nothing else may
        sent = json.dumps(event).lower()
        text = json.dumps(body_of(response)).lower()
        markers = [*OWNER_MARKERS, owner_job]
        leaks += [f"{route}: {m}" for m in markers if m.lower() in text and m.lower() not in sent]
    # Then no answer held anything of the owner's; the intruder's jobs met only its own c-1001
    # (Eve, whom its own erasure job erased)
    assert leaks == []
    intruder_jobs = body_of(api("jobs", as_intruder("list_jobs")))["items"]
    assert len(intruder_jobs) == 8
    assert sum(job["counts"]["succeeded"] for job in intruder_jobs) == 1
    assert store.erasures.get(INTRUDER, "c-1001") is not None
    # And not one of the owner's items changed
    assert owner_items(store) == before
    print(f"cross-tenant attempts: {len(attempts)} on {len({a[0] for a in attempts})} routes")
