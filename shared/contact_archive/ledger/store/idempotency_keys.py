"""Idempotency keys: one item per tenant and key (hashed), claimed, completed or released.

The logic of a replay is `ledger/idempotency.py`; this module only stores the claims.
"""

from __future__ import annotations

import json
from typing import Any

from contact_archive.ledger.encoding import from_item
from contact_archive.ledger.records import IdempotencyRecord
from contact_archive.ledger.store.keys import (
    IDEMPOTENCY_POINTER_TYPE,
    IDEMPOTENCY_TYPE,
    idempotency_key,
    idempotency_pointer_key,
)
from contact_archive.ledger.store.table import ConditionFailed, Table


class IdempotencyKeyStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def claim(
        self,
        tenant_id: str,
        key_hash: str,
        request_hash: str,
        *,
        now: int,
        expires_at: int,
        lock_seconds: int,
    ) -> IdempotencyRecord | None:
        """Claim a key for this request; returns the existing record if someone holds it."""
        try:
            self._table.put(
                Item={
                    **idempotency_key(tenant_id, key_hash),
                    "type": {"S": IDEMPOTENCY_TYPE},
                    "request_hash": {"S": request_hash},
                    "state": {"S": "in_progress"},
                    "locked_until": {"N": str(now + lock_seconds)},
                    "expires_at": {"N": str(expires_at)},
                },
                # Expired records linger until TTL removes them; an abandoned claim unlocks.
                ConditionExpression=(
                    "attribute_not_exists(pk) OR expires_at < :now"
                    " OR (#state = :in_progress AND locked_until < :now)"
                ),
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":now": {"N": str(now)},
                    ":in_progress": {"S": "in_progress"},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ConditionFailed as refused:
            old: dict[str, Any] = from_item(refused.item or {})
            return IdempotencyRecord(
                request_hash=old.get("request_hash", ""),
                state=old.get("state", "in_progress"),
                status_code=old.get("status_code"),
                response=json.loads(old["response"]) if "response" in old else None,
            )
        return None

    def complete(
        self,
        tenant_id: str,
        key_hash: str,
        status_code: int,
        response: dict[str, Any],
        *,
        contact_id: str | None = None,
        expires_at: int | None = None,
    ) -> None:
        """Keep the response. One that shows a contact (`contact_id`) also leaves a pointer in
        the contact's partition, expiring with it, so that erasing the contact deletes it."""
        complete = {
            "Key": idempotency_key(tenant_id, key_hash),
            "UpdateExpression": (
                "SET #state = :completed, status_code = :code, #response = :response"
            ),
            "ExpressionAttributeNames": {"#state": "state", "#response": "response"},
            "ExpressionAttributeValues": {
                ":completed": {"S": "completed"},
                ":code": {"N": str(status_code)},
                ":response": {"S": json.dumps(response, separators=(",", ":"))},
            },
        }
        if contact_id is None:
            self._table.update(**complete)
            return
        pointer = idempotency_pointer_key(tenant_id, contact_id, key_hash) | {
            "type": {"S": IDEMPOTENCY_POINTER_TYPE},
            "key_hash": {"S": key_hash},
        }
        if expires_at is not None:
            pointer["expires_at"] = {"N": str(expires_at)}
        self._table.transact([{"Update": complete}, {"Put": {"Item": pointer}}])

    def release(self, tenant_id: str, key_hash: str) -> None:
        self._table.delete(Key=idempotency_key(tenant_id, key_hash))
