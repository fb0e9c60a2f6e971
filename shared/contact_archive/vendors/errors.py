"""What can go wrong talking to a vendor, in terms every caller can act on."""

from __future__ import annotations

from contact_archive.models import Vendor


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
