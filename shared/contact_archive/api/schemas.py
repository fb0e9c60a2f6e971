"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from contact_archive.ledger.models import (
    LINK_SELECTOR_PATTERN,
    MAX_LINKS,
    ContactStatus,
    HistoryAction,
    LinkState,
    Vendor,
)

# No control characters (NUL, escapes, DEL) in anything the ledger keeps: they break logs, CSV
# exports and vendor calls downstream. Patterns, so that the OpenAPI document says so too.
CONTROLS = r"\x00-\x1f\x7f"
TEXT_PATTERN = rf"^[^{CONTROLS}]*$"
EMAIL_PATTERN = rf"^[^@\s{CONTROLS}]+@[^@\s{CONTROLS}]+\.[^@\s{CONTROLS}]+$"
SCOPE_PATTERN = rf"^[^\s:{CONTROLS}][^\s{CONTROLS}]{{0,255}}$"
LinkSelector = Annotated[str, StringConstraints(pattern=LINK_SELECTOR_PATTERN)]


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class ResponseBody(BaseModel):
    """Documents a response in the OpenAPI document; never built at run time."""

    model_config = ConfigDict(defer_build=True)


class ChangeRequest(RequestBody):
    reason: str | None = Field(default=None, max_length=500, pattern=TEXT_PATTERN)
    vendors: list[LinkSelector] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_LINKS,
        description=(
            "Only these links: a vendor for all its links, or one link as `vendor:scope`"
            " (e.g. `sequence:<customer id>`); every link of the contact when omitted."
        ),
    )


class ChangeByNameRequest(ChangeRequest):
    """An archive or restore of the contact named by exactly one of: `email`, `external_id`,
    or `vendor` with `vendor_id`."""

    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    external_id: str | None = Field(
        default=None, min_length=1, max_length=256, pattern=TEXT_PATTERN
    )
    vendor: Vendor | None = None
    vendor_id: str | None = Field(default=None, min_length=1, max_length=256, pattern=TEXT_PATTERN)

    @model_validator(mode="after")
    def one_name(self) -> ChangeByNameRequest:
        if (self.vendor is None) != (self.vendor_id is None):
            raise ValueError("`vendor` and `vendor_id` go together")
        given = [self.email, self.external_id, self.vendor_id]
        if sum(value is not None for value in given) != 1:
            raise ValueError(
                "name the contact by exactly one of `email`, `external_id`, or `vendor` with"
                " `vendor_id`"
            )
        return self


class LinkBody(RequestBody):
    vendor: Vendor
    vendor_id: str = Field(min_length=1, max_length=256, pattern=TEXT_PATTERN)
    scope: str | None = Field(
        default=None,
        min_length=1,
        max_length=256,
        pattern=TEXT_PATTERN,
        description="Sequence: the customer id.",
    )


class RegisterRequest(RequestBody):
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    first_name: str | None = Field(default=None, max_length=200, pattern=TEXT_PATTERN)
    last_name: str | None = Field(default=None, max_length=200, pattern=TEXT_PATTERN)
    external_id: str | None = Field(default=None, max_length=256, pattern=TEXT_PATTERN)
    links: list[LinkBody] = Field(default_factory=list, max_length=MAX_LINKS)


class ImportRequest(RequestBody):
    vendor: Vendor
    scope: str | None = Field(
        default=None,
        min_length=1,
        max_length=256,
        pattern=TEXT_PATTERN,
        description="Sequence: the customer whose contacts to import (required there).",
    )
    cursor: str | None = Field(
        default=None,
        max_length=4096,
        description="The `next_cursor` of the previous answer, to go on where it stopped.",
    )

    @model_validator(mode="after")
    def _sequence_needs_a_scope(self) -> ImportRequest:
        if self.vendor is Vendor.SEQUENCE and self.scope is None:
            raise ValueError("sequence lists contacts per customer: give its id as `scope`")
        return self


class ImportConflictOut(ResponseBody):
    vendor: Vendor
    vendor_id: str
    reason: str


class ImportOut(ResponseBody):
    vendor: Vendor
    created: int = Field(description="New ledger contacts.")
    linked: int = Field(description="Existing contacts (same email) that gained this link.")
    unchanged: int = Field(description="Vendor contacts already linked: a re-run lands here.")
    skipped_archived: int = Field(description="Archived at the vendor, so not imported.")
    skipped_erased: int = Field(
        description="People erased from the ledger (their email's hash is kept), not imported."
    )
    conflicts: int
    conflict_samples: list[ImportConflictOut]
    complete: bool = Field(description="False when a page budget ran out: send `next_cursor`.")
    next_cursor: str | None


class LinkOut(ResponseBody):
    key: str = Field(description="`vendor`, or `vendor:scope` where the vendor has scopes")
    vendor: Vendor
    vendor_id: str
    scope: str | None
    state: LinkState
    has_snapshot: bool
    unrecoverable_reason: str | None
    last_error: str | None
    attempts: int
    synced_at: str | None


class ContactOut(ResponseBody):
    id: str
    external_id: str | None
    email: str | None
    first_name: str | None
    last_name: str | None
    status: ContactStatus
    status_reason: str | None
    archived_at: str | None
    archived_by: str | None
    restored_at: str | None
    restored_by: str | None
    version: int
    created_at: str
    updated_at: str
    links: list[LinkOut]


class ContactPageOut(ResponseBody):
    items: list[ContactOut]
    next_cursor: str | None


class HistoryEventOut(ResponseBody):
    version: int
    at: str
    action: HistoryAction
    actor: str
    source: str
    reason: str | None
    details: dict[str, Any] | None


class HistoryOut(ResponseBody):
    items: list[HistoryEventOut]


class ErrorDetail(ResponseBody):
    code: str
    message: str
    details: Any = None


class ErrorBody(ResponseBody):
    error: ErrorDetail


def documented(
    ok: type[BaseModel], *errors: int, ok_statuses: tuple[int, ...] = (200,), body: bool = False
) -> dict[int, Any]:
    """The `responses` of a route for the OpenAPI document: every status it answers. A route
    that reads a body (`body`) also answers 400 and 415 for one it cannot read as JSON."""
    descriptions = {
        400: "Malformed JSON, body, header or cursor",
        401: "No tenant in the authorizer context",
        404: "Unknown contact",
        409: "Version conflict, vendor id taken, key in progress, or vendor not configured",
        410: "The contact was erased (`contact_erased`): only its tombstone is left",
        415: "A body that is not `application/json` (UTF-8)",
        422: "Invalid field (named in details) or an Idempotency-Key reused with another body",
        424: (
            "The vendor refused or did not answer, or a job's work could not be queued "
            "(`details.retryable` says whether to retry)"
        ),
    }
    responses: dict[int, Any] = {
        status: {"description": "OK", "content": {"application/json": {"model": ok}}}
        for status in ok_statuses
    }
    for status in sorted({401, 422, *errors, *((400, 415) if body else ())}):
        responses[status] = {
            "description": descriptions[status],
            "content": {"application/json": {"model": ErrorBody}},
        }
    return responses
