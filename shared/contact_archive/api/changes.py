"""Archive and restore over HTTP: the same steps, two directions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from contact_archive.api.params import ContactIdPath, IdempotencyKeyHeader, IfMatchHeader
from contact_archive.api.request import actor_of, json_response, parse_if_match, tenant_of
from contact_archive.api.schemas import (
    ChangeByNameRequest,
    ChangeRequest,
    ContactOut,
    documented,
)
from contact_archive.config import get_settings
from contact_archive.contacts.addressing import ContactName, resolve_contact_id
from contact_archive.contacts.changes import (
    LEDGER_METRICS,
    ChangeCommand,
    archive_contact,
    restore_contact,
)
from contact_archive.contacts.views import contact_body
from contact_archive.dependencies import get_store
from contact_archive.ledger.idempotency import request_hash, run_once
from contact_archive.ledger.models import ChangeAction
from contact_archive.observability import count

USE_CASES = {ChangeAction.ARCHIVE: archive_contact, ChangeAction.RESTORE: restore_contact}
SUMMARIES = {
    ChangeAction.ARCHIVE: (
        "Archive a contact in the ledger and mark its vendor links archiving",
        "Archiving an archived contact succeeds and changes nothing.",
    ),
    ChangeAction.RESTORE: (
        "Restore an archived contact and mark its vendor links restoring",
        "Restoring an active contact succeeds and changes nothing.",
    ),
}


def change_router(action: ChangeAction) -> APIGatewayRouter:
    """The router of one direction: `POST /contacts/{contact_id}/archive` or `.../restore`, and
    `POST /contacts/archive` or `/contacts/restore` naming the contact in the body."""
    router = APIGatewayRouter()
    summary, description = SUMMARIES[action]

    @router.post(
        f"/contacts/{action.value}",
        summary=f"{summary}, naming it by email, external id or a vendor's id",
        description=(
            f"{description} The body names the contact by exactly one of `email`, "
            "`external_id`, or `vendor` with `vendor_id`; several contacts answering to it is a "
            "409 `ambiguous_contact` listing their ids, none a 404."
        ),
        operation_id=f"{action.value}_contact_by_name",
        responses=documented(ContactOut, 400, 404, 409, 410, body=True),
        tags=["contacts"],
    )
    def change_by_name(
        body: Annotated[ChangeByNameRequest, Body()],
        idempotency_key: IdempotencyKeyHeader = None,
        if_match: IfMatchHeader = None,
    ) -> Response[dict[str, Any]]:
        name = ContactName(body.email, body.external_id, body.vendor, body.vendor_id)

        def resolve(tenant_id: str) -> str:
            return resolve_contact_id(get_store(), tenant_id, name)

        return change_over_http(router, action, resolve, body, idempotency_key, if_match)

    @router.post(
        f"/contacts/<contact_id>/{action.value}",
        summary=summary,
        description=description,
        operation_id=f"{action.value}_contact",
        responses=documented(ContactOut, 400, 404, 409, 410, body=True),
        tags=["contacts"],
    )
    def change(
        contact_id: ContactIdPath,
        body: Annotated[ChangeRequest | None, Body()] = None,
        idempotency_key: IdempotencyKeyHeader = None,
        if_match: IfMatchHeader = None,
    ) -> Response[dict[str, Any]]:
        request = body or ChangeRequest()
        return change_over_http(
            router, action, lambda _: contact_id, request, idempotency_key, if_match
        )

    return router


def change_over_http(
    router: APIGatewayRouter,
    action: ChangeAction,
    contact_id_in: Callable[[str], str],
    request: ChangeRequest,
    idempotency_key: str | None,
    if_match: str | None,
) -> Response[dict[str, Any]]:
    """Archive or restore the contact `contact_id_in(tenant)` names, once per idempotency key:
    a replay answers as the first call did, without naming the contact again."""
    tenant_id = tenant_of(router)
    expected_version = parse_if_match(if_match)
    actor = actor_of(router)
    store = get_store()

    def operation() -> tuple[int, dict[str, object]]:
        command = ChangeCommand(
            tenant_id=tenant_id,
            contact_id=contact_id_in(tenant_id),
            actor=actor,
            reason=request.reason,
            vendors=request.vendors,
            expected_version=expected_version,
        )
        outcome = USE_CASES[action](store, command)
        count(LEDGER_METRICS[action] if outcome.changed else "ChangeWasNoop")
        return 200, contact_body(outcome.contact)

    # By id, the id is the path's; by name, the name is in the body (`""` stands for none).
    path_id = "" if isinstance(request, ChangeByNameRequest) else contact_id_in(tenant_id)
    fingerprint = request_hash(action.value, path_id, request.model_dump(mode="json"), if_match)
    (status, payload), replayed = run_once(
        store,
        tenant_id,
        idempotency_key,
        fingerprint,
        operation,
        ttl_seconds=get_settings().idempotency_ttl_hours * 3600,
        contact_of=lambda body: str(body["id"]),
    )
    version = payload.get("version")
    return json_response(
        status, payload, version=version if isinstance(version, int) else None, replayed=replayed
    )
