"""RegisterFunction's routes: `PUT /contacts/{contact_id}`."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from contact_archive.api.params import ContactIdPath, IfMatchHeader
from contact_archive.api.request import actor_of, json_response, parse_if_match, tenant_of
from contact_archive.api.schemas import ContactOut, RegisterRequest, contact_body, documented
from contact_archive.dependencies import get_store
from contact_archive.observability import count
from contact_archive.use_cases import LinkInput, RegisterCommand, register_contact

router = APIGatewayRouter()


@router.put(
    "/contacts/<contact_id>",
    summary="Create a contact or update its profile and vendor links",
    description=(
        "Profile fields are replaced as given. Links are upserted by vendor; a link not named "
        "is kept, since it may hold what a restore needs. A vendor id linked to another contact "
        "of the tenant is a 409. Returns 201 when the contact was created."
    ),
    responses=documented(ContactOut, 400, 404, 409),
    tags=["contacts"],
)
def put_contact(
    contact_id: ContactIdPath,
    body: Annotated[RegisterRequest, Body()],
    if_match: IfMatchHeader = None,
) -> Response[dict[str, Any]]:
    outcome = register_contact(
        get_store(),
        RegisterCommand(
            tenant_id=tenant_of(router),
            contact_id=contact_id,
            actor=actor_of(router),
            email=body.email,
            first_name=body.first_name,
            last_name=body.last_name,
            external_id=body.external_id,
            links=[LinkInput(link.vendor, link.vendor_id, link.scope) for link in body.links],
            expected_version=parse_if_match(if_match),
        ),
    )
    count(
        "ContactRegistered"
        if outcome.created
        else "ContactUpdated"
        if outcome.changed
        else "RegisterWasNoop"
    )
    status = 201 if outcome.created else 200
    return json_response(status, contact_body(outcome.contact), version=outcome.contact.version)
