"""RegisterFunction's tenant settings: `GET /settings` and `PUT /settings`.

What happens when a vendor changes a contact by itself (a webhook, reconciliation): `record` (the
default) keeps the ledger true and changes nothing else; `mirror` also archives or restores the
contact at every other vendor (`inbound/vendor_changes.py`). And how long an archived contact is
kept before it is erased (`archived_retention_days`, default 365: `sync/retention.py`). A PUT
changes the settings it names and leaves the others.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import Field, model_validator

from contact_archive.api.request import json_response, tenant_of
from contact_archive.api.schemas import RequestBody, ResponseBody, documented
from contact_archive.dependencies import get_store
from contact_archive.ledger.models import VendorChangePolicy, iso, utc_now
from contact_archive.ledger.store.tenant_settings import TenantSettings
from contact_archive.observability import count, logger

router = APIGatewayRouter()

POLICY_DESCRIPTION = (
    "When a vendor archives, restores or deletes a contact by itself: `record` (default) "
    "records it on that vendor's link and in the history only; `mirror` also archives or "
    "restores the contact at every other linked vendor."
)


RETENTION_DESCRIPTION = (
    "Archived contacts are erased (as `POST /contacts/{contact_id}/erase` does) this many days "
    "after they were archived; default 365. A contact restored meanwhile is kept."
)
MAX_RETENTION_DAYS = 36_500


class SettingsRequest(RequestBody):
    vendor_change_policy: VendorChangePolicy | None = Field(
        default=None, description=POLICY_DESCRIPTION
    )
    archived_retention_days: int | None = Field(
        default=None, ge=1, le=MAX_RETENTION_DAYS, description=RETENTION_DESCRIPTION
    )

    @model_validator(mode="after")
    def names_a_setting(self) -> SettingsRequest:
        if self.vendor_change_policy is None and self.archived_retention_days is None:
            raise ValueError("name a setting: vendor_change_policy or archived_retention_days")
        return self


class SettingsOut(ResponseBody):
    vendor_change_policy: VendorChangePolicy = Field(description=POLICY_DESCRIPTION)
    archived_retention_days: int = Field(description=RETENTION_DESCRIPTION)


def settings_body(settings: TenantSettings) -> dict[str, Any]:
    return {
        "vendor_change_policy": settings.vendor_change_policy.value,
        "archived_retention_days": settings.archived_retention_days,
    }


@router.get(
    "/settings",
    summary="The tenant's settings",
    operation_id="get_settings",
    responses=documented(SettingsOut),
    tags=["settings"],
)
def read_settings() -> Response[dict[str, Any]]:
    return json_response(200, settings_body(get_store().tenant_settings.get(tenant_of(router))))


@router.put(
    "/settings",
    summary="Change the tenant's settings",
    description=(
        "Changes the settings named, leaves the others. "
        + POLICY_DESCRIPTION
        + " It applies to vendor changes received from then on. "
        + RETENTION_DESCRIPTION
        + " A shorter retention reaches contacts archived earlier within 30 days."
    ),
    operation_id="put_settings",
    responses=documented(SettingsOut, 400, body=True),
    tags=["settings"],
)
def write_settings(body: Annotated[SettingsRequest, Body()]) -> Response[dict[str, Any]]:
    tenant_id = tenant_of(router)
    settings = get_store().tenant_settings.update(
        tenant_id,
        at=iso(utc_now()),
        vendor_change_policy=body.vendor_change_policy,
        archived_retention_days=body.archived_retention_days,
    )
    count("SettingsUpdated")
    logger.info("settings updated", extra={"tenant_id": tenant_id, **settings_body(settings)})
    return json_response(200, settings_body(settings))
