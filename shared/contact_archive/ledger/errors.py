"""Domain errors. They say what went wrong; `api/errors.py` alone decides the HTTP status.

`DomainError` is the base of every error a caller may be answered with; the capabilities add
their own (`vendors/errors.py`, `inbound/errors.py`, `api/errors.py`). The last two here are
not answers but signals between the store and the use cases that call it."""

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


class ContactErased(DomainError):
    """The contact was erased: only its tombstone is left (ids, times, who and why)."""

    code = "contact_erased"

    def __init__(self, contact_id: str) -> None:
        super().__init__(
            f"contact {contact_id!r} was erased: its data is gone", {"contact_id": contact_id}
        )


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


class ConcurrentUpdate(Exception):
    """The contact changed between read and write; the caller decides whether to retry."""


class DuplicateDelivery(Exception):
    """The notification was applied before: nothing was written."""


class NoMatchingContact(DomainError):
    """No contact answers to what the caller named it by. The value is not repeated: it may be
    an email."""

    code = "contact_not_found"

    def __init__(self, by: str) -> None:
        super().__init__(f"no contact of this tenant has this {by}", {"by": by})


class AmbiguousContact(DomainError):
    """Several contacts answer to what the caller named it by: name one by its id."""

    code = "ambiguous_contact"

    def __init__(self, by: str, candidates: list[str]) -> None:
        super().__init__(
            f"{len(candidates)} contacts have this {by}: name one by its id",
            {"by": by, "candidates": candidates},
        )


class JobNotFound(DomainError):
    code = "job_not_found"

    def __init__(self, job_id: str) -> None:
        super().__init__(f"no job {job_id!r} for this tenant", {"job_id": job_id})


class JobNotQueued(DomainError):
    """The job's work could not be handed to its queue: the job failed at once; try again."""

    code = "job_not_queued"

    def __init__(self, job_id: str) -> None:
        super().__init__(
            "the job's work could not be queued: it failed; submit it again",
            {"job_id": job_id, "retryable": True},
        )


class JobAlreadyFinished(DomainError):
    code = "job_finished"

    def __init__(self, job_id: str, status: str) -> None:
        super().__init__(
            f"job {job_id!r} has finished ({status}): there is nothing left to cancel",
            {"job_id": job_id, "status": status},
        )
