"""What the fleet of containers shares about each vendor account: who may renew its token and
which version of it is current, and the calls its rate limits let through.

No secret is ever stored here: ListFunction reads this table. The tokens stay in the credential
store (Secrets Manager); the item holds only their version and the renewal lease.

Three kinds of item (`keys.py`):

- `vendor_account` (one per tenant and vendor): `token_version`, and while one container renews
  the token, `lease_owner` and `lease_until` (UNIX seconds). Taken and released with
  conditional writes; the version moves only with the lease held.
- `rate_slots` (one per rate-limited key): the last time slot given out (`last_slot`, slots
  numbered from the UNIX epoch), and the calls counted on the UTC `day`. One conditional
  `UpdateItem` claims a slot and counts the call against the day's quota.
- `rate_window` (one per key and window): the calls counted in a fixed window. One conditional
  `ADD` counts a call below the window's cap.

Rate items carry `expires_at` (the table's TTL): a key no longer used leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from typing import Any

from contact_archive.ledger.encoding import from_item
from contact_archive.ledger.models import Vendor
from contact_archive.ledger.store.keys import (
    RATE_SLOTS_TYPE,
    RATE_WINDOW_TYPE,
    VENDOR_ACCOUNT_TYPE,
    rate_slots_key,
    rate_window_key,
    vendor_account_key,
)
from contact_archive.ledger.store.table import ConditionFailed, Table

# A claim is refused only when the queue changed regime (idle to busy, a new day) between what
# this container last saw and now; each refusal answers the item as it is, so the next attempt
# is exact. More refusals than this in a row mean a storm of claims: the caller waits and retries.
SLOT_CLAIM_ATTEMPTS = 8


class SlotContention(Exception):
    """A slot could not be claimed in `SLOT_CLAIM_ATTEMPTS` conditional writes."""


@dataclass(frozen=True)
class TokenState:
    """A vendor account's token as the fleet knows it; version 0 before any renewal."""

    version: int = 0
    lease_owner: str | None = None
    lease_until: float = 0.0  # UNIX seconds

    def leased(self, now: float) -> bool:
        """Whether a container holds the renewal lease at `now`."""
        return self.lease_owner is not None and self.lease_until > now


@dataclass(frozen=True)
class SlotQueue:
    """A key's slot queue as last seen: the UTC day its count is for, the last slot given out,
    and the calls counted that day."""

    day: str
    last_slot: int
    calls: int


def _slot_queue(item: dict[str, Any] | None) -> SlotQueue | None:
    if not item:
        return None
    plain = from_item(item)
    if "last_slot" not in plain:
        return None
    return SlotQueue(str(plain["day"]), int(plain["last_slot"]), int(plain.get("calls") or 0))


_SLOT_NAMES = {"#type": "type", "#day": "day", "#last": "last_slot", "#calls": "calls"}


