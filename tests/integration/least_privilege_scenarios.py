"""What each function behind the API is run on while its AWS calls are recorded (tests/
integration/test_least_privilege.py): its events/ samples, and the paths of its tests that make
another AWS call; the other functions' in least_privilege_event_scenarios.py. Each Given is set
up outside the recording, so that only the function's own calls count."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from unittest.mock import patch

import pytest

from contact_archive.jobs.queue import JobQueue
from contact_archive.ledger import api_keys
from contact_archive.ledger.models import Vendor, iso, utc_now
from contact_archive.ledger.store import LedgerStore
from devtools.runtime import LambdaContext
from devtools.sandboxes.stack import SandboxStack
from devtools.webhooks import intercom_delivery
from tests.iam_calls import Recorder
from tests.ledger_helpers import register_at_vendors
from tests.support import Functions, api_event, delivered, load_event

INTERCOM_ID = "6650a1b2c3d4e5f6a7b8c9d0"  # Ada's Intercom id in events/register_contact.json
SAMPLE_JOB = "job_19ad0c0a1b2c3d4e5f6a7b8c9"  # the job id of events/get_job.json, cancel_job.json


@dataclass
class World:
    """The moto account with the template's resources, the sandboxes, and the handlers."""

    recorder: Recorder
    functions: Functions
    store: LedgerStore
    stack: SandboxStack
    sqs: Any
    queues: dict[str, str]  # queue URL by logical id

    def run(self, function: str, handler: str, event: dict[str, Any]) -> Any:
        # A context with the time left (RedriveFunction reads it), as Lambda's own has.
        context = LambdaContext(function_name=function, timeout_seconds=900)
        with self.recorder.running(function):
            return self.functions.modules[handler].lambda_handler(event, context)

    def register_ada(self) -> None:
        assert self.functions("register", load_event("register_contact"))["statusCode"] == 201


def archive(world: World) -> None:
    world.register_ada()
    for name in ("archive_contact", "archive_contact_by_email", "archive_contact_command"):
        world.run("ArchiveFunction", "archive", load_event(name))
    # An idempotency key whose request fails is released (ReleaseIdempotencyKeys).
    nobody = api_event("archive_contact", contact_id="nobody", headers={"Idempotency-Key": "k-0"})
    world.run("ArchiveFunction", "archive", nobody)


def restore(world: World) -> None:
    world.register_ada()
    world.functions("archive", load_event("archive_contact"))
    for name in ("restore_contact", "restore_contact_by_vendor_id", "restore_contact_command"):
        world.run("RestoreFunction", "restore", load_event(name))
    nobody = api_event("restore_contact", contact_id="nobody", headers={"Idempotency-Key": "k-0"})
    world.run("RestoreFunction", "restore", nobody)
    # Named by email (ResolveContacts)
    by_email = api_event(
        "restore_contact_by_vendor_id",
        body={"email": "ada@example.com"},
        headers={"Idempotency-Key": "k-1"},
    )
    world.run("RestoreFunction", "restore", by_email)


def list_(world: World) -> None:
    world.register_ada()
    for name in ("list_contacts", "get_contact", "contact_history", "resolve_contact"):
        world.run("ListFunction", "list", load_event(name))


def register(world: World) -> None:
    register_at_vendors(world.store, world.stack, "someone", [Vendor.INTERCOM])
    for name in ("register_contact", "import_contacts", "retry_sync", "get_settings"):
        world.run("RegisterFunction", "register", load_event(name))
    world.run("RegisterFunction", "register", load_event("put_settings"))
    # Given Ada archived with an Idempotency-Key (its response kept in her partition); When
    # erased: her partition purged, her refs freed; then an import that meets her email
    keyed = api_event("archive_contact", headers={"Idempotency-Key": "k-ada"})
    assert world.functions("archive", keyed)["statusCode"] == 200
    world.run("RegisterFunction", "register", load_event("erase_contact"))
    world.run("RegisterFunction", "register", load_event("import_contacts"))
    # When an import from Constant Contact meets its expired access token: refreshed, saved back
    world.stack.constant_contact.expire_access_token()
    from_cc = api_event("import_contacts", body={"vendor": "constant_contact"})
    assert world.run("RegisterFunction", "register", from_cc)["statusCode"] == 200


def webhook(world: World) -> None:
    world.register_ada()
    created = int(utc_now().timestamp())
    delivery = intercom_delivery("contact.archived", INTERCOM_ID, created_at=created)
    world.run("WebhookFunction", "webhook", delivered(delivery))
    world.run("WebhookFunction", "webhook", load_event("webhook_check"))


def jobs(world: World) -> None:
    world.register_ada()
    answer = world.run("JobsFunction", "jobs", load_event("submit_job"))
    job_id = json.loads(answer["body"])["job_id"]
    for name in ("get_job", "list_jobs", "cancel_job"):
        event = json.loads(json.dumps(load_event(name)).replace(SAMPLE_JOB, job_id))
        world.run("JobsFunction", "jobs", event)
    # A submission whose work cannot be queued releases its Idempotency-Key (DeleteItem)
    with patch.object(JobQueue, "send", side_effect=RuntimeError("the queue is down")):
        again = api_event("submit_job", headers={"Idempotency-Key": "released-key"})
        world.run("JobsFunction", "jobs", again)


def authorizer(world: World) -> None:
    # Given the sample event's key, kept for dev-tenant; then a key the table does not hold
    event = load_event("authorize_api_key")
    key_id, secret = api_keys.parse_bearer(event["authorizationToken"]) or ("", "")
    record = api_keys.ApiKeyRecord(
        key_id, "dev-tenant", api_keys.secret_hash(secret), iso(utc_now())
    )
    world.store.client.put_item(TableName=world.store.table.name, **api_keys.create_request(record))
    world.run("AuthorizerFunction", "authorizer", event)
    unknown = {**event, "authorizationToken": "Bearer ca_unknownkey000001_" + "x" * 43}
    with pytest.raises(Exception, match=r"^Unauthorized$"):  # API Gateway's 401
        world.run("AuthorizerFunction", "authorizer", unknown)


API_SCENARIOS: dict[str, Callable[[World], None]] = {
    "AuthorizerFunction": authorizer,
    "ArchiveFunction": archive,
    "RestoreFunction": restore,
    "ListFunction": list_,
    "RegisterFunction": register,
    "WebhookFunction": webhook,
    "JobsFunction": jobs,
}
