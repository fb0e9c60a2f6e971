"""What a webhook delivery can be refused for; `api/errors.py` maps each to its status."""

from __future__ import annotations

from contact_archive.ledger.errors import DomainError


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
