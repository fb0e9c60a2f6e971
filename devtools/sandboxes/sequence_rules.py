"""The rules the Sequence sandbox enforces beyond routing and auth: its rate limit, what a create
accepts, and a customer's PRIMARY billing contact.

Sources: the 2024-07-30 spec (`ContactRequestModel`, `ContactBillingPreference`) and VENDORS.md
(the rate limit). The spec declares 400 for every contact operation with no body, so each refusal
here is a 400 with the sandbox's `{"message": ...}` body; the rate limit is a 429.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, get_args

from contact_archive.vendors.sequence.types import Contact, ContactBillingPreference

BILLING_PREFERENCES: frozenset[str] = frozenset(get_args(ContactBillingPreference))
CREATE_FIELDS = ("name", "email", "billingPreference")  # all required, all strings (spec)
# VENDORS.md: 1,500 requests a minute per key in Sequence's newer docs (100 in older ones).
REQUESTS_PER_MINUTE = 1_500
WINDOW = timedelta(minutes=1)

# The spec's `billingPreference`: "For a given customer, if any contacts receive billing
# communications then at least one contact must be designated PRIMARY for billing." PRIMARY and
# STANDARD receive them, NONE does not; several PRIMARY contacts are not forbidden.
RECEIVING = frozenset({"PRIMARY", "STANDARD"})
STANDARD_WITHOUT_PRIMARY = (
    "billingPreference STANDARD needs a PRIMARY billing contact: the customer has no active"
    " PRIMARY contact"
)
LAST_PRIMARY = (
    "cannot archive the customer's only PRIMARY billing contact while other contacts receive"
    " billing communications"
)


class RateWindow:
    """Requests admitted per API key over the last minute, a sliding window.

    Not documented: whether Sequence counts in a fixed or a sliding minute, whether refused
    requests count, and whether its 429 carries `Retry-After`. The sandbox slides (the stricter
    of the two for a client), counts only admitted requests, and sends no `Retry-After` unless
    asked to, so a client must back off on its own."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("the rate limit must allow at least one request a minute")
        self.limit = limit
        self._admitted: dict[str, deque[datetime]] = {}

    def admit(self, key: str, now: datetime) -> float | None:
        """None when `key` may make one more request now (it is counted), else the seconds
        until the oldest request in its window leaves it."""
        admitted = self._admitted.setdefault(key, deque())
        while admitted and admitted[0] <= now - WINDOW:
            admitted.popleft()
        if len(admitted) >= self.limit:
            return (admitted[0] + WINDOW - now).total_seconds()
        admitted.append(now)
        return None


def retry_after(seconds: float) -> str:
    """`Retry-After` in whole seconds, at least one: a client waiting that long finds room."""
    return str(max(1, math.ceil(seconds)))


def create_refusal(body: Mapping[str, Any], contacts: Iterable[Contact]) -> str | None:
    """Why `POST /customers/{customer}/contacts` refuses `body`, or None. The spec requires
    `name`, `email` and `billingPreference`, all strings, the last one from its enum; it sets
    no length or format. Not documented: an empty string; the sandbox refuses it (a contact
    with no name or email is nothing a client should rely on making)."""
    for name in CREATE_FIELDS:
        value = body.get(name)
        if not isinstance(value, str):
            return f"{name} is required and must be a string"
        if not value:
            return f"{name} must not be empty"
    if body["billingPreference"] not in BILLING_PREFERENCES:
        return f"billingPreference must be one of {sorted(BILLING_PREFERENCES)}"
    if body["billingPreference"] == "STANDARD" and not _has_active_primary(contacts):
        return STANDARD_WITHOUT_PRIMARY
    return None


def archive_refusal(contact: Contact, contacts: Iterable[Contact]) -> str | None:
    """Why archiving `contact` is refused, or None: it is its customer's last active PRIMARY
    contact while another active contact still receives billing communications. An archived
    contact is not checked again (a second archive changes nothing)."""
    if "archivedAt" in contact or contact["billingPreference"] != "PRIMARY":
        return None
    others = [
        other for other in contacts if other["id"] != contact["id"] and "archivedAt" not in other
    ]
    receiving = any(other["billingPreference"] in RECEIVING for other in others)
    return LAST_PRIMARY if receiving and not _has_active_primary(others) else None


def _has_active_primary(contacts: Iterable[Contact]) -> bool:
    return any(
        contact["billingPreference"] == "PRIMARY" and "archivedAt" not in contact
        for contact in contacts
    )
