"""Archive and restore commands from other services, through EventBridge.

An invalid or misrouted event, or one naming an unknown contact, is logged and dropped: retrying
it would never succeed. The event id is the idempotency key, so a redelivered event changes
nothing twice. Anything else (throttling, an outage) is raised, for Lambda to retry.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from contact_archive.contacts.changes import (
    LEDGER_METRICS,
    ChangeCommand,
    archive_contact,
    restore_contact,
)
from contact_archive.contacts.views import contact_body
from contact_archive.ledger.errors import DomainError
from contact_archive.ledger.idempotency import request_hash, run_once
from contact_archive.ledger.models import (
    CONTACT_ID_PATTERN,
    LINK_SELECTOR_PATTERN,
    MAX_LINKS,
    TENANT_PATTERN,
    Actor,
    ChangeAction,
)
from contact_archive.ledger.store import LedgerStore
from contact_archive.observability import count, logger

DETAIL_TYPES = {ChangeAction.ARCHIVE: "ArchiveContact", ChangeAction.RESTORE: "RestoreContact"}


class ContactCommandDetail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant_id: str = Field(pattern=TENANT_PATTERN.pattern)
    contact_id: str = Field(pattern=CONTACT_ID_PATTERN)
    reason: str | None = Field(default=None, max_length=500)
    actor: str | None = Field(default=None, min_length=1, max_length=256)
    vendors: list[Annotated[str, StringConstraints(pattern=LINK_SELECTOR_PATTERN)]] | None = Field(
        default=None, min_length=1, max_length=MAX_LINKS
    )


class ContactCommandEvent(EventBridgeModel):
    detail_type: Literal["ArchiveContact", "RestoreContact"] = Field(alias="detail-type")
    detail: ContactCommandDetail


def handle_command(
    event: dict[str, Any], action: ChangeAction, store: LedgerStore, *, idempotency_ttl_seconds: int
) -> dict[str, Any]:
    """ArchiveFunction or RestoreFunction invoked by an EventBridge rule: one command."""
    try:
        command_event = parse(event=event, model=ContactCommandEvent)
    except ValidationError as error:
        # Locations and types only: the input may hold personal data.
        problems = [
            {"field": ".".join(map(str, e["loc"])), "type": e["type"]} for e in error.errors()
        ]
        return _dropped("invalid_event", event, problems)
    if command_event.detail_type != DETAIL_TYPES[action]:
        return _dropped("wrong_function", event, {"detail_type": command_event.detail_type})
    detail = command_event.detail
    command = ChangeCommand(
        tenant_id=detail.tenant_id,
        contact_id=detail.contact_id,
        actor=Actor(
            name=detail.actor or command_event.source, source=f"event:{command_event.source}"
        ),
        reason=detail.reason,
        vendors=detail.vendors,
    )
    use_case = archive_contact if action is ChangeAction.ARCHIVE else restore_contact

    def operation() -> tuple[int, dict[str, Any]]:
        outcome = use_case(store, command)
        return 200, {"changed": outcome.changed, "contact": contact_body(outcome.contact)}

    try:
        (_, result), replayed = run_once(
            store,
            detail.tenant_id,
            f"event:{command_event.id}",
            request_hash(action.value, detail.model_dump(mode="json")),
            operation,
            ttl_seconds=idempotency_ttl_seconds,
            contact_of=lambda body: str(body["contact"]["id"]),
        )
    except DomainError as error:
        return _dropped(error.code, event, error.details)
    count("CommandApplied" if result["changed"] and not replayed else "CommandWasNoop")
    if result["changed"] and not replayed:
        # The same ledger change as the API's: the dashboard's archives and restores per
        # minute count both ways in.
        count(LEDGER_METRICS[action])
    logger.info(
        "command applied",
        extra={
            "event_id": command_event.id,
            "contact_id": detail.contact_id,
            "action": action.value,
            "changed": result["changed"],
            "replayed": replayed,
        },
    )
    return {
        "status": "applied",
        "changed": result["changed"] and not replayed,
        "replayed": replayed,
    }


def _dropped(reason: str, event: dict[str, Any], details: Any) -> dict[str, Any]:
    count("CommandDropped")
    logger.warning(
        "command dropped", extra={"reason": reason, "event_id": event.get("id"), "details": details}
    )
    return {"status": "dropped", "reason": reason}
