"""Opaque page cursors, signed and bound to the tenant and the query that produced them.

A cursor is `base64url(json payload).base64url(HMAC-SHA256)`. The payload holds DynamoDB's
`LastEvaluatedKey`, the tenant, a fingerprint of the query and an expiry; a cursor that was
altered, belongs to another tenant or another query, or has expired is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any

from contact_archive.ledger.errors import InvalidCursor


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def query_fingerprint(**query: Any) -> str:
    canonical = json.dumps(query, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


class CursorCodec:
    def __init__(self, key: bytes, ttl_seconds: int, clock: Any = time.time) -> None:
        self._key = key
        self._ttl_seconds = ttl_seconds
        self._clock = clock

    def _signature(self, body: str) -> str:
        return _b64encode(hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest())

    def encode(self, tenant_id: str, fingerprint: str, last_key: dict[str, Any]) -> str:
        payload = {
            "t": tenant_id,
            "q": fingerprint,
            "k": last_key,
            "e": int(self._clock()) + self._ttl_seconds,
        }
        body = _b64encode(json.dumps(payload, separators=(",", ":")).encode())
        return f"{body}.{self._signature(body)}"

    def decode(self, cursor: str, tenant_id: str, fingerprint: str) -> dict[str, Any]:
        if not cursor.isascii():  # a cursor this codec made is base64 and hex
            raise InvalidCursor("malformed")
        body, dot, signature = cursor.partition(".")
        if not dot or not body or not signature:
            raise InvalidCursor("malformed")
        if not hmac.compare_digest(signature, self._signature(body)):
            raise InvalidCursor("signature mismatch")
        try:
            payload = json.loads(_b64decode(body))
        except (binascii.Error, ValueError):
            raise InvalidCursor("malformed") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("k"), dict):
            raise InvalidCursor("malformed")
        # A foreign tenant's cursor gets the same answer as a forged one: nothing to learn.
        if not hmac.compare_digest(str(payload.get("t")), tenant_id):
            raise InvalidCursor("signature mismatch")
        if payload.get("q") != fingerprint:
            raise InvalidCursor("it belongs to a different query")
        if int(payload.get("e", 0)) < self._clock():
            raise InvalidCursor("expired")
        last_key: dict[str, Any] = payload["k"]
        return last_key
