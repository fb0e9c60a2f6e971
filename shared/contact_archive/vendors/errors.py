"""What can go wrong talking to a vendor, in terms every caller can act on.

`VendorError` and its kinds are raised by the clients; the two `DomainError`s at the end are
what a caller of the API is answered with when a vendor is not configured or failed it."""

from __future__ import annotations

from contact_archive.ledger.errors import DomainError
from contact_archive.ledger.models import Vendor


class VendorError(Exception):
    """Base of the taxonomy. Messages carry no credentials and no personal data."""

    retryable = False

    def __init__(self, vendor: Vendor, message: str, *, status: int | None = None) -> None:
        super().__init__(f"{vendor.value}: {message}")
        self.vendor = vendor
        self.status = status


class PermanentVendorError(VendorError):
    """Bad credentials, a validation error: retrying the same call cannot succeed."""


class VendorNotFound(VendorError):
    """The vendor has no such contact (or, for Intercom, no longer shows an archived one)."""


class AlreadyInTargetState(VendorError):
    """The contact already is where the call would put it: callers treat this as success."""


class TransientVendorError(VendorError):
    """429, 5xx, a timeout: worth retrying, after `retry_after` seconds when the vendor says.

    `may_have_applied`: the request may have reached the vendor and taken effect even so (a
    timeout once sent, a 5xx). Repeating it is harmless for reads and for archives; a create
    must first look for what the lost attempt made (`VendorHttp.create_once`)."""

    retryable = True

    def __init__(
        self,
        vendor: Vendor,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        may_have_applied: bool = False,
    ) -> None:
        super().__init__(vendor, message, status=status)
        self.retry_after = retry_after
        self.may_have_applied = may_have_applied


# -- answers to API callers --------------------------------------------------------------------


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
