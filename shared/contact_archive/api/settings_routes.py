"""RegisterFunction's tenant settings: `GET /settings` and `PUT /settings`.

One setting so far: what happens when a vendor changes a contact by itself (a webhook, later
reconciliation). `record` (the default) keeps the ledger true and changes nothing else; `mirror`
also archives or restores the contact at every other vendor (`inbound/vendor_changes.py`).
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import Field

from contact_archive.api.request import json_response, tenant_of
from contact_archive.api.schemas import RequestBody, ResponseBody, documented
from contact_archive.dependencies import get_store
from contact_archive.ledger.models import VendorChangePolicy, iso, utc_now
from contact_archive.observability import count, logger

router = APIGatewayRouter()

POLICY_DESCRIPTION = (
    "When a vendor archives, restores or deletes a contact by itself: `record` (default) "
    "records it on that vendor's link and in the history only; `mirror` also archives or "
    "restores the contact at every other linked vendor."
)


class SettingsRequest(RequestBody):
    vendor_change_policy: VendorChangePolicy = Field(description=POLICY_DESCRIPTION)


class SettingsOut(ResponseBody):
    vendor_change_policy: VendorChangePolicy = Field(description=POLICY_DESCRIPTION)


@router.get(
    "/settings",
    summary="The tenant's settings",
    operation_id="get_settings",
    responses=documented(SettingsOut),
    tags=["settings"],
)
def read_settings() -> Response[dict[str, Any]]:
    policy = get_store().tenant_settings.vendor_change_policy(tenant_of(router))
    return json_response(200, {"vendor_change_policy": policy.value})


@router.put(
    "/settings",
    summary="Change the tenant's settings",
    description=POLICY_DESCRIPTION + " It applies to vendor changes received from then on.",
    operation_id="put_settings",
    responses=documented(SettingsOut, 400, body=True),
    tags=["settings"],
)
def write_settings(body: Annotated[SettingsRequest, Body()]) -> Response[dict[str, Any]]:
    tenant_id = tenant_of(router)
    get_store().tenant_settings.set_vendor_change_policy(
        tenant_id, body.vendor_change_policy, at=iso(utc_now())
    )
    count("SettingsUpdated")
    logger.info(
        "settings updated",
        extra={"tenant_id": tenant_id, "vendor_change_policy": body.vendor_change_policy.value},
    )
    return json_response(200, {"vendor_change_policy": body.vendor_change_policy.value})
