"""Every file of events/ with the function that takes it, in an order that tells a story on one
empty ledger (Ada registered, read, archived and restored every way, synced, heard from her
vendors, bulk jobs, the schedules, and erased last), and what each call should answer then.

Used by the tests that invoke every sample: through `make invoke` (tests/e2e/test_invoke_samples.py)
and from `sam build`'s artifacts (tests/e2e/test_built_artifacts.py). API events are checked
against the template's routes (`route_function`), so a sample cannot name the wrong function.
Imports nothing of the service.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.support import EVENTS

Check = Callable[[Any], str | None]  # the handler's result -> what is wrong with it, or None


def status(expected: int, code: str | None = None) -> Check:
    """An API Gateway proxy response with that status (and that error code)."""

    def check(result: Any) -> str | None:
        if not isinstance(result, dict) or result.get("statusCode") != expected:
            got = result.get("statusCode") if isinstance(result, dict) else result
            return f"status {got}, expected {expected}: {str(result)[:300]}"
        if code is not None:
            body = json.loads(result.get("body") or "{}")
            found = (body.get("error") or {}).get("code") or body.get("outcome")
            if found != code:
                return f"answered {found!r}, expected {code!r}: {body}"
        return None

    return check


def no_batch_failures(result: Any) -> str | None:
    """A stream or SQS batch answer with every record done (`batchItemFailures` empty)."""
    if not isinstance(result, dict) or result.get("batchItemFailures") != []:
        return f"expected no batch item failures: {result}"
    return None


def fields(**expected: Any) -> Check:
    """A JSON answer holding these values."""

    def check(result: Any) -> str | None:
        wrong = {k: result.get(k) for k, v in expected.items() if result.get(k) != v}
        return f"expected {expected}, got {wrong} in {str(result)[:300]}" if wrong else None

    return check


def allowed_for_dev_tenant(result: Any) -> str | None:
    """The authorizer's Allow policy with `dev-tenant` in its context."""
    statement = result["policyDocument"]["Statement"][0]
    if statement["Effect"] != "Allow" or result["context"]["tenant_id"] != "dev-tenant":
        return f"expected an Allow for dev-tenant: {result}"
    return None


@dataclass(frozen=True)
class Sample:
    event: str  # the file's name in events/, without .json
    function: str  # the template's logical id
    check: Check
    # It reads and writes nothing the story's other samples read (another tenant, its own
    # items, or nothing at all), so it may run beside them.
    aside: bool = False

    @property
    def path(self) -> str:
        return f"events/{self.event}.json"

    def load(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads((EVENTS / f"{self.event}.json").read_text())
        return loaded


SAMPLES: tuple[Sample, ...] = (
    Sample("register_contact", "RegisterFunction", status(201)),
    Sample("get_contact", "ListFunction", status(200)),
    Sample("resolve_contact", "ListFunction", status(200)),
    Sample("list_contacts", "ListFunction", status(200)),
    Sample("contact_history", "ListFunction", status(200)),
    Sample("get_settings", "RegisterFunction", status(200)),
    Sample("authorize_api_key", "AuthorizerFunction", allowed_for_dev_tenant, aside=True),
    Sample("archive_contact", "ArchiveFunction", status(200)),
    # The stream record of that archive (its links keyed as the ledger keys them).
    Sample("sync_stream", "SyncFunction", no_batch_failures),
    Sample("archive_contact_base64", "ArchiveFunction", status(200)),
    Sample("archive_contact_by_email", "ArchiveFunction", status(200)),
    Sample("archive_contact_command", "ArchiveFunction", fields(status="applied")),
    Sample("restore_contact", "RestoreFunction", status(200)),
    Sample("restore_contact_by_vendor_id", "RestoreFunction", status(200)),
    Sample("restore_contact_command", "RestoreFunction", fields(status="applied")),
    # Its links are in flight but not yet due: nothing to send again (200, no change).
    Sample("retry_sync", "RegisterFunction", status(200)),
    Sample("webhook_check", "WebhookFunction", status(200), aside=True),
    Sample("webhook_intercom_contact_archived", "WebhookFunction", status(200, "recorded")),
    Sample("webhook_intercom_contact_unarchived", "WebhookFunction", status(200, "recorded")),
    Sample("webhook_intercom_contact_deleted", "WebhookFunction", status(200, "recorded")),
    # Signed at a fixed past time: refused as a replay, as the README says.
    Sample(
        "webhook_sequence_customer_archived",
        "WebhookFunction",
        status(401, "invalid_signature"),
        aside=True,
    ),
    Sample("put_settings", "RegisterFunction", status(200)),
    Sample("import_contacts", "RegisterFunction", status(200)),
    Sample("submit_job", "JobsFunction", status(202)),
    Sample("submit_job_filter", "JobsFunction", status(202)),
    Sample("list_jobs", "JobsFunction", status(200), aside=True),
    # The samples name a job id of their own, which no ledger holds.
    Sample("get_job", "JobsFunction", status(404, "job_not_found"), aside=True),
    Sample("cancel_job", "JobsFunction", status(404, "job_not_found"), aside=True),
    Sample("job_unit_message", "JobWorkerFunction", no_batch_failures, aside=True),
    Sample("reconcile_schedule", "ReconcileFunction", fields(drifts=0)),
    Sample("sweep_schedule", "SweepFunction", fields(stopped="done")),
    Sample(
        "redrive_dead_letters",
        "RedriveFunction",
        fields(replayed=0, still_failing=0, expired=0, malformed=0, deferred=0),
        aside=True,
    ),
    Sample("erase_contact", "RegisterFunction", status(202)),
)


def route_function(template: dict[str, Any], event: dict[str, Any]) -> str | None:
    """The function the template routes an API Gateway event to, or None for other events."""
    from devtools.template import api_routes

    if "httpMethod" not in event or "resource" not in event:
        return None
    method = str(event["httpMethod"]).upper()
    for route in api_routes(template):
        if route.path == event["resource"] and route.method in (method, "ANY"):
            return route.function
    return None
