"""The fleet's ledger for one process: the rules of `VendorAccountStore`, in memory.

The documented per-process fallback: a registry given no ledger store (unit tests, tools, a
single local process) still renews each token once and paces each key, for its own clients
only. Deployed, the ledger table takes its place (`dependencies.get_vendor_clients`).
"""

from __future__ import annotations

import threading

from contact_archive.ledger.models import Vendor
from contact_archive.ledger.store.vendor_accounts import SlotQueue, TokenState


class InProcessAccounts:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, Vendor], TokenState] = {}
        self._queues: dict[tuple[Vendor, str], SlotQueue] = {}
        self._windows: dict[tuple[Vendor, str], tuple[int, int]] = {}  # (window, calls)

    def token_state(self, tenant_id: str, vendor: Vendor) -> TokenState:
        with self._lock:
            return self._tokens.get((tenant_id, vendor), TokenState())

    def take_lease(
        self, tenant_id: str, vendor: Vendor, *, version: int, owner: str, now: float, until: float
    ) -> bool:
        with self._lock:
            state = self._tokens.get((tenant_id, vendor))
            if state is not None and (state.version != version or state.leased(now)):
                return False
            held = state.version if state is not None else 0
            self._tokens[(tenant_id, vendor)] = TokenState(held, owner, until)
            return True

    def publish(
        self, tenant_id: str, vendor: Vendor, *, version: int, owner: str, now: float
    ) -> bool:
        with self._lock:
            state = self._tokens.get((tenant_id, vendor), TokenState())
            if state.lease_owner != owner or state.version != version - 1:
                return False
            self._tokens[(tenant_id, vendor)] = TokenState(version)
            return True

    def release(self, tenant_id: str, vendor: Vendor, *, owner: str) -> None:
        with self._lock:
            state = self._tokens.get((tenant_id, vendor))
            if state is not None and state.lease_owner == owner:
                self._tokens[(tenant_id, vendor)] = TokenState(state.version)

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
        with self._lock:
            queue = self._queues.get((vendor, account))
            if queue is None:
                claimed = SlotQueue(day, now_slot, 1)
            else:
                day = max(day, queue.day)
                calls = queue.calls if queue.day == day else 0
                if calls >= daily_cap:
                    return None
                claimed = SlotQueue(day, max(queue.last_slot + 1, now_slot), calls + 1)
            self._queues[(vendor, account)] = claimed
            return claimed.last_slot

    def count_call(
        self, vendor: Vendor, account: str, *, window: int, cap: int, expires_at: int
    ) -> bool:
        with self._lock:
            counted, calls = self._windows.get((vendor, account), (window, 0))
            if counted != window:
                calls = 0
            if calls >= cap:
                return False
            self._windows[(vendor, account)] = (window, calls + 1)
            return True
