"""`contact-archive keys` against a deployed table (`--table`, here moto's): a key it creates is
one the authorizer accepts, listed without its secret, and refused once revoked."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from contact_archive.ledger.api_keys import parse_bearer
from devtools.local_state import StackState, published
from operator_cli.keys import KeysProblem, local_stack
from operator_cli.main import Runtime, app
from tests.support import FakeLambdaContext, load_event, load_handler


def cli(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(arguments), obj=Runtime(), catch_exceptions=False)
    return result.exit_code, result.output


def table() -> list[str]:
    return ["--table", os.environ["TABLE_NAME"], "--region", "us-east-1"]


def test_a_created_key_authorizes_its_tenant_until_revoked(ledger_table: Any) -> None:
    authorizer = load_handler("authorizer").lambda_handler
    event = load_event("authorize_api_key")

    # When an operator creates a key for acme
    code, output = cli("keys", "create", "--tenant", "acme", "--json", *table())

    # Then it is printed once, as JSON, and the authorizer allows it for acme
    assert code == 0, output
    created = json.loads(output)
    assert set(created) == {"key_id", "api_key", "tenant_id"} and created["tenant_id"] == "acme"
    token = f"Bearer {created['api_key']}"
    answer = authorizer({**event, "authorizationToken": token}, FakeLambdaContext())
    assert answer["context"] == {"tenant_id": "acme", "key_id": created["key_id"]}

    # And the list shows it, without any secret
    code, output = cli("keys", "list", "--tenant", "acme", *table())
    assert code == 0 and created["key_id"] in output and "acme" in output
    secret = (parse_bearer(token) or ("", ""))[1]
    assert secret[:12] not in output
    stored = ledger_table.scan(TableName=os.environ["TABLE_NAME"])["Items"]
    assert secret[:12] not in json.dumps(stored)

    # When it is revoked, Then the authorizer refuses it, and a second revoke says so
    assert cli("keys", "revoke", created["key_id"], *table())[0] == 0
    with pytest.raises(Exception, match="Unauthorized"):
        authorizer({**event, "authorizationToken": token}, FakeLambdaContext())
    code, output = cli("keys", "revoke", created["key_id"], *table())
    assert code == 2 and "already revoked" in output


def test_the_plain_create_prints_the_key_once_with_how_to_send_it(ledger_table: Any) -> None:
    code, output = cli("keys", "create", "--tenant", "acme", *table())
    assert code == 0
    assert output.count("ca_") == 1 and "Authorization: Bearer" in output


def test_list_without_a_tenant_shows_every_tenants_keys(ledger_table: Any) -> None:
    for tenant in ("acme", "globex"):
        assert cli("keys", "create", "--tenant", tenant, *table())[0] == 0
    code, output = cli("keys", "list", *table())
    assert code == 0 and "acme" in output and "globex" in output
    code, output = cli("keys", "list", "--tenant", "globex", *table())
    assert "acme" not in output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["create", "--tenant", "no spaces"], "tenant id"),
        (["revoke", "zzzzzzzzzzzzzzzz"], "no key"),
        (["revoke", "not-a-key-id"], "not a key id"),
    ],
)
def test_bad_input_is_a_usage_error(ledger_table: Any, arguments: list[str], message: str) -> None:
    code, output = cli("keys", *arguments, *table())
    assert code == 2 and message in output


def test_the_local_stack_is_found_where_make_run_publishes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCAL_STATE_DIR", str(tmp_path))
    with pytest.raises(KeysProblem, match="make run"):
        local_stack(3999)
    state = StackState(
        os.getpid(), "http://127.0.0.1:3999", "dev-tenant", "http://127.0.0.1:8123", "t"
    )
    with published(3999, state):
        assert local_stack(3999) == ("http://127.0.0.1:8123", "t")