def _slot_update(
    seen: SlotQueue | None, now_slot: int, day: str, daily_cap: int, *, busy: bool
) -> dict[str, Any] | None:
    """The conditional write that claims the next slot, given the queue as last seen; None when
    what was seen already says the day's quota is used (a count only grows within a day).

    Busy (the last slot given out is `now_slot` or later): the next one, `last_slot + 1`. Idle:
    `now_slot`. A new day: the count starts again, and the slot follows the old day's last
    (calls queued across midnight keep their spacing). The first two are conditions on the
    regime, not on exact values, so that claims racing in the same regime all succeed.

    What a container saw last is stale as soon as others claim: `busy` (the key was found busy
    by its last claim) guesses busy again although what it saw has fallen behind the clock, so
    that a container among many claims in one request while the queue stays ahead."""
    if seen is not None and seen.day > day:
        day = seen.day  # this container's clock is behind the one that opened the day
    if seen is not None and seen.day == day and seen.calls >= daily_cap:
        return None
    if seen is None or (seen.day == day and seen.last_slot < now_slot and not busy):
        return {
            "busy": False,
            "UpdateExpression": (
                "SET #type = :type, #day = :day, #last = :now,"
                " #calls = if_not_exists(#calls, :zero) + :one, expires_at = :expires"
            ),
            "ConditionExpression": (
                "attribute_not_exists(#last) OR (#day = :day AND #last < :now AND #calls < :cap)"
            ),
            "values": {":now": now_slot, ":day": day, ":cap": daily_cap, ":zero": 0},
        }
    if seen.day == day:
        return {
            "busy": True,
            "UpdateExpression": (
                "SET #type = :type, #last = #last + :one, #calls = #calls + :one,"
                " expires_at = :expires"
            ),
            "ConditionExpression": "#day = :day AND #last >= :now AND #calls < :cap",
            "values": {":now": now_slot, ":day": day, ":cap": daily_cap},
        }
    return {
        "busy": False,
        "UpdateExpression": (
            "SET #type = :type, #day = :day, #last = :next, #calls = :one, expires_at = :expires"
        ),
        "ConditionExpression": "#day = :seen_day AND #last = :seen_last",
        "values": {
            ":day": day,
            ":next": max(seen.last_slot + 1, now_slot),
            ":seen_day": seen.day,
            ":seen_last": seen.last_slot,
        },
    }


def _attribute_values(values: dict[str, Any]) -> dict[str, Any]:
    return {
        name: {"N": str(value)} if isinstance(value, int | float) else {"S": str(value)}
        for name, value in values.items()
    }


