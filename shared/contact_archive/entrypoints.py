"""One entry point per function: what its handler calls, and nothing a function does not use.

Each builder imports only its own routers, so that a function's cold start pays for its own code.
The API functions run on SnapStart: each registers what warms it before the snapshot
(`snapstart.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from contact_archive import snapstart
from contact_archive.api.resolver import build_api, build_resolver
from contact_archive.event_kinds import EventKind, kind_of, serving
from contact_archive.ledger.models import ChangeAction

Entrypoint = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]
API = {EventKind.API}


def change_entrypoint(action: ChangeAction) -> Entrypoint:
    """Archive or restore: API Gateway requests and EventBridge commands."""
    from contact_archive.api.changes import change_router

    api = build_api(change_router(action))

    def warm_up() -> None:
        # The command path too: EventBridge's commands come to the same containers.
        from contact_archive.contacts import commands  # noqa: F401

        api.warm_up()

    snapstart.prepare(action.value, warm_up)

    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        if kind_of(event) is EventKind.COMMAND:
            # Imported on the first command: API-only containers never load the parser.
            from contact_archive.config import get_settings
            from contact_archive.contacts.commands import handle_command
            from contact_archive.dependencies import get_store

            ttl_seconds = get_settings().idempotency_ttl_hours * 3600
            return handle_command(event, action, get_store(), idempotency_ttl_seconds=ttl_seconds)
        return api(event, context)

    return serving({EventKind.API, EventKind.COMMAND}, handle)


def list_entrypoint() -> Entrypoint:
    from contact_archive.api.read_routes import router

    api = build_api(router)
    snapstart.prepare("list", _with_parameters(api.warm_up))
    return serving(API, api)


def register_entrypoint() -> Entrypoint:
    from contact_archive.api.erasure_routes import router as erasure_router
    from contact_archive.api.register_routes import router
    from contact_archive.api.settings_routes import router as settings_router

    api = build_api(router, erasure_router, settings_router)
    snapstart.prepare("register", _with_parameters(api.warm_up))
    return serving(API, api)


def sync_entrypoint() -> Entrypoint:
    """The table's stream: vendor sync and announcements."""
    from contact_archive.dependencies import get_event_publisher, get_store, get_vendor_clients
    from contact_archive.sync.stream import handle_stream

    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return handle_stream(
            event, context, get_store(), get_vendor_clients(), get_event_publisher()
        )

    return serving({EventKind.STREAM}, handle)


def reconcile_entrypoint() -> Entrypoint:
    """A schedule: poll the vendors for changes they made by themselves (drift)."""
    from contact_archive.config import get_settings
    from contact_archive.dependencies import (
        get_credential_source,
        get_event_publisher,
        get_store,
        get_vendor_clients,
    )
    from contact_archive.inbound.reconcile import Limits, handle_reconcile

    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        settings = get_settings()
        limits = Limits(
            max_pages=settings.reconcile_max_pages,
            page_size=settings.reconcile_page_size,
            time_reserve_seconds=settings.reconcile_time_reserve_seconds,
        )
        return handle_reconcile(
            event,
            context,
            get_store(),
            get_vendor_clients(),
            get_credential_source(),
            get_event_publisher(),
            limits,
        )

    return serving({EventKind.SCHEDULE, EventKind.MANUAL}, handle)


def sweep_entrypoint() -> Entrypoint:
    """A schedule: drive the links no stream record settled (stuck, or waiting for a vendor);
    erase the contacts archived past their retention."""
    from contact_archive.dependencies import get_erasure_key, get_store, get_vendor_clients
    from contact_archive.sync.sweeper import handle_sweep

    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return handle_sweep(event, context, get_store(), get_vendor_clients(), get_erasure_key)

    return serving({EventKind.SCHEDULE, EventKind.MANUAL}, handle)


def redrive_entrypoint() -> Entrypoint:
    """By hand: replay SyncFunction's dead letters from the table's stream."""
    from contact_archive.dependencies import get_dead_letter_redrive
    from contact_archive.sync.redrive import handle_redrive

    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return handle_redrive(event, context, get_dead_letter_redrive)

    return serving({EventKind.MANUAL}, handle)


def jobs_entrypoint() -> Entrypoint:
    """Bulk jobs over HTTP: submit, look at, list and cancel."""
    from contact_archive.api.job_routes import router

    api = build_api(router)
    snapstart.prepare("jobs", _with_parameters(api.warm_up))
    return serving(API, api)


def job_worker_entrypoint() -> Entrypoint:
    """The jobs queue: each message a unit of a job to apply, or a filter to cut into units."""
    from contact_archive.config import get_settings
    from contact_archive.dependencies import (
        get_erasure_key,
        get_job_queue,
        get_store,
        get_vendor_clients,
    )
    from contact_archive.jobs.worker import WorkerSettings, handle_jobs

    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        settings = get_settings()
        worker = WorkerSettings(
            settings.job_max_receives,
            settings.job_check_seconds,
            settings.job_check_max_seconds,
            get_erasure_key,
        )
        return handle_jobs(
            event, context, get_store(), get_vendor_clients(), get_job_queue(), worker
        )

    return serving({EventKind.SQS}, handle)


def webhook_entrypoint() -> Entrypoint:
    """Vendors' signed webhook deliveries (no API authorizer: the signature authenticates)."""
    from contact_archive.api.webhook_routes import router

    # Not screened as JSON: a delivery's signature covers its bytes as the vendor sent them.
    return serving(API, build_resolver(router).resolve)


def authorizer_entrypoint() -> Entrypoint:
    """API Gateway's TOKEN authorizer: the built-in API keys (unless the deployer brings theirs)."""
    from contact_archive.auth.authorizer import authorize
    from contact_archive.dependencies import get_store

    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return authorize(event, get_store().api_keys)

    snapstart.prepare("authorizer", get_store)
    return serving({EventKind.AUTHORIZER}, handle)


def _with_parameters(warm_up: Callable[[], None]) -> Callable[[], None]:
    """Functions that read a secret (the cursor's key, the erasure key) make Powertools
    Parameters' provider and its client on their first request; before the snapshot, it costs
    nothing."""

    def warm() -> None:
        from contact_archive.dependencies import prepare_secrets_provider

        prepare_secrets_provider()
        warm_up()

    return warm
