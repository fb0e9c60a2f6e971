"""The TOKEN authorizer: `Authorization: Bearer ca_<key id>_<secret>` to an Allow for the tenant.

The policy allows the whole stage (`<api>/<stage>/*`), not only the method asked about: API
Gateway caches it per token (`ReauthorizeEvery`) and serves every route from that cache, so a
key costs one GetItem per cache period. Every refusal is API Gateway's 401 (raising
"Unauthorized"), whatever the cause: a caller learns nothing about which keys exist.
"""

from __future__ import annotations

from typing import Any, Protocol

from contact_archive.ledger.api_keys import ApiKeyRecord, parse_bearer
from contact_archive.observability import logger

UNAUTHORIZED = "Unauthorized"  # the exact message API Gateway turns into its 401


class Unauthorized(Exception):
    def __init__(self) -> None:
        super().__init__(UNAUTHORIZED)


class ApiKeys(Protocol):
    def get(self, key_id: str) -> ApiKeyRecord | None: ...


def stage_arn(method_arn: str) -> str:
    """`arn:...:<api id>/<stage>/<METHOD>/<path>` to `arn:...:<api id>/<stage>/*`."""
    api, _, rest = method_arn.partition("/")
    stage = rest.partition("/")[0]
    if not api.startswith("arn:") or not stage:
        raise ValueError("not an execute-api method ARN")
    return f"{api}/{stage}/*"


def authorize(event: dict[str, Any], keys: ApiKeys) -> dict[str, Any]:
    """The Allow policy and context for a valid, unrevoked key; `Unauthorized` for any other."""
    parsed = parse_bearer(event.get("authorizationToken"))
    if parsed is None:
        logger.info("authorization refused", extra={"reason": "malformed"})
        raise Unauthorized
    key_id, secret = parsed
    record = keys.get(key_id)
    if record is None or not record.accepts(secret):
        # The key id alone names no secret; the reason helps an operator, never the caller.
        reason = "unknown" if record is None else "revoked" if record.revoked_at else "mismatch"
        logger.info("authorization refused", extra={"reason": reason, "key_id": key_id})
        raise Unauthorized
    return {
        "principalId": f"api-key:{key_id}",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow",
                    "Resource": stage_arn(str(event.get("methodArn", ""))),
                }
            ],
        },
        "context": {"tenant_id": record.tenant_id, "key_id": key_id},
    }