class VendorAccountStore:
    """The fleet's shared items. Keeps, per key, what it last saw of the slot queue and the
    last window it found full: a hint that makes the next claim one request, and spares the
    requests a full window would refuse anyway."""

    def __init__(self, table: Table) -> None:
        self._table = table
        self._queues: dict[tuple[Vendor, str], SlotQueue | None] = {}
        self._busy: dict[tuple[Vendor, str], bool] = {}  # what the last claim found
        self._full_windows: dict[tuple[Vendor, str], int] = {}
        self._lock = threading.Lock()

    # -- the token: version and renewal lease ----------------------------------------------------

    def token_state(self, tenant_id: str, vendor: Vendor) -> TokenState:
        item = self._table.get(vendor_account_key(tenant_id, vendor), ConsistentRead=True)
        if not item:
            return TokenState()
        plain = from_item(item)
        return TokenState(
            version=int(plain.get("token_version") or 0),
            lease_owner=plain.get("lease_owner"),
            lease_until=float(plain.get("lease_until") or 0.0),
        )

    def take_lease(
        self, tenant_id: str, vendor: Vendor, *, version: int, owner: str, now: float, until: float
    ) -> bool:
        """Take the renewal lease until `until`, if the token is still at `version` and nobody
        holds the lease (or it ran out). False when another container got there first."""
        try:
            self._table.update(
                Key=vendor_account_key(tenant_id, vendor),
                UpdateExpression=(
                    "SET #type = :type, tenant_id = :tenant, vendor = :vendor,"
                    " token_version = if_not_exists(token_version, :zero),"
                    " lease_owner = :owner, lease_until = :until"
                ),
                ConditionExpression=(
                    "(attribute_not_exists(token_version) OR token_version = :version)"
                    " AND (attribute_not_exists(lease_until) OR lease_until < :now)"
                ),
                ExpressionAttributeNames={"#type": "type"},
                ExpressionAttributeValues={
                    ":type": {"S": VENDOR_ACCOUNT_TYPE},
                    ":tenant": {"S": tenant_id},
                    ":vendor": {"S": vendor.value},
                    ":zero": {"N": "0"},
                    ":version": {"N": str(version)},
                    ":owner": {"S": owner},
                    ":until": {"N": repr(until)},
                    ":now": {"N": repr(now)},
                },
            )
        except ConditionFailed:
            return False
        return True

    def publish(
        self, tenant_id: str, vendor: Vendor, *, version: int, owner: str, now: float
    ) -> bool:
        """The token renewed (and saved where the secrets are) is `version`, one past the one
        the lease was taken on; the lease is released. False if `owner` no longer held it."""
        try:
            self._table.update(
                Key=vendor_account_key(tenant_id, vendor),
                UpdateExpression=(
                    "SET token_version = :version, renewed_at = :now"
                    " REMOVE lease_owner, lease_until"
                ),
                ConditionExpression="lease_owner = :owner AND token_version = :held",
                ExpressionAttributeValues={
                    ":version": {"N": str(version)},
                    ":held": {"N": str(version - 1)},
                    ":owner": {"S": owner},
                    ":now": {"N": repr(now)},
                },
            )
        except ConditionFailed:
            return False
        return True

    def release(self, tenant_id: str, vendor: Vendor, *, owner: str) -> None:
        """Give the lease back without a new version (the renewal failed), if still held."""
        with contextlib.suppress(ConditionFailed):  # another holder's now, or nobody's
            self._table.update(
                Key=vendor_account_key(tenant_id, vendor),
                UpdateExpression="REMOVE lease_owner, lease_until",
                ConditionExpression="lease_owner = :owner",
                ExpressionAttributeValues={":owner": {"S": owner}},
            )

    # -- rate limits ---------------------------------------------------------------------------

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
        """The slot this call may go out in (`now_slot` or later), counted against `day`'s
        quota; None when `daily_cap` calls were counted that day already. Usually one request:
        a refusal answers the item as it is, and the next attempt is made from it."""
        key = (vendor, account)
        with self._lock:
            seen, busy = self._queues.get(key), self._busy.get(key, False)
        for _ in range(SLOT_CLAIM_ATTEMPTS):
            update = _slot_update(seen, now_slot, day, daily_cap, busy=busy)
            if update is None:
                with self._lock:
                    self._queues[key] = seen  # the day is used up: no need to ask again
                return None
            values = {":type": RATE_SLOTS_TYPE, ":one": 1, ":expires": expires_at}
            try:
                response = self._table.update(
                    Key=rate_slots_key(vendor, account),
                    UpdateExpression=update["UpdateExpression"],
                    ConditionExpression=update["ConditionExpression"],
                    ExpressionAttributeNames=_SLOT_NAMES,
                    ExpressionAttributeValues=_attribute_values(values | update["values"]),
                    ReturnValues="ALL_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ConditionFailed as refused:
                seen, busy = _slot_queue(refused.item), False  # as it is now: follow it
                continue
            claimed = _slot_queue(response.get("Attributes"))
            with self._lock:
                self._queues[key], self._busy[key] = claimed, update["busy"]
            return None if claimed is None else claimed.last_slot
        with self._lock:
            self._queues[key] = seen
        raise SlotContention(f"{vendor.value}: no slot after {SLOT_CLAIM_ATTEMPTS} attempts")

    def count_call(
        self, vendor: Vendor, account: str, *, window: int, cap: int, expires_at: int
    ) -> bool:
        """Count one call in `window` if fewer than `cap` were; False when it is full (then
        not asked again by this container until the window changes)."""
        key = (vendor, account)
        with self._lock:
            if self._full_windows.get(key) == window:
                return False
        try:
            self._table.update(
                Key=rate_window_key(vendor, account, window),
                UpdateExpression="SET #type = :type, expires_at = :expires ADD #calls :one",
                ConditionExpression="attribute_not_exists(#calls) OR #calls < :cap",
                ExpressionAttributeNames={"#type": "type", "#calls": "calls"},
                ExpressionAttributeValues=_attribute_values(
                    {":type": RATE_WINDOW_TYPE, ":expires": expires_at, ":one": 1, ":cap": cap}
                ),
            )
        except ConditionFailed:
            with self._lock:
                self._full_windows[key] = window
            return False
        return True
