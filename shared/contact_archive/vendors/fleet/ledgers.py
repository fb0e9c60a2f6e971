"""What the fleet's token renewal and rate limits need from a shared store.

`ledger.store.vendor_accounts.VendorAccountStore` is one (the ledger table, shared by every
container); `memory.InProcessAccounts` is another (one process). Times are UNIX seconds.
"""

from __future__ import annotations

from typing import Protocol

from contact_archive.ledger.models import Vendor
from contact_archive.ledger.store.vendor_accounts import TokenState


class TokenLedger(Protocol):
    def token_state(self, tenant_id: str, vendor: Vendor) -> TokenState:
        """The account's token version and renewal lease, read consistently."""
        ...

    def take_lease(
        self, tenant_id: str, vendor: Vendor, *, version: int, owner: str, now: float, until: float
    ) -> bool:
        """The renewal lease, if the token is still at `version` and nobody holds it."""
        ...

    def publish(
        self, tenant_id: str, vendor: Vendor, *, version: int, owner: str, now: float
    ) -> bool:
        """Version `version` is saved; the lease is released. False if `owner` lost it."""
        ...

    def release(self, tenant_id: str, vendor: Vendor, *, owner: str) -> None:
        """Give the lease back without a new version."""
        ...


class RateLedger(Protocol):
    def claim_slot(
        self,
        vendor: Vendor,
        account: str,
        *,
        now_slot: int,
        day: str,
        daily_cap: int,
        expires_at: int,
    ) -> int | None:
        """The slot (`now_slot` or later) this call may go out in, one call per slot for the
        whole fleet, counted against `day`'s quota; None once `daily_cap` calls were."""
        ...

    def count_call(
        self, vendor: Vendor, account: str, *, window: int, cap: int, expires_at: int
    ) -> bool:
        """Count a call in `window` if fewer than `cap` were; False when the window is full."""
        ...


class AccountLedger(TokenLedger, RateLedger, Protocol):
    """Both: what a registry is given."""
