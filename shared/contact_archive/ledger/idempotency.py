"""Idempotency keys: the same key with the same request gets the same response, once.

The first request claims the key (a conditional put), does its work and stores its response; a
replay gets that response back in one read. The same key with a different request is refused,
and a claim whose request died unlocks after `LOCK_SECONDS`. Only successes are stored: after an
error the key is released, so a corrected retry can reuse it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from contact_archive.ledger.errors import IdempotencyInProgress, IdempotencyKeyReused
from contact_archive.ledger.store import LedgerStore

LOCK_SECONDS = 60

Result = tuple[int, dict[str, Any]]


def request_hash(*parts: Any) -> str:
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def run_once(
    store: LedgerStore,
    tenant_id: str,
    key: str | None,
    fingerprint: str,
    operation: Callable[[], Result],
    *,
    ttl_seconds: int,
    clock: Callable[[], float] = time.time,
    contact_of: Callable[[dict[str, Any]], str | None] = lambda _: None,
) -> tuple[Result, bool]:
    """Run `operation` once per key; returns its result and whether this was a replay.
    `contact_of` names the contact a response shows, if any: erasing it deletes the response."""
    if key is None:
        return operation(), False
    key_hash = hashlib.sha256(key.encode()).hexdigest()
    now = int(clock())
    existing = store.idempotency_keys.claim(
        tenant_id,
        key_hash,
        fingerprint,
        now=now,
        expires_at=now + ttl_seconds,
        lock_seconds=LOCK_SECONDS,
    )
    if existing is not None:
        if existing.request_hash != fingerprint:
            raise IdempotencyKeyReused()
        if existing.state != "completed" or existing.status_code is None:
            raise IdempotencyInProgress()
        return (existing.status_code, existing.response or {}), True
    try:
        status_code, body = operation()
    except BaseException:
        store.idempotency_keys.release(tenant_id, key_hash)
        raise
    store.idempotency_keys.complete(
        tenant_id,
        key_hash,
        status_code,
        body,
        contact_id=contact_of(body),
        expires_at=now + ttl_seconds,
    )
    return (status_code, body), False
