"""Vendor accounts shared by a fleet of containers: one token per account, one rate limit.

Deployed, SyncFunction runs one container per stream shard while RegisterFunction and
ReconcileFunction call the same vendors; each container builds its own clients. What must be
one for all of them lives in the ledger table, behind the Protocols of `ledgers.py` (the
ledger's `VendorAccountStore` is the implementation `dependencies.py` wires in):

- `tokens.py`: a rotating token (Constant Contact's refresh token dies at each use) is renewed
  by one container at a time under a lease, and the others re-read the saved one.
- `limits.py`: each vendor's documented rate limit, less a margin, counted for the fleet: time
  slots for Constant Contact's 4 requests a second (and its 10,000 a day), per-window counters
  for Intercom's and Sequence's per-minute limits; Routera documents none.
- `memory.py`: the same rules in one process, for a registry given no ledger (tests, tools):
  the documented per-process fallback.

docs/architecture.md ("Vendor accounts across the fleet") argues the design and its cost.
"""

from contact_archive.vendors.fleet.ledgers import AccountLedger, RateLedger, TokenLedger
from contact_archive.vendors.fleet.limits import (
    DOCUMENTED_LIMITS,
    SlotLimit,
    SlotPacer,
    VendorLimit,
    WindowLimit,
    WindowPacer,
    account_of,
    pacer_for,
    window_limit,
)
from contact_archive.vendors.fleet.memory import InProcessAccounts
from contact_archive.vendors.fleet.tokens import Renewal, SharedToken, TokenRenewal

__all__ = [
    "DOCUMENTED_LIMITS",
    "AccountLedger",
    "InProcessAccounts",
    "RateLedger",
    "Renewal",
    "SharedToken",
    "SlotLimit",
    "SlotPacer",
    "TokenLedger",
    "TokenRenewal",
    "VendorLimit",
    "WindowLimit",
    "WindowPacer",
    "account_of",
    "pacer_for",
    "window_limit",
]
