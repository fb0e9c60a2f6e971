"""`make run` with LOCAL_AUTH=keys: API keys enforced through AuthorizerFunction's own code, keys
made with `contact-archive keys` against the local stack's table."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from typer.testing import CliRunner

from devtools.dynamodb_local import DynamoDBLocal
from devtools.local_process import running_local_api
from operator_cli.main import Runtime, app
from tests.e2e.explorer import authorize, execute, operation, try_it

UNAUTHORIZED = {
    "error": {
        "code": "unauthorized",
        "message": "missing, unknown or revoked API key",
        "details": None,
    }
}


@pytest.fixture(scope="module")
def keyed_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    state_dir = tmp_path_factory.mktemp("state")
    environment = {"LOCAL_AUTH": "keys", "LOCAL_STATE_DIR": str(state_dir)}
    with DynamoDBLocal() as database, running_local_api(database.endpoint_url, environment) as api:
        yield api.url, state_dir


def keys(state_dir: Path, port: str, *arguments: str) -> tuple[int, str]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LOCAL_STATE_DIR", str(state_dir))
        result = CliRunner().invoke(
            app, ["keys", *arguments, "--port", port], obj=Runtime(), catch_exceptions=False
        )
    return result.exit_code, result.output


def test_keys_are_enforced_and_map_to_their_tenant(keyed_api: tuple[str, Path]) -> None:
    url, state_dir = keyed_api
    port = url.rsplit(":", 1)[1]

    # Given a key for acme, made against the local stack's own table
    code, output = keys(state_dir, port, "create", "--tenant", "acme", "--json")
    assert code == 0, output
    created = json.loads(output)
    bearer = {"Authorization": f"Bearer {created['api_key']}"}

    # Then no key, a malformed or a forged one is a 401 in the API's error body
    for headers in (
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Bearer " + created["api_key"][:-2] + "AA"},
    ):
        answer = httpx.get(f"{url}/contacts", headers=headers, timeout=30)
        assert (answer.status_code, answer.json()) == (401, UNAUTHORIZED)

    # And the key acts for its tenant only, whatever X-Tenant-Id says
    put = httpx.put(
        f"{url}/contacts/c-1",
        json={"email": "ada@example.com"},
        headers={**bearer, "X-Tenant-Id": "globex"},
        timeout=30,
    )
    assert put.status_code == 201, put.text
    listed = httpx.get(f"{url}/contacts/c-1", headers=bearer, timeout=30)
    assert listed.status_code == 200
    code, output = keys(state_dir, port, "create", "--tenant", "globex", "--json")
    other = {"Authorization": f"Bearer {json.loads(output)['api_key']}"}
    assert httpx.get(f"{url}/contacts/c-1", headers=other, timeout=30).status_code == 404

    # When the key is revoked, Then it is refused at once (no cache locally)
    assert keys(state_dir, port, "revoke", created["key_id"])[0] == 0
    assert httpx.get(f"{url}/contacts/c-1", headers=bearer, timeout=30).status_code == 401

    # And the webhook routes still take no key (their signature authenticates)
    check = httpx.head(f"{url}/webhooks/intercom/acme", timeout=30)
    assert check.status_code != 401


def test_the_api_explorer_takes_a_key_through_authorize(
    keyed_api: tuple[str, Path], browser_page: Page
) -> None:
    url, state_dir = keyed_api
    code, output = keys(state_dir, url.rsplit(":", 1)[1], "create", "--tenant", "acme", "--json")
    assert code == 0, output

    # Given the explorer, GET /contacts tried out
    opened = browser_page.goto(f"{url}/docs")
    assert opened is not None and opened.ok, opened and opened.text()
    listing = operation(browser_page, "GET", "/contacts")
    try_it(listing)

    # When executed with no key, Then the API's 401
    status = execute(listing).locator(".response-col_status")
    expect(status).to_have_text("401")

    # When the key is pasted in Authorize and it is executed again, Then the tenant's list
    authorize(browser_page, json.loads(output)["api_key"])
    execute(listing)
    expect(status).to_have_text("200")
