"""Domain errors. They say what went wrong; `api/errors.py` alone decides the HTTP status."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ContactNotFound(DomainError):
    code = "contact_not_found"

    def __init__(self, contact_id: str) -> None:
        super().__init__(f"no contact {contact_id!r} in this tenant", {"contact_id": contact_id})


class VersionConflict(DomainError):
    code = "version_conflict"

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(
            f"the contact is at version {actual}, not {expected}; fetch it and try again",
            {"expected_version": expected, "current_version": actual},
        )


class VendorIdTaken(DomainError):
    code = "vendor_id_taken"

    def __init__(self, vendor: str, vendor_id: str, other_contact_id: str | None) -> None:
        super().__init__(
            f"{vendor} id {vendor_id!r} is already linked to another contact",
            {"vendor": vendor, "vendor_id": vendor_id, "contact_id": other_contact_id},
        )


class UnknownLink(DomainError):
    code = "unknown_link"

    def __init__(self, vendors: list[str]) -> None:
        super().__init__(f"the contact has no link to {', '.join(vendors)}", {"vendors": vendors})


class LinkLocked(DomainError):
    """A link holding restore material cannot be re-pointed until the contact is active."""

    code = "link_locked"

    def __init__(self, vendor: str, state: str) -> None:
        super().__init__(
            f"the {vendor} link is {state}; restore the contact before changing its vendor id",
            {"vendor": vendor, "state": state},
        )


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__("this Idempotency-Key was already used with a different request")


class IdempotencyInProgress(DomainError):
    code = "idempotency_in_progress"

    def __init__(self) -> None:
        super().__init__(
            "a request with this Idempotency-Key is still being processed; retry later"
        )


class InvalidCursor(DomainError):
    code = "invalid_cursor"

    def __init__(self, why: str) -> None:
        super().__init__(f"invalid cursor: {why}")


class MissingTenant(DomainError):
    code = "unauthorized"

    def __init__(self) -> None:
        super().__init__("no tenant in the request's authorizer context")


class InvalidHeader(DomainError):
    code = "invalid_header"

    def __init__(self, header: str, why: str) -> None:
        super().__init__(f"invalid {header} header: {why}", {"header": header})


class VendorNotConfigured(DomainError):
    code = "vendor_not_configured"

    def __init__(self, vendor: str) -> None:
        super().__init__(
            f"no {vendor} credentials are configured for this tenant", {"vendor": vendor}
        )


class VendorCallFailed(DomainError):
    """A vendor refused or did not answer; the message is the vendor's own, never a secret."""

    code = "vendor_call_failed"

    def __init__(self, vendor: str, message: str, *, retryable: bool) -> None:
        super().__init__(message, {"vendor": vendor, "retryable": retryable})


# -- inbound webhooks ---------------------------------------------------------------------------


class WebhookNotConfigured(DomainError):
    """No webhook here: an unknown vendor, one that sends none, or a tenant without that
    vendor's signing secret. The same answer for each, so the URL tells a prober nothing."""

    code = "webhook_not_configured"

    def __init__(self) -> None:
        super().__init__("no webhook is configured at this URL")


class WebhookUnauthenticated(DomainError):
    """The delivery's signature is missing, malformed or forged, or (Sequence) its timestamp is
    outside the window. `reason` is a fixed code (`vendors.webhooks.SignatureFailure`)."""

    code = "invalid_signature"

    def __init__(self, message: str, vendor: str, reason: str) -> None:
        super().__init__(message, {"vendor": vendor, "reason": reason})


class WebhookBodyMalformed(DomainError):
    """A correctly signed body that is not the vendor's notification envelope."""

    code = "malformed_webhook"

    def __init__(self, message: str, vendor: str, reason: str) -> None:
        super().__init__(message, {"vendor": vendor, "reason": reason})
