"""RegisterFunction's routes: `PUT /contacts/{contact_id}`, `POST /contacts/{contact_id}/sync` and
`POST /contacts/import`."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from contact_archive.api.errors import ReservedContactId
from contact_archive.api.params import ContactIdPath, IfMatchHeader
from contact_archive.api.request import actor_of, json_response, parse_if_match, tenant_of
from contact_archive.api.schemas import (
    ContactOut,
    ImportOut,
    ImportRequest,
    RegisterRequest,
    documented,
)
from contact_archive.contacts.changes import retry_failed_links
from contact_archive.contacts.importing import ImportCommand, ImportResult, import_contacts
from contact_archive.contacts.register import LinkInput, RegisterCommand, register_contact
from contact_archive.contacts.views import contact_body
from contact_archive.dependencies import (
    get_cursor_codec,
    get_erasure_key,
    get_store,
    get_vendor_clients,
)
from contact_archive.ledger.cursor import query_fingerprint
from contact_archive.observability import count

router = APIGatewayRouter()
# Ids that name a route of their own: `GET /contacts/resolve` would never reach such a contact.
RESERVED_CONTACT_IDS = frozenset({"resolve"})


@router.put(
    "/contacts/<contact_id>",
    summary="Create a contact or update its profile and vendor links",
    description=(
        "Profile fields are replaced as given. Links are upserted by vendor; a link not named "
        "is kept, since it may hold what a restore needs. A vendor id linked to another contact "
        "of the tenant is a 409. Returns 201 when the contact was created. The id `resolve` "
        "names a route and is refused."
    ),
    responses=documented(ContactOut, 400, 404, 409, 410, ok_statuses=(200, 201), body=True),
    tags=["contacts"],
)
def put_contact(
    contact_id: ContactIdPath,
    body: Annotated[RegisterRequest, Body()],
    if_match: IfMatchHeader = None,
) -> Response[dict[str, Any]]:
    if contact_id in RESERVED_CONTACT_IDS:
        raise ReservedContactId(contact_id)
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


@router.post(
    "/contacts/import",
    summary="Import a vendor's contacts into the ledger",
    description=(
        "Pulls the tenant's contacts from the vendor page by page and links each to the ledger "
        "contact with the same email (case-insensitive), creating contacts as needed: a person "
        "found in several vendors becomes one contact with several links. Running it again "
        "changes nothing. Contacts archived at the vendor are counted, not imported. One call "
        "reads a bounded number of pages; while `complete` is false, call again with "
        "`next_cursor`. 409 when the tenant has no credentials for the vendor; 424 when the "
        "vendor refused or did not answer (`details.retryable`)."
    ),
    responses=documented(ImportOut, 400, 409, 424, body=True),
    tags=["contacts"],
)
def import_from_vendor(body: Annotated[ImportRequest, Body()]) -> Response[dict[str, Any]]:
    tenant_id = tenant_of(router)
    codec = get_cursor_codec()
    # Vendor cursors go out signed and bound to this import, like list cursors.
    fingerprint = query_fingerprint(kind="import", vendor=body.vendor.value, scope=body.scope)
    vendor_cursor = None
    if body.cursor:
        vendor_cursor = str(codec.decode(body.cursor, tenant_id, fingerprint).get("vendor_cursor"))
    client = get_vendor_clients()(tenant_id, body.vendor)
    outcome = import_contacts(
        get_store(),
        client,
        ImportCommand(
            tenant_id=tenant_id,
            vendor=body.vendor,
            actor=actor_of(router),
            scope=body.scope,
            cursor=vendor_cursor,
            erasure_key=get_erasure_key(),
        ),
    )
    for result in ImportResult:
        if outcome.counts[result]:
            count(f"Import{result.value.title().replace('_', '')}", outcome.counts[result])
    next_cursor = (
        codec.encode(tenant_id, fingerprint, {"vendor_cursor": outcome.next_cursor})
        if outcome.next_cursor
        else None
    )
    return json_response(
        200,
        {
            "vendor": body.vendor.value,
            "created": outcome.counts[ImportResult.CREATED],
            "linked": outcome.counts[ImportResult.LINKED],
            "unchanged": outcome.counts[ImportResult.UNCHANGED],
            "skipped_archived": outcome.counts[ImportResult.SKIPPED_ARCHIVED],
            "skipped_erased": outcome.counts[ImportResult.SKIPPED_ERASED],
            "conflicts": outcome.counts[ImportResult.CONFLICT],
            "conflict_samples": outcome.conflicts,
            "complete": outcome.next_cursor is None,
            "next_cursor": next_cursor,
        },
    )


@router.post(
    "/contacts/<contact_id>/sync",
    summary="Retry a contact's failed vendor links",
    description=(
        "Links that ended `failed` for the contact's latest archive or restore go back to "
        "`archiving` / `restoring`, and vendor sync tries them again. 202 when some were retried; "
        "200, changing nothing, when no link had failed."
    ),
    responses=documented(ContactOut, 404, 409, 410, ok_statuses=(200, 202), body=True),
    tags=["contacts"],
)
def retry_sync(contact_id: ContactIdPath) -> Response[dict[str, Any]]:
    contact, retried = retry_failed_links(get_store(), tenant_of(router), contact_id)
    if retried:
        count("LinksRetried", retried)
    return json_response(202 if retried else 200, contact_body(contact), version=contact.version)
