"""What the functions without an API (the stream's, the schedules', the queue's, the one run by
hand) are run on while their AWS calls are recorded (tests/integration/test_least_privilege.py):
their events/ samples, and the paths of their tests that make another AWS call. As in
least_privilege_scenarios.py, each Given is set up outside the recording."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from unittest.mock import patch

import boto3
from botocore import handlers
from botocore.awsrequest import AWSRequest, AWSResponse
from moto.core.botocore_stubber import MockRawResponse

from contact_archive import dependencies
from contact_archive.config import get_settings
from contact_archive.contacts.changes import archive_contact, restore_contact
from contact_archive.ledger.models import Vendor, iso, utc_now
from contact_archive.ledger.store.due import all_shards
from contact_archive.ledger.store.erasures import ErasureStore
from contact_archive.ledger.store.history import HISTORY_INLINE_MAX
from contact_archive.ledger.store.keys import contact_key
from devtools.stream_reader import StreamReader
from tests.dynamodb_local.lambda_feeder import invocation_record
from tests.integration.least_privilege_scenarios import World
from tests.ledger_helpers import (
    TENANT,
    archive_behind_the_ledgers_back,
    change,
    register,
    register_at_vendors,
    sandbox_clients,
)
from tests.support import API_TENANT, api_event, load_event, stream_record


def contact_item(world: World, contact_id: str, tenant: str = TENANT) -> dict[str, Any]:
    item = world.store.table.get(contact_key(tenant, contact_id), ConsistentRead=True)
    assert item is not None
    return item


def sync_record(world: World, item: dict[str, Any], old: dict[str, Any] | None = None) -> None:
    """SyncFunction handed the stream record of the write that left `item` (over `old`)."""
    world.run("SyncFunction", "sync", {"Records": [stream_record(item, old=old)]})


def erased_with_its_purge_cut_short(world: World) -> None:
    """Ada, archived with an Idempotency-Key (a response kept in her partition), erased by a
    request that stopped after her tombstone, before purging her partition."""
    keyed = api_event("archive_contact", headers={"Idempotency-Key": "k-ada"})
    assert world.functions("archive", keyed)["statusCode"] == 200
    with patch.object(ErasureStore, "purge", side_effect=TimeoutError("the request timed out")):
        assert world.functions("register", load_event("erase_contact"))["statusCode"] == 500


def sync(world: World) -> None:
    world.register_ada()
    world.run("SyncFunction", "sync", load_event("sync_stream"))
    # Given Bea at Routera and Constant Contact, archived, Constant Contact's token expired;
    # When her archive's record is synced: the token refreshed and saved back; and when the
    # record of the write that settled her links comes: announced
    register_at_vendors(world.store, world.stack, "bea", [Vendor.ROUTERA, Vendor.CONSTANT_CONTACT])
    archive_contact(world.store, change("bea"))
    archiving = contact_item(world, "bea")
    world.stack.constant_contact.expire_access_token()
    sync_record(world, archiving)
    settled = contact_item(world, "bea")
    sync_record(world, settled, archiving)
    # When Bea is restored: Routera cannot restore, so her contact is made again and relinked
    restore_contact(world.store, change("bea"))
    sync_record(world, contact_item(world, "bea"), settled)
    # Given an erasure cut short before its purge; When its tombstone's record comes: its
    # vendors asked, and the purge finished; and when the record of the write that left no
    # vendor to ask comes: `ContactErased` announced, and noted on the tombstone
    erased_with_its_purge_cut_short(world)
    tombstone = contact_item(world, "c-1001", API_TENANT)
    sync_record(world, tombstone)
    sync_record(world, contact_item(world, "c-1001", API_TENANT), tombstone)
    erased = world.store.erasures.get(API_TENANT, "c-1001")
    assert erased is not None and erased.announced_at is not None


def sweep(world: World) -> None:
    # Given Ada's links due again, Constant Contact's among them with its access token expired
    vendors = [Vendor.ROUTERA, Vendor.INTERCOM, Vendor.CONSTANT_CONTACT]
    register_at_vendors(world.store, world.stack, "ada", vendors)
    archive_contact(world.store, change("ada"))
    for shard in all_shards():
        entries, _ = world.store.due.page(shard, iso(utc_now() + timedelta(days=1)), 100)
        for entry in entries:
            world.store.due.reschedule(entry, iso(utc_now() - timedelta(hours=1)))
    world.stack.constant_contact.expire_access_token()
    world.run("SweepFunction", "sweep", load_event("sweep_schedule"))
    # Given Bea, archived 400 days ago (the response to a keyed request kept in her partition):
    # When a first run drives her links and a second erases her (retention), purging it
    register_at_vendors(world.store, world.stack, "bea", [Vendor.ROUTERA], number=1)
    archive_contact(world.store, change("bea"), lambda: utc_now() - timedelta(days=400))
    keys, now = world.store.idempotency_keys, int(utc_now().timestamp())
    assert keys.claim(TENANT, "k-bea", "r", now=now, expires_at=now + 3600, lock_seconds=60) is None
    keys.complete(TENANT, "k-bea", 200, {"contact_id": "bea"}, contact_id="bea")
    for _ in range(2):
        world.run("SweepFunction", "sweep", load_event("sweep_schedule"))
    assert world.store.erasures.get(TENANT, "bea") is not None


def reconcile(world: World) -> None:
    # Given Ada archived at every vendor in their own UIs (drift), her history as long as it is
    # kept inline (her email changed), and Constant Contact's access token expired
    links = register_at_vendors(world.store, world.stack, "ada", list(Vendor))
    archive_behind_the_ledgers_back(sandbox_clients(world.stack), *links)
    for number in range(HISTORY_INLINE_MAX - 1):
        register(world.store, "ada", links, email=f"ada+{number}@example.com")
    assert len(contact_item(world, "ada")["history"]["L"]) == HISTORY_INLINE_MAX
    world.stack.constant_contact.expire_access_token()
    # When reconciled: the token refreshed and saved back, the drift recorded (its write pages
    # the history out) and announced
    world.run("ReconcileFunction", "reconcile", load_event("reconcile_schedule"))


@contextmanager
def sync_function_in_process(world: World) -> Iterator[None]:
    """Lambda's Invoke of SyncFunction answered as Lambda would: its handler run on the
    payload, in process, its own calls recorded as its own."""

    def invoke(request: AWSRequest, **_: Any) -> AWSResponse:
        answer = world.run("SyncFunction", "sync", json.loads(request.body or b"{}"))
        body = MockRawResponse(json.dumps(answer).encode())
        return AWSResponse(request.url, 200, {}, body)

    # botocore calls the handlers of the most specific event first: this one before moto's,
    # registered for every "before-send". Sessions made from now on take it from the built-in
    # handlers; the functions' shared session (made already) is given it itself.
    hook = ("before-send.lambda.Invoke", invoke)
    handlers.BUILTIN_HANDLERS.append(hook)
    session = dependencies.get_session()
    session.register(*hook)
    try:
        yield
    finally:
        session.unregister(*hook)
        handlers.BUILTIN_HANDLERS.remove(hook)


def dead_letter(world: World, contact_id: str) -> dict[str, Any]:
    """The invocation record Lambda would send SyncDeadLetterQueue had the stream record of the
    contact's last write failed every retry."""
    arn = world.store.client.describe_table(TableName=get_settings().table_name)["Table"][
        "LatestStreamArn"
    ]
    reader = StreamReader(boto3.client("dynamodbstreams"), arn, batch_size=1000)
    pk = contact_key(API_TENANT, contact_id)["pk"]
    found = []
    while (batch := reader.next_batch()) is not None:
        found += [(batch.shard_id, r) for r in batch.records if r["dynamodb"]["Keys"]["pk"] == pk]
    shard_id, record = found[-1]
    return invocation_record(arn, shard_id, [record], attempts=6)


