"""The canonical contact: what every vendor's contact looks like once mapped."""

from __future__ import annotations

from datetime import UTC, date, datetime

from pydantic import BaseModel, ConfigDict

from contact_archive.ledger.models import LinkState, Vendor, iso


class VendorContact(BaseModel):
    """One contact as a vendor holds it, in the ledger's terms."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    vendor: Vendor
    vendor_id: str
    scope: str | None = None  # Sequence: the customer id the contact belongs to
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    external_id: str | None = None
    archived: bool = False
    archived_at: str | None = None  # ISO 8601 UTC; None when archived but the vendor gives no time
    archived_by: str | None = None
    created_at: str | None = None  # ISO 8601 UTC
    updated_at: str | None = None  # ISO 8601 UTC
    list_ids: tuple[str, ...] | None = None  # Constant Contact list memberships, when known

    @property
    def link_state(self) -> LinkState:
        return LinkState.ARCHIVED if self.archived else LinkState.ACTIVE


def iso_from_unix(seconds: int | float | None) -> str | None:
    """UNIX seconds (Intercom) to ISO 8601 UTC."""
    if seconds is None:
        return None
    return iso(datetime.fromtimestamp(seconds, UTC))


def iso_from_text(text: str | None) -> str | None:
    """An ISO 8601 timestamp with any offset, or a bare date (Constant Contact `deleted_at`),
    to ISO 8601 UTC. A date counts as its midnight UTC."""
    if text is None or text == "":
        return None
    if len(text) == 10:
        return iso(datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC))
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return iso(moment)


def split_name(name: str | None) -> tuple[str | None, str | None]:
    """One `name` field (Sequence, Intercom) to first and last name: last word is the last name."""
    if not name or not name.strip():
        return None, None
    parts = name.strip().split()
    if len(parts) == 1:
        return parts[0], None
    return " ".join(parts[:-1]), parts[-1]


def join_name(first_name: str | None, last_name: str | None) -> str | None:
    joined = " ".join(part for part in (first_name, last_name) if part)
    return joined or None
