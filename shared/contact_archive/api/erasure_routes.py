"""RegisterFunction's erasure route: `POST /contacts/{contact_id}/erase`.

The contact's personal data leaves the ledger at once and a tombstone stays (`contacts/erasure.py`);
its vendors follow from the stream: 202. Erasing it again answers the same tombstone, 202.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import Field

from contact_archive.api.params import ContactIdPath
from contact_archive.api.request import actor_of, json_response, tenant_of
from contact_archive.api.schemas import TEXT_PATTERN, RequestBody, ResponseBody, documented
from contact_archive.contacts.erasure import EraseCommand, erase_contact
from contact_archive.dependencies import get_erasure_key, get_store
from contact_archive.ledger.models import Vendor
from contact_archive.ledger.tombstones import ErasedLinkState, Tombstone
from contact_archive.observability import count

router = APIGatewayRouter()


class EraseRequest(RequestBody):
    reason: str | None = Field(default=None, max_length=500, pattern=TEXT_PATTERN)


class ErasedLinkOut(ResponseBody):
    vendor: Vendor
    vendor_id: str
    scope: str | None
    state: ErasedLinkState = Field(
        description=(
            "`erasing` until the vendor is asked; then `deleted` (Intercom deletes for good), "
            "`archived` (the others), `gone` (the vendor no longer had it) or `failed` (`error`)"
        )
    )
    error: str | None


class ErasedContactOut(ResponseBody):
    id: str
    status: str = Field(description="Always `erased`.")
    erased_at: str
    erased_by: str
    reason: str | None
    links: list[ErasedLinkOut]


def erased_body(tombstone: Tombstone) -> dict[str, Any]:
    return {
        "id": tombstone.contact_id,
        "status": "erased",
        "erased_at": tombstone.erased_at,
        "erased_by": tombstone.erased_by,
        "reason": tombstone.reason,
        "links": [
            {
                "vendor": link.vendor.value,
                "vendor_id": link.vendor_id,
                "scope": link.scope,
                "state": link.state.value,
                "error": link.error,
            }
            for link in tombstone.links.values()
        ],
    }


@router.post(
    "/contacts/<contact_id>/erase",
    summary="Erase a contact: its personal data leaves the ledger for good",
    description=(
        "The contact's email, names, restore material and history leave the ledger, and the "
        "responses kept for its idempotency keys; its vendor ids are freed. Intercom is asked "
        "to delete its contact for good, the other vendors to archive theirs (`links[].state` "
        "says how far that has got). A tombstone stays: ids, when, by whom and why, and a "
        "keyed hash of the email, so that an import does not bring the person back. From "
        "then on the contact answers 410 `contact_erased` and no listing shows it. Erasing "
        "it again changes nothing. Cannot be undone."
    ),
    responses=documented(ErasedContactOut, 400, 404, 409, ok_statuses=(202,), body=True),
    tags=["contacts"],
)
def erase(
    contact_id: ContactIdPath, body: Annotated[EraseRequest | None, Body()] = None
) -> Response[dict[str, Any]]:
    outcome = erase_contact(
        get_store(),
        EraseCommand(
            tenant_id=tenant_of(router),
            contact_id=contact_id,
            actor=actor_of(router),
            reason=body.reason if body else None,
        ),
        get_erasure_key(),
    )
    count("ContactErased" if outcome.erased else "EraseWasNoop")
    return json_response(202, erased_body(outcome.tombstone))
