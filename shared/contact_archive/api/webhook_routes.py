"""WebhookFunction's routes: `POST` and `HEAD /webhooks/{vendor}/{tenant_id}`.

No authorizer in front of these (vendors cannot use ours): the tenant comes from the URL, and
the delivery's signature, keyed by that tenant's own secret, is what authenticates it
(`inbound/webhooks.py`). The body is read raw, exactly as it was signed.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import Field

from contact_archive.api.request import json_response
from contact_archive.api.schemas import ErrorBody, ResponseBody
from contact_archive.dependencies import get_signing_secrets, get_store
from contact_archive.inbound.errors import WebhookNotConfigured
from contact_archive.inbound.webhooks import (
    ACCEPTED_FOR_LATER,
    InboundWebhook,
    WebhookOutcome,
    check_endpoint,
    receive_webhook,
)
from contact_archive.ledger.models import TENANT_PATTERN, utc_now
from contact_archive.observability import count

router = APIGatewayRouter()

VendorPath = Annotated[
    str, Path(description="`intercom` or `sequence`: the vendors that send webhooks.")
]
TenantPath = Annotated[
    str,
    Path(description="The tenant whose signing secret the delivery must be signed with."),
]


class WebhookOut(ResponseBody):
    outcome: WebhookOutcome = Field(
        description=(
            "`recorded`, `mirrored` (also archived or restored at the other vendors), "
            "`already_known`, `stale`, `not_linked`, `duplicate` or `ignored` with 200; "
            "`unknown_contact` (kept, nothing changed) or `queued` (a whole customer's "
            "contacts, applied shortly) with 202."
        )
    )


class ThrottledOut(ResponseBody):
    """API Gateway's own answer when the stage's throttle refuses a request."""

    message: str = Field(examples=["Too Many Requests"])


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"model": ErrorBody}}}


RESPONSES: dict[int, Any] = {
    200: {"description": "Applied", "content": {"application/json": {"model": WebhookOut}}},
    202: {
        "description": "Accepted for later",
        "content": {"application/json": {"model": WebhookOut}},
    },
    400: _error("Signed, but not the vendor's notification envelope"),
    401: _error("Missing or forged signature, or (Sequence) a timestamp over 5 minutes off"),
    404: _error("Unknown vendor or tenant, or no signing secret configured for them"),
    # Answered by API Gateway itself, in its own shape, before the function is invoked.
    429: {
        "description": "Over the stage's webhook throttle (`WebhookThrottleRateLimit`)",
        "content": {"application/json": {"model": ThrottledOut}},
    },
}


def _tenant(tenant_id: str) -> str:
    if not TENANT_PATTERN.match(tenant_id):
        raise WebhookNotConfigured()
    return tenant_id


@router.post(
    "/webhooks/<vendor>/<tenant_id>",
    summary="Receive a vendor's signed webhook delivery",
    description=(
        "Intercom (`X-Hub-Signature: sha1=...`, topics `contact.archived`, `contact.unarchived`, "
        "`contact.deleted`) and Sequence (`Sequence-Signature: t=...,s=...`, "
        "`CUSTOMER_ARCHIVED`). No API authorizer: the signature, keyed by the tenant's own "
        "signing secret, authenticates the delivery. A redelivery is recognised by the "
        "vendor's notification id and changes nothing (`duplicate`). Other topics: `ignored`."
    ),
    operation_id="receive_webhook",
    responses=RESPONSES,
    tags=["webhooks"],
)
def receive(vendor: VendorPath, tenant_id: TenantPath) -> Response[dict[str, Any]]:
    event = router.current_event
    request = InboundWebhook(
        vendor=vendor,
        tenant_id=_tenant(tenant_id),
        body=event.get("body"),
        base64_encoded=bool(event.get("isBase64Encoded")),
        headers=event.get("headers") or {},
    )
    outcome = receive_webhook(get_store(), get_signing_secrets(), request, now=utc_now())
    count(f"Webhook{outcome.value.title().replace('_', '')}")
    count("WebhookAccepted")  # verified and taken, whatever it did; refusals count apart
    status = 202 if outcome in ACCEPTED_FOR_LATER else 200
    return json_response(status, {"outcome": outcome.value})


@router.head(
    "/webhooks/<vendor>/<tenant_id>",
    summary="Check the webhook URL (Intercom does before it sends anything)",
    description="200 with no body where the tenant has a signing secret for the vendor; 404 otherwise.",
    operation_id="check_webhook",
    responses={200: {"description": "Configured"}, 404: RESPONSES[404], 429: RESPONSES[429]},
    tags=["webhooks"],
)
def check(vendor: VendorPath, tenant_id: TenantPath) -> Response[str]:
    check_endpoint(get_signing_secrets(), vendor, _tenant(tenant_id))
    return Response(status_code=200, body="")
