"""Cursor signing: bound to tenant and query, tamper-evident, expiring."""

from __future__ import annotations

import base64
import json

import pytest

from contact_archive.ledger.cursor import CursorCodec, query_fingerprint
from contact_archive.ledger.errors import InvalidCursor

KEY = {"pk": {"S": "TENANT#t#CONTACT#c-1"}, "sk": {"S": "CONTACT"}}
QUERY = query_fingerprint(status="active", vendor=None, email=None)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def codec(clock: Clock | None = None, key: bytes = b"k" * 32) -> CursorCodec:
    return CursorCodec(key, ttl_seconds=60, clock=clock or Clock())


def test_round_trip() -> None:
    cursor = codec().encode("t", QUERY, KEY)
    assert codec().decode(cursor, "t", QUERY) == KEY


def test_tampered_payload_is_refused() -> None:
    cursor = codec().encode("t", QUERY, KEY)
    body, signature = cursor.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["k"]["pk"]["S"] = "TENANT#other#CONTACT#c-9"
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidCursor, match="signature"):
        codec().decode(f"{forged}.{signature}", "t", QUERY)


def test_another_key_is_refused() -> None:
    cursor = codec(key=b"x" * 32).encode("t", QUERY, KEY)
    with pytest.raises(InvalidCursor, match="signature"):
        codec().decode(cursor, "t", QUERY)


def test_foreign_tenant_is_refused_like_a_forgery() -> None:
    cursor = codec().encode("t", QUERY, KEY)
    with pytest.raises(InvalidCursor, match="signature"):
        codec().decode(cursor, "someone-else", QUERY)


def test_another_query_is_refused() -> None:
    cursor = codec().encode("t", QUERY, KEY)
    other = query_fingerprint(status="archived", vendor=None, email=None)
    with pytest.raises(InvalidCursor, match="different query"):
        codec().decode(cursor, "t", other)


def test_expired_cursor_is_refused() -> None:
    clock = Clock()
    cursor = codec(clock).encode("t", QUERY, KEY)
    clock.now += 61
    with pytest.raises(InvalidCursor, match="expired"):
        codec(clock).decode(cursor, "t", QUERY)


@pytest.mark.parametrize("garbage", ["", "abc", ".", "a.", ".b", "!!!.???", "a.b.c"])
def test_garbage_is_refused(garbage: str) -> None:
    with pytest.raises(InvalidCursor):
        codec().decode(garbage, "t", QUERY)
