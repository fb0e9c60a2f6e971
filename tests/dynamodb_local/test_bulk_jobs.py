"""Bulk jobs in the local stack: DynamoDB Local and its stream, the jobs queue in SQS (moto's
server on loopback, with the template's redrive policy), the four sandboxes on loopback ports,
and the functions run as `make run` runs them (each in warm containers of its own, the worker a
few messages at once as the template's MaximumConcurrency says). Every message of the jobs queue
is delivered twice, and the sandboxes fail 30% of requests."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from contact_archive.contacts.register import LinkInput, RegisterCommand, register_contact
from contact_archive.ledger.models import ContactStatus, LinkState, Vendor
from contact_archive.ledger.store import LedgerStore
from devtools.bulk_register import register_new_contacts
from devtools.dynamodb_local import local_client, provision_table
from devtools.local_queue import LocalJobQueue, worker_concurrency
from devtools.local_sync import LocalEventBus, StreamPump
from devtools.runtime import FunctionRunner
from devtools.sandboxes.base import Faults
from devtools.sandboxes.stack import SandboxStack, serve_stack
from devtools.template import load_template
from tests.ledger_helpers import ALICE, CUSTOMER, LIST_ID
from tests.support import api_event

TENANT = "tenant-bulk"
PEOPLE = 10_000
# A share of them also at the three vendors without bulk endpoints (one call each, paced).
ELSEWHERE = 100
# A bound for a job gone wrong; one takes about three minutes on two busy cores.
JOB_TIMEOUT_SECONDS = 600
QUEUE_TIMEOUT_SECONDS = 60


@dataclass
class Stack:
    runner: FunctionRunner
    sandboxes: SandboxStack
    queue: LocalJobQueue
    store: LedgerStore


@pytest.fixture
def local_stack(dynamodb_local_endpoint: str) -> Iterator[Stack]:
    """The stack as `make run` builds it (the local credentials: DynamoDB Local keeps tables
    per access key), on a table of its own."""
    table_name = f"ledger-bulk-{uuid.uuid4().hex[:8]}"
    provision_table(dynamodb_local_endpoint, table_name, load_template())
    store = LedgerStore(local_client(dynamodb_local_endpoint), table_name)
    sandboxes = SandboxStack(faults=Faults(server_error_rate=0.3, seed=13))
    template = load_template()
    with serve_stack(sandboxes) as base_urls, LocalEventBus() as bus:
        runner: FunctionRunner | None = None

        def work(event: dict[str, Any]) -> Any:
            assert runner is not None
            return runner.invoke("JobWorkerFunction", event)

        with LocalJobQueue(
            work, deliver_times=2, concurrency=worker_concurrency(template), log=lambda _: None
        ) as queue:
            runner = FunctionRunner(
                template,
                dynamodb_local_endpoint,
                table_name,
                {
                    "VENDOR_CREDENTIALS": json.dumps(sandboxes.credentials(TENANT, base_urls)),
                    "EVENT_BUS_NAME": "contact-archive-local",
                    "AWS_ENDPOINT_URL_EVENTBRIDGE": bus.url,
                    **queue.environment(),
                },
            )
            pump = StreamPump(
                dynamodb_local_endpoint, table_name, lambda e: runner.invoke("SyncFunction", e)
            )
            with runner, pump:
                yield Stack(runner, sandboxes, queue, store)


def seed(stack: Stack) -> list[str]:
    """PEOPLE contacts in Constant Contact (on a list), the first ELSEWHERE of them also in
    Sequence, Routera and Intercom; each in the ledger with its links, as registering them
    writes it (`register_new_contacts`: the same items, in batches)."""
    sandboxes = stack.sandboxes
    commands = []
    for number in range(PEOPLE):
        email = f"person{number}@example.com"
        constant_contact = sandboxes.constant_contact.add_contact(email=email, list_ids=[LIST_ID])
        links = [LinkInput(Vendor.CONSTANT_CONTACT, constant_contact["contact_id"])]
        if number < ELSEWHERE:
            links += [
                LinkInput(
                    Vendor.SEQUENCE,
                    sandboxes.sequence.add_contact(CUSTOMER, email=email)["id"],
                    CUSTOMER,
                ),
                LinkInput(Vendor.ROUTERA, sandboxes.routera.add_contact(email=email)["id"]),
                LinkInput(Vendor.INTERCOM, sandboxes.intercom.add_contact(email=email)["id"]),
            ]
        commands.append(
            RegisterCommand(
                tenant_id=TENANT,
                contact_id=f"p-{number:05d}",
                actor=ALICE,
                email=email,
                links=links,
            )
        )
    register_new_contacts(stack.store, commands)
    return [command.contact_id for command in commands]


def call(stack: Stack, name: str, *, body: Any = ..., job_id: str | None = None) -> dict[str, Any]:
    event = api_event(name, body=body, tenant=TENANT)
    event["headers"].pop("Idempotency-Key", None)
    event["multiValueHeaders"].pop("Idempotency-Key", None)
    if job_id is not None:
        event["pathParameters"] = {"job_id": job_id}
        event["path"] = event["resource"].replace("{job_id}", job_id)
    response = stack.runner.invoke("JobsFunction", event)
    return {**json.loads(response["body"]), "http_status": response["statusCode"]}


def finished(stack: Stack, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + JOB_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        job = call(stack, "get_job", job_id=job_id)
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(1)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def test_contacts_archived_and_restored_in_bulk_through_faults_and_redelivery(
    local_stack: Stack,
) -> None:
    # Given PEOPLE in Constant Contact, 100 of them in the three other vendors too
    contact_ids = seed(local_stack)
    cc = local_stack.sandboxes.constant_contact
    cc_requests_before = len(cc.requests)

    # When a job archives them all (each queue message delivered twice, 30% vendor faults)
    job = call(local_stack, "submit_job", body={"action": "archive", "contact_ids": contact_ids})
    assert job["http_status"] == 202 and job["counts"]["total"] == PEOPLE
    archived = finished(local_stack, job["job_id"])

    # Then every contact and link is archived, and each vendor archived each contact once
    assert archived["status"] == "succeeded", archived["failures"]
    assert archived["counts"] == {
        "total": PEOPLE,
        "succeeded": PEOPLE,
        "failed": 0,
        "skipped": 0,
        "pending": 0,
    }
    assert archived["vendors_counts"]["constant_contact"]["succeeded"] == PEOPLE
    for vendor in ("sequence", "routera", "intercom"):
        assert archived["vendors_counts"][vendor]["succeeded"] == ELSEWHERE
    contacts = local_stack.store.contacts.get_many(TENANT, contact_ids)
    assert {c.status for c in contacts.values()} == {ContactStatus.ARCHIVED}
    assert all(
        c.link_state(key) is LinkState.ARCHIVED for c in contacts.values() for key in c.links
    )
    assert cc.effects["archived"] == PEOPLE
    for sandbox in (
        local_stack.sandboxes.sequence,
        local_stack.sandboxes.routera,
        local_stack.sandboxes.intercom,
    ):
        assert sandbox.effects["archived"] == ELSEWHERE
    # Constant Contact in bulk: a few hundred requests with the faults' retries, not 20,000
    assert len(cc.requests) - cc_requests_before < 400

    # When a job restores them all
    job = call(local_stack, "submit_job", body={"action": "restore", "contact_ids": contact_ids})
    restored = finished(local_stack, job["job_id"])

    # Then every contact and link is active again, each vendor restoring each contact once
    assert restored["status"] == "succeeded", restored["failures"]
    assert restored["counts"]["succeeded"] == PEOPLE
    contacts = local_stack.store.contacts.get_many(TENANT, contact_ids)
    assert {c.status for c in contacts.values()} == {ContactStatus.ACTIVE}
    assert all(c.link_state(key) is LinkState.ACTIVE for c in contacts.values() for key in c.links)
    assert cc.effects["restored"] == PEOPLE
    # each Constant Contact contact deleted once and revived once
    assert set(cc.contact_effects.values()) == {1}
    assert len(cc.contact_effects) == 2 * PEOPLE
    # Intercom unarchives; Sequence and Routera keep no archived contact to bring back, so a
    # restore re-creates it (once: the link moves to the new id).
    assert local_stack.sandboxes.intercom.effects["restored"] == ELSEWHERE
    for sandbox in (local_stack.sandboxes.sequence, local_stack.sandboxes.routera):
        assert sandbox.effects["created"] == ELSEWHERE
    assert local_stack.queue.dead_letters() == 0


def test_a_cancelled_job_stops(local_stack: Stack) -> None:
    # Given a job queued while the worker is held back
    contact_ids = [f"p-{number:05d}" for number in range(20)]
    for contact_id in contact_ids:
        register_contact(
            local_stack.store,
            RegisterCommand(
                tenant_id=TENANT,
                contact_id=contact_id,
                actor=ALICE,
                email=f"{contact_id}@example.com",
                links=[],
            ),
        )
    with local_stack.queue.held():
        job = call(
            local_stack, "submit_job", body={"action": "archive", "contact_ids": contact_ids}
        )
        # When it is cancelled before its work starts
        cancelled = call(local_stack, "cancel_job", job_id=job["job_id"])
        assert cancelled["http_status"] == 200
    # Then the work is dropped: nobody is archived, the job says cancelled
    done = finished(local_stack, job["job_id"])
    assert done["status"] == "cancelled"
    assert local_stack.queue.wait_until_empty(QUEUE_TIMEOUT_SECONDS)  # delivered and dropped
    assert call(local_stack, "get_job", job_id=job["job_id"])["counts"]["skipped"] == len(
        contact_ids
    )
    contacts = local_stack.store.contacts.get_many(TENANT, contact_ids)
    assert {c.status for c in contacts.values()} == {ContactStatus.ACTIVE}
