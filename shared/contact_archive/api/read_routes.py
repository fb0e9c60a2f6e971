"""ListFunction's routes: list, get and history. Reads only."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from contact_archive.api.errors import InvalidQuery
from contact_archive.api.params import ContactIdPath
from contact_archive.api.request import json_response, tenant_of
from contact_archive.api.schemas import (
    EMAIL_PATTERN,
    SCOPE_PATTERN,
    TEXT_PATTERN,
    ContactOut,
    ContactPageOut,
    HistoryOut,
    documented,
)
from contact_archive.contacts.addressing import ContactName, resolve_contact_id
from contact_archive.contacts.reading import ListQuery, contact_history, get_contact, list_contacts
from contact_archive.contacts.views import contact_body, history_body
from contact_archive.dependencies import get_cursor_codec, get_store
from contact_archive.ledger.models import ContactStatus, Vendor

router = APIGatewayRouter()


@router.get(
    "/contacts",
    summary="List contacts by status, one page at a time",
    description=(
        "Active, partially archived (some links archived), archived (most recently changed "
        "first) or all contacts, optionally only those linked to a vendor (and, with `scope`, "
        "to one of its scopes such as a Sequence customer), or named by an email, an external id "
        "or a vendor's id (`vendor` with `vendor_id`). Follow `next_cursor` until it is null; with a "
        "vendor filter a page may hold fewer than `limit` contacts before the end."
    ),
    responses=documented(ContactPageOut, 400),
    tags=["contacts"],
)
def list_page(
    status: Annotated[
        Literal["active", "partially_archived", "archived", "all"], Query()
    ] = "active",
    vendor: Annotated[Vendor | None, Query()] = None,
    scope: Annotated[str | None, Query(min_length=1, max_length=256, pattern=SCOPE_PATTERN)] = None,
    vendor_id: Annotated[
        str | None, Query(min_length=1, max_length=256, pattern=TEXT_PATTERN)
    ] = None,
    external_id: Annotated[
        str | None, Query(min_length=1, max_length=256, pattern=TEXT_PATTERN)
    ] = None,
    email: Annotated[str | None, Query(max_length=254, pattern=EMAIL_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
) -> Response[dict[str, Any]]:
    if (scope is not None or vendor_id is not None) and vendor is None:
        raise InvalidQuery("`scope` and `vendor_id` need `vendor`")
    if email is not None and external_id is not None:
        raise InvalidQuery("filter by `email` or by `external_id`, not both")
    page = list_contacts(
        get_store(),
        get_cursor_codec(),
        ListQuery(
            tenant_id=tenant_of(router),
            status=None if status == "all" else ContactStatus(status),
            vendor=vendor,
            scope=scope,
            vendor_id=vendor_id,
            email=email,
            external_id=external_id,
            limit=limit,
            cursor=cursor,
        ),
    )
    body = {
        "items": [contact_body(contact) for contact in page.items],
        "next_cursor": page.next_cursor,
    }
    return json_response(200, body)


@router.get(
    "/contacts/resolve",
    summary="Get the one contact named by an email, an external id or a vendor's id",
    description=(
        "Exactly one of `email` (any case), `external_id` (exact), or `vendor` with `vendor_id`. "
        "Several contacts answering to it is a 409 `ambiguous_contact` whose "
        "`details.candidates` lists their ids; none is a 404."
    ),
    responses=documented(ContactOut, 404, 409),
    tags=["contacts"],
)
def resolve(
    email: Annotated[str | None, Query(max_length=254, pattern=EMAIL_PATTERN)] = None,
    external_id: Annotated[
        str | None, Query(min_length=1, max_length=256, pattern=TEXT_PATTERN)
    ] = None,
    vendor: Annotated[Vendor | None, Query()] = None,
    vendor_id: Annotated[
        str | None, Query(min_length=1, max_length=256, pattern=TEXT_PATTERN)
    ] = None,
) -> Response[dict[str, Any]]:
    if (vendor is None) != (vendor_id is None):
        raise InvalidQuery("`vendor` and `vendor_id` go together")
    if sum(value is not None for value in (email, external_id, vendor_id)) != 1:
        raise InvalidQuery(
            "name the contact by exactly one of `email`, `external_id`, or `vendor` with"
            " `vendor_id`"
        )
    store = get_store()
    tenant_id = tenant_of(router)
    name = ContactName(email, external_id, vendor, vendor_id)
    contact = get_contact(store, tenant_id, resolve_contact_id(store, tenant_id, name))
    return json_response(200, contact_body(contact), version=contact.version)


@router.get(
    "/contacts/<contact_id>",
    summary="Get one contact with its vendor links",
    responses=documented(ContactOut, 404, 410),
    tags=["contacts"],
)
def get_one(contact_id: ContactIdPath) -> Response[dict[str, Any]]:
    contact = get_contact(get_store(), tenant_of(router), contact_id)
    return json_response(200, contact_body(contact), version=contact.version)


@router.get(
    "/contacts/<contact_id>/history",
    summary="Every change of a contact, oldest first",
    responses=documented(HistoryOut, 404, 410),
    tags=["contacts"],
)
def history(contact_id: ContactIdPath) -> Response[dict[str, Any]]:
    events = contact_history(get_store(), tenant_of(router), contact_id)
    return json_response(200, history_body(events))
