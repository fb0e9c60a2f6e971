"""Built-in API keys: their text, their hash, and their item in the ledger table, defined once.

A key reads `ca_<key id>_<secret>`. The table keeps the key id, the tenant, the times and a
SHA-256 of the secret, never the secret: 32 random bytes leave nothing to guess, so a slow or
peppered hash would add no strength. The authorizer reads an item by its key id (one GetItem)
and compares hashes in constant time.

Standard library only: the operator CLI (`operator_cli/keys.py`), which writes these items with
its own boto3 client, imports this module and nothing else of the layer.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

PREFIX = "ca"
# All keys in one partition: few items, read by key id (GetItem), listed with one Query. The key
# id is not a tenant's, so the partition is not a tenant's either (as the RATE# items).
PARTITION = "API_KEYS"
ITEM_TYPE = "api_key"
# Letters and digits only: `_` separates the parts and token_urlsafe may produce one.
KEY_ID = re.compile(r"[A-Za-z0-9]{16}")
SECRET = re.compile(r"[A-Za-z0-9_-]{43}")
TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")  # ledger.models.TENANT_PATTERN
_TOKEN = re.compile(rf"{PREFIX}_(?P<key_id>[A-Za-z0-9]{{16}})_(?P<secret>[A-Za-z0-9_-]{{43}})")
_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class ApiKeyRecord:
    key_id: str
    tenant_id: str
    secret_hash: str  # hex SHA-256 of the secret
    created_at: str
    revoked_at: str | None = None

    def accepts(self, secret: str) -> bool:
        """Whether `secret` is this key's, compared in constant time; a revoked key accepts none."""
        return self.revoked_at is None and hmac.compare_digest(
            secret_hash(secret), self.secret_hash
        )


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def new_key(tenant_id: str, *, at: str) -> tuple[str, ApiKeyRecord]:
    """A fresh key for `tenant_id`: its text (shown once) and the record the table keeps."""
    if not TENANT.match(tenant_id):
        raise ValueError("a tenant id is 1-128 letters, digits, '.', '_', ':' or '-'")
    key_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(16))
    secret = secrets.token_urlsafe(32)  # 43 characters, 256 bits
    return f"{PREFIX}_{key_id}_{secret}", ApiKeyRecord(key_id, tenant_id, secret_hash(secret), at)


def parse_bearer(header: str | None) -> tuple[str, str] | None:
    """(key id, secret) of `Authorization: Bearer ca_<key id>_<secret>`, or None."""
    scheme, _, token = (header or "").strip().partition(" ")
    found = _TOKEN.fullmatch(token.strip()) if scheme.lower() == "bearer" else None
    return (found["key_id"], found["secret"]) if found else None


def item_key(key_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": PARTITION}, "sk": {"S": f"KEY#{key_id}"}}


def to_item(record: ApiKeyRecord) -> dict[str, Any]:
    item: dict[str, Any] = {
        **item_key(record.key_id),
        "type": {"S": ITEM_TYPE},
        "key_id": {"S": record.key_id},
        "tenant_id": {"S": record.tenant_id},
        "secret_hash": {"S": record.secret_hash},
        "created_at": {"S": record.created_at},
    }
    if record.revoked_at is not None:
        item["revoked_at"] = {"S": record.revoked_at}
    return item


def from_item(item: dict[str, Any]) -> ApiKeyRecord:
    revoked = item.get("revoked_at", {}).get("S")
    return ApiKeyRecord(
        key_id=item["key_id"]["S"],
        tenant_id=item["tenant_id"]["S"],
        secret_hash=item["secret_hash"]["S"],
        created_at=item["created_at"]["S"],
        revoked_at=revoked,
    )


# The requests, without TableName, that the CLI sends and the store's tests check.


def create_request(record: ApiKeyRecord) -> dict[str, Any]:
    """PutItem of a new key; never over an existing one (a key id drawn twice)."""
    return {"Item": to_item(record), "ConditionExpression": "attribute_not_exists(pk)"}


def revoke_request(key_id: str, *, at: str) -> dict[str, Any]:
    """UpdateItem revoking a key once: refused (condition) for an unknown or revoked key."""
    return {
        "Key": item_key(key_id),
        "UpdateExpression": "SET revoked_at = :at",
        "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(revoked_at)",
        "ExpressionAttributeValues": {":at": {"S": at}},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def list_request(tenant_id: str | None = None) -> dict[str, Any]:
    """Query of every key (one partition, few items), only `tenant_id`'s when given."""
    request: dict[str, Any] = {
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": PARTITION}},
        # The secret's hash is never read back out.
        "ProjectionExpression": "key_id, tenant_id, created_at, revoked_at",
    }
    if tenant_id is not None:
        request["FilterExpression"] = "tenant_id = :tenant"
        request["ExpressionAttributeValues"][":tenant"] = {"S": tenant_id}
    return request


def listed(item: dict[str, Any]) -> ApiKeyRecord:
    """A record of `list_request`'s answer (its hash left out)."""
    return from_item({**item, "secret_hash": {"S": ""}})
