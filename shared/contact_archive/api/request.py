"""What every route reads from the request besides its parameters: tenant, actor, If-Match."""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from contact_archive.api.errors import InvalidHeader, MissingTenant
from contact_archive.ledger.models import TENANT_PATTERN, Actor

API_SOURCE = "api"
# ASCII digits only (str.isdigit takes superscripts and Arabic-Indic digits too), and few enough for any version a
# contact can reach: DynamoDB compares at most 38 digits.
IF_MATCH_VERSION = re.compile(r"[0-9]{1,18}")


def _authorizer(router: APIGatewayRouter) -> dict[str, Any]:
    context = router.current_event.get("requestContext") or {}
    authorizer = context.get("authorizer") or {}
    return authorizer if isinstance(authorizer, dict) else {}


def tenant_of(router: APIGatewayRouter) -> str:
    """The tenant comes from the authorizer only, never from the body or a header."""
    tenant = _authorizer(router).get("tenant_id")
    if not isinstance(tenant, str) or not TENANT_PATTERN.match(tenant):
        raise MissingTenant()
    return tenant


def actor_of(router: APIGatewayRouter) -> Actor:
    authorizer = _authorizer(router)
    name = authorizer.get("actor") or authorizer.get("principalId") or "anonymous"
    return Actor(name=str(name)[:256], source=API_SOURCE)


def parse_if_match(value: str | None) -> int | None:
    """`If-Match: "7"` (or W/"7", or 7) names the contact version the caller last saw."""
    if value is None:
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not IF_MATCH_VERSION.fullmatch(text) or int(text) < 1:
        raise InvalidHeader("If-Match", 'expected a contact version such as "3"')
    return int(text)


def json_response(
    status_code: int, body: dict[str, Any], *, version: int | None = None, replayed: bool = False
) -> Response[dict[str, Any]]:
    headers: dict[str, str] = {}
    if version is not None:
        headers["ETag"] = f'"{version}"'
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(
        status_code=status_code,
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers=headers,
    )
