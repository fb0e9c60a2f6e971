"""The Constant Contact sandbox's OAuth2 token endpoint: the refresh grant with rotating refresh
tokens, its OAuth2 errors, app authentication, and the API's limit shared by a key's tokens."""

from __future__ import annotations

import httpx
import pytest

from devtools.sandboxes.constant_contact import TOKEN_PATH, ConstantContactSandbox
from tests.sandboxes.test_constant_contact_sandbox import API, TOKEN, FakeClock, bearer

TOKEN_URL = f"https://authz.constantcontact.com{TOKEN_PATH}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sandbox(clock: FakeClock) -> ConstantContactSandbox:
    return ConstantContactSandbox(TOKEN, clock=clock)


# -- OAuth2 token endpoint ------------------------------------------------------------------


def _refresh(
    sandbox: ConstantContactSandbox,
    refresh_token: str | None,
    *,
    form: dict[str, str] | None = None,
    auth: httpx.BasicAuth | None = None,
) -> httpx.Response:
    """`POST` the refresh grant, as a public app unless `form` or `auth` say otherwise."""
    data = form or {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token or "",
        "client_id": sandbox.client_id,
    }
    with API.client(sandbox, {}, auth=auth) as client:
        return client.post(TOKEN_URL, data=data)


def test_a_refresh_rotates_both_tokens(sandbox: ConstantContactSandbox) -> None:
    # Given the account's refresh token
    old_refresh = sandbox.refresh_token
    # When it is exchanged
    response = _refresh(sandbox, old_refresh)
    # Then a new pair comes back in OAuth2's shape, not to be cached
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"token_type", "expires_in", "access_token", "scope", "refresh_token"}
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 86_400)
    assert body["access_token"] != TOKEN and body["refresh_token"] != old_refresh
    # And the new access token works, while the old access and refresh tokens are dead
    with API.client(sandbox, bearer(body["access_token"])) as fresh:
        assert fresh.get("/v3/contacts").status_code == 200
    with API.client(sandbox, bearer(TOKEN)) as stale:
        assert stale.get("/v3/contacts").status_code == 401
    reused = _refresh(sandbox, old_refresh)
    assert reused.status_code == 400
    assert reused.json() == {
        "error": "invalid_grant",
        "error_description": "The refresh token is invalid or expired.",
    }
    assert _refresh(sandbox, body["refresh_token"]).status_code == 200


def test_an_expired_access_token_is_refused_until_a_refresh(
    sandbox: ConstantContactSandbox, client: httpx.Client
) -> None:
    # Given an access token that expired
    sandbox.expire_access_token()
    # When it is used, then it is a 401; after a refresh, the new token is let in
    assert client.get("/v3/contacts").status_code == 401
    access_token = _refresh(sandbox, sandbox.refresh_token).json()["access_token"]
    with API.client(sandbox, bearer(access_token)) as fresh:
        assert fresh.get("/v3/contacts").status_code == 200


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        (
            {"grant_type": "refresh_token", "refresh_token": "?", "client_id": "other-app"},
            401,
            "invalid_client",
        ),
        (
            {"grant_type": "password", "client_id": "constant-contact-sandbox-client"},
            400,
            "unsupported_grant_type",
        ),
        (
            {"grant_type": "refresh_token", "client_id": "constant-contact-sandbox-client"},
            400,
            "invalid_grant",
        ),
    ],
    ids=["unknown-app", "other-grant", "no-refresh-token"],
)
def test_a_refresh_that_cannot_succeed_is_an_oauth_error(
    sandbox: ConstantContactSandbox, form: dict[str, str], status: int, error: str
) -> None:
    tokens = (sandbox.token, sandbox.refresh_token)
    response = _refresh(sandbox, None, form=form)
    assert (response.status_code, response.json()["error"]) == (status, error)
    assert (sandbox.token, sandbox.refresh_token) == tokens  # nothing rotated


def test_the_refresh_grant_must_be_a_form(sandbox: ConstantContactSandbox) -> None:
    with API.client(sandbox, {}) as client:
        response = client.post(
            TOKEN_URL,
            json={"grant_type": "refresh_token", "refresh_token": sandbox.refresh_token},
        )
    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")


def test_a_confidential_app_authenticates_with_http_basic(clock: FakeClock) -> None:
    # Given an app with a client secret
    sandbox = ConstantContactSandbox(TOKEN, client_id="app", client_secret="s3cret", clock=clock)
    form = {"grant_type": "refresh_token", "refresh_token": sandbox.refresh_token}
    # When it refreshes without Basic, with a wrong secret, then with the right one
    public = _refresh(sandbox, None, form={**form, "client_id": "app"})
    wrong = _refresh(sandbox, None, form=form, auth=httpx.BasicAuth("app", "guess"))
    right = _refresh(sandbox, None, form=form, auth=httpx.BasicAuth("app", "s3cret"))
    # Then only HTTP Basic with the secret is let in
    assert [response.status_code for response in (public, wrong, right)] == [401, 401, 200]
    assert public.json()["error"] == "invalid_client"


def test_the_limit_is_the_keys_whatever_its_token_and_the_token_endpoint_has_none(
    sandbox: ConstantContactSandbox, client: httpx.Client, clock: FakeClock
) -> None:
    # Given a clock that stands still, and four requests spent
    clock.step = 0.0
    assert [client.get("/v3/contacts").status_code for _ in range(4)] == [200] * 4
    # When the token is refreshed (the token endpoint is not throttled) and used at once
    refreshes = [_refresh(sandbox, sandbox.refresh_token) for _ in range(2)]
    assert [response.status_code for response in refreshes] == [200, 200]
    with API.client(sandbox, bearer(refreshes[-1].json()["access_token"])) as fresh:
        # Then the new token still shares the key's four requests a second
        assert fresh.get("/v3/contacts").status_code == 429
