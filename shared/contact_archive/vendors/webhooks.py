"""Inbound vendor webhooks: the one result every vendor's parser returns, and the two refusals.

Per vendor, `vendors/<vendor>/webhook.py` has `verify` (the signature over the raw body, in
constant time) and `parse` (the vendor's envelope to a `VendorNotification`). Both are pure: no
I/O, no clock of their own, so recorded deliveries in `tests/vendors/<vendor>/payloads/` pin them.

`WebhookSignatureInvalid` becomes a 401 and `WebhookMalformed` a 400. Their messages name the
vendor and a fixed reason code, never the secret, the signature or the body: they end up in logs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, SecretStr, model_validator

from contact_archive.ledger.models import Vendor


class NotificationKind(StrEnum):
    """What a notification does to the subject's link, in the ledger's terms."""

    ARCHIVED = "archived"
    UNARCHIVED = "unarchived"
    DELETED = "deleted"
    IGNORED = "ignored"  # a topic this service does not act on (Intercom `ping`, Sequence invoices)


class Subject(StrEnum):
    """What `vendor_id` names."""

    CONTACT = "contact"  # one vendor contact: one link
    CUSTOMER = "customer"  # Sequence customer: every link scoped to it (`VendorLink.scope`)


class VendorNotification(BaseModel):
    """One verified delivery, as the ledger will apply it.

    `notification_id` is the vendor's id for the notification where it has one (Intercom), so a
    redelivery is recognised as a duplicate. An ignored notification names no subject and may
    carry no time; any other kind always has both.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    vendor: Vendor
    notification_id: str
    topic: str  # the vendor's own name for it (`contact.archived`, `CUSTOMER_ARCHIVED`)
    kind: NotificationKind
    subject: Subject | None = None
    vendor_id: str | None = None  # the contact's id, or the Sequence customer's id
    vendor_account_id: str | None = None  # Intercom `app_id`, Sequence `sequenceAccountId`
    occurred_at: str | None = None  # ISO 8601 UTC

    @model_validator(mode="after")
    def _subject_matches_kind(self) -> Self:
        if self.kind is NotificationKind.IGNORED:
            if self.subject is not None or self.vendor_id is not None:
                raise ValueError("an ignored notification names no subject")
        elif self.subject is None or not self.vendor_id or self.occurred_at is None:
            raise ValueError(f"a {self.kind.value} notification needs a subject, id and time")
        return self


class SignatureFailure(StrEnum):
    """Why a signature was refused: safe to log and to return."""

    NO_SECRET = "no_secret"  # noqa: S105 - a reason code; the tenant has no secret: fail closed
    MISSING_HEADER = "missing_header"
    MALFORMED_HEADER = "malformed_header"
    MISMATCH = "signature_mismatch"  # forged, wrong secret, or body changed in transit
    TIMESTAMP_TOO_OLD = "timestamp_too_old"  # Sequence: replay window passed
    TIMESTAMP_IN_FUTURE = "timestamp_in_future"  # Sequence: clock skew beyond the window


class MalformedReason(StrEnum):
    NOT_JSON = "not_json"
    NOT_ENVELOPE = "not_envelope"  # JSON, but not the vendor's notification envelope
    BAD_ITEM = "bad_item"  # the envelope is fine, what it says about the subject is not


class WebhookError(Exception):
    """Base of both refusals: `vendor`, a fixed `reason` and a short description of it."""

    def __init__(self, vendor: Vendor, reason: StrEnum, detail: str) -> None:
        super().__init__(f"{vendor.value} webhook refused: {reason.value}: {detail}")
        self.vendor = vendor
        self.reason = reason


class WebhookSignatureInvalid(WebhookError):
    """Missing, malformed or forged signature, or (Sequence) a timestamp outside the window."""

    def __init__(self, vendor: Vendor, reason: SignatureFailure, detail: str) -> None:
        super().__init__(vendor, reason, detail)
        self.reason: SignatureFailure = reason


class WebhookMalformed(WebhookError):
    """A correctly signed body that is not JSON or not the vendor's notification envelope."""

    def __init__(self, vendor: Vendor, reason: MalformedReason, detail: str) -> None:
        super().__init__(vendor, reason, detail)
        self.reason: MalformedReason = reason


# -- helpers shared by the vendor modules ------------------------------------------------------


def header(vendor: Vendor, headers: Mapping[str, str], name: str) -> str | None:
    """The value of header `name`, whatever case the sender or API Gateway gave its name.

    Two spellings with different values are refused: which one was signed is anyone's guess."""
    wanted = name.lower()
    values = {value for key, value in headers.items() if key.lower() == wanted}
    if len(values) > 1:
        raise WebhookSignatureInvalid(
            vendor, SignatureFailure.MALFORMED_HEADER, f"{name} given more than once"
        )
    return next(iter(values), None)


def hmac_hex(secret: SecretStr, message: bytes, digest: Callable[[], Any]) -> str:
    """Lower-case hex HMAC of `message`; the secret is unwrapped only here."""
    return hmac.new(secret.get_secret_value().encode(), message, digest).hexdigest()


def signatures_match(expected_hex: str, given_hex: str) -> bool:
    """Constant-time comparison, so response timing cannot reveal how much of a guess was right.

    Called through the module (`hmac.compare_digest`), so tests can prove it is the one used."""
    return hmac.compare_digest(expected_hex.encode("ascii"), given_hex.lower().encode("ascii"))


def is_hex(text: str, length: int) -> bool:
    """Exactly `length` hex digits (checked before comparing: compare_digest wants ASCII)."""
    return len(text) == length and all(char in "0123456789abcdefABCDEF" for char in text)


def require_secret(vendor: Vendor, secret: SecretStr) -> None:
    """An empty secret would make every HMAC guessable: refuse everything instead."""
    if not secret.get_secret_value():
        raise WebhookSignatureInvalid(
            vendor, SignatureFailure.NO_SECRET, "no signing secret configured"
        )


def load_object(vendor: Vendor, raw_body: bytes) -> dict[str, Any]:
    """The body as a JSON object; anything else is malformed (never a 5xx)."""
    try:
        document = json.loads(raw_body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise WebhookMalformed(vendor, MalformedReason.NOT_JSON, "body is not JSON") from None
    if not isinstance(document, dict):
        raise WebhookMalformed(vendor, MalformedReason.NOT_ENVELOPE, "body is not a JSON object")
    return document


def body_digest(raw_body: bytes) -> str:
    """A stable id for a body, for vendors whose notifications carry none (Sequence)."""
    return "sha256:" + hashlib.sha256(raw_body).hexdigest()