def redrive(world: World) -> None:
    # Given a message that is not a dead letter (left, released), and one for Ada's archive
    world.sqs.send_message(
        QueueUrl=world.queues["SyncDeadLetterQueue"], MessageBody=json.dumps({"note": "no letter"})
    )
    world.register_ada()
    assert world.functions("archive", load_event("archive_contact"))["statusCode"] == 200
    world.sqs.send_message(
        QueueUrl=world.queues["SyncDeadLetterQueue"],
        MessageBody=json.dumps(dead_letter(world, "c-1001")),
    )
    # When redriven: the records read back from the stream, replayed into SyncFunction
    with sync_function_in_process(world):
        done = world.run("RedriveFunction", "redrive", load_event("redrive_dead_letters"))
    assert (done["replayed"], done["malformed"]) == (1, 1)


def work_the_queue(world: World, rounds: int = 10) -> None:
    """JobWorkerFunction handed the jobs queue's messages one by one, as its event source mapping
    does (which deletes each once handled), until the queue is empty."""
    url = world.queues["JobQueue"]
    for _ in range(rounds):
        messages = world.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        if not messages.get("Messages"):
            return
        for message in messages["Messages"]:
            record = load_event("job_unit_message")["Records"][0]
            record.update(body=message["Body"], receiptHandle=message["ReceiptHandle"])
            world.run("JobWorkerFunction", "job_worker", {"Records": [record]})
            world.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def submitted(world: World, body: dict[str, Any], key: str) -> None:
    submit = api_event("submit_job", body=body, headers={"Idempotency-Key": key})
    assert world.functions("jobs", submit)["statusCode"] == 202


def job_worker(world: World) -> None:
    world.register_ada()
    world.functions("jobs", load_event("submit_job"))
    work_the_queue(world)
    # Given Bea and Cy at Routera and Constant Contact (bulk), whose access token expired;
    # When a job archives the active contacts (a filter: planned from the status index into
    # units, sent)
    for number, contact_id in enumerate(("bea", "cy")):
        vendors = [Vendor.ROUTERA, Vendor.CONSTANT_CONTACT]
        register_at_vendors(
            world.store, world.stack, contact_id, vendors, number=number, tenant=API_TENANT
        )
    world.stack.constant_contact.expire_access_token()
    submitted(world, {"action": "archive", "filter": {"status": "active"}}, "k-archive")
    work_the_queue(world)
    # When an erasure job erases Bea: her tombstone written, her vendor ids freed
    submitted(world, {"action": "erase", "contact_ids": ["bea"]}, "k-erase")
    work_the_queue(world)
    assert world.store.erasures.get(API_TENANT, "bea") is not None


EVENT_SCENARIOS: dict[str, Callable[[World], None]] = {
    "SyncFunction": sync,
    "SweepFunction": sweep,
    "ReconcileFunction": reconcile,
    "RedriveFunction": redrive,
    "JobWorkerFunction": job_worker,
}
