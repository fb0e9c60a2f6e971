"""The bodies of the jobs routes (`job_routes.py`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from contact_archive.api.schemas import (
    EMAIL_PATTERN,
    SCOPE_PATTERN,
    TEXT_PATTERN,
    LinkSelector,
    RequestBody,
    ResponseBody,
)
from contact_archive.ledger.models import CONTACT_ID_PATTERN, MAX_LINKS, Vendor

MAX_NAMES = 10_000
EMAIL = Annotated[str, StringConstraints(max_length=254, pattern=EMAIL_PATTERN)]
CONTACT_ID = Annotated[str, StringConstraints(pattern=CONTACT_ID_PATTERN)]
DOMAIN_PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9-]{0,62}\.)+[A-Za-z0-9-]{1,63}$"


class VendorIdName(RequestBody):
    vendor: Vendor
    vendor_id: str = Field(min_length=1, max_length=256, pattern=TEXT_PATTERN)


class JobFilter(RequestBody):
    status: Literal["active", "partially_archived", "archived"] | None = None
    vendor: Vendor | None = None
    email_domain: str | None = Field(default=None, max_length=253, pattern=DOMAIN_PATTERN)
    scope: str | None = Field(
        default=None,
        pattern=SCOPE_PATTERN,
        description="One of the vendor's scopes, such as a Sequence customer id (needs `vendor`)",
    )

    @model_validator(mode="after")
    def scope_needs_vendor(self) -> JobFilter:
        if self.scope is not None and self.vendor is None:
            raise ValueError("`scope` needs `vendor`")
        return self


class JobRequestBody(RequestBody):
    """An archive, restore or erasure of many contacts, named by exactly one selector."""

    action: Literal["archive", "restore", "erase"] = Field(
        description="`erase`: each contact erased for good, as `POST /contacts/{id}/erase` does"
    )
    reason: str | None = Field(default=None, max_length=500, pattern=TEXT_PATTERN)
    vendors: list[LinkSelector] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_LINKS,
        description="Only these links of each contact (vendors or `vendor:scope` link keys)",
    )
    contact_ids: list[CONTACT_ID] | None = Field(default=None, min_length=1, max_length=MAX_NAMES)
    emails: list[EMAIL] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_NAMES,
        description="Matched in any case; every contact with the email",
    )
    vendor_ids: list[VendorIdName] | None = Field(default=None, min_length=1, max_length=MAX_NAMES)
    filter: JobFilter | None = Field(
        default=None, description="Every contact the filter selects when the job starts"
    )

    @model_validator(mode="after")
    def one_selector(self) -> JobRequestBody:
        given = [
            name
            for name in ("contact_ids", "emails", "vendor_ids", "filter")
            if getattr(self, name) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "name the contacts with exactly one of `contact_ids`, `emails`, `vendor_ids`"
                f" or `filter` (given: {', '.join(given) or 'none'})"
            )
        if self.action == "erase" and self.vendors is not None:
            raise ValueError("an erasure takes every link: `vendors` does not apply")
        return self


class TallyOut(ResponseBody):
    total: int | None
    succeeded: int
    failed: int
    skipped: int
    pending: int


class JobFailureOut(ResponseBody):
    contact_id: str | None
    vendor: str | None
    reason: str


class SelectorOut(ResponseBody):
    kind: Literal["contact_ids", "emails", "vendor_ids", "filter"]
    size: int | None
    filter: dict[str, str] | None


class JobOut(ResponseBody):
    job_id: str
    action: Literal["archive", "restore", "erase"]
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    selector: SelectorOut
    reason: str | None
    vendors: list[str] | None
    counts: TallyOut
    vendors_counts: dict[str, TallyOut] = Field(description="Per vendor, link by link")
    failures: list[JobFailureOut] = Field(description="The first 100")
    created_at: str
    updated_at: str
    finished_at: str | None


class JobPageOut(ResponseBody):
    items: list[JobOut]
    next_cursor: str | None
