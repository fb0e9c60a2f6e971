"""AuthorizerFunction on moto with the events/ sample: one GetItem per decision, a 401 for any
key that is not a valid, unrevoked one, and the tenant in the context otherwise."""

from __future__ import annotations

import os
from typing import Any

import pytest

from contact_archive.ledger import api_keys
from contact_archive.ledger.api_keys import ApiKeyRecord, new_key
from tests.support import FakeLambdaContext, RequestCounter, load_event, load_handler

AT = "2026-01-01T00:00:00Z"
STAGE = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/dev/*"


@pytest.fixture
def authorizer(ledger_table: Any) -> Any:
    return load_handler("authorizer").lambda_handler


def _put(client: Any, record: ApiKeyRecord) -> None:
    client.put_item(TableName=os.environ["TABLE_NAME"], **api_keys.create_request(record))


def _event(token: str) -> dict[str, Any]:
    return {**load_event("authorize_api_key"), "authorizationToken": token}


def test_the_sample_key_is_allowed_for_its_tenant_on_every_route(
    ledger_table: Any, authorizer: Any
) -> None:
    # Given the sample event's key, created for dev-tenant
    event = load_event("authorize_api_key")
    key_id, secret = api_keys.parse_bearer(event["authorizationToken"]) or ("", "")
    _put(ledger_table, ApiKeyRecord(key_id, "dev-tenant", api_keys.secret_hash(secret), AT))
    from contact_archive.dependencies import get_store

    counter = RequestCounter(get_store().client)

    # When API Gateway asks about it
    answer = authorizer(event, FakeLambdaContext())

    # Then the whole stage is allowed, the context names the tenant, and one GetItem decided it
    assert answer["principalId"] == f"api-key:{key_id}"
    assert answer["context"] == {"tenant_id": "dev-tenant", "key_id": key_id}
    (statement,) = answer["policyDocument"]["Statement"]
    assert statement == {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": STAGE}
    assert dict(counter.calls) == {"GetItem": 1}


@pytest.mark.parametrize("case", ["wrong secret", "unknown id", "revoked", "malformed", "missing"])
def test_any_other_key_is_a_401(ledger_table: Any, authorizer: Any, case: str) -> None:
    # Given a tenant's key, and one revoked
    text, record = new_key("acme", at=AT)
    revoked_text, revoked = new_key("acme", at=AT)
    _put(ledger_table, record)
    _put(ledger_table, ApiKeyRecord(**{**revoked.__dict__, "revoked_at": AT}))
    token = {
        "wrong secret": f"Bearer {text[:-4]}AAAA",
        "unknown id": f"Bearer ca_{'z' * 16}_{text[-43:]}",
        "revoked": f"Bearer {revoked_text}",
        "malformed": f"Token {text}",
        "missing": "",
    }[case]

    # When API Gateway asks about it, Then the answer is API Gateway's own 401
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer(_event(token), FakeLambdaContext())


def test_the_secret_never_reaches_the_logs(
    ledger_table: Any, authorizer: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    text, record = new_key("acme", at=AT)
    _put(ledger_table, record)
    authorizer(_event(f"Bearer {text}"), FakeLambdaContext())
    with pytest.raises(Exception, match="Unauthorized"):
        authorizer(_event(f"Bearer {text[:-1]}B"), FakeLambdaContext())
    logs = capsys.readouterr()
    assert text[-43:-1] not in logs.out + logs.err
