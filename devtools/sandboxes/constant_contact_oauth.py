"""Constant Contact's OAuth2 token endpoint in the sandbox: the refresh grant (RFC 6749 6), the
form in the body, the app authenticated as public (`client_id` in the form) or confidential
(HTTP Basic), answered in OAuth2's own shapes (RFC 6749 5.1, 5.2), not the API's error array."""

from __future__ import annotations

import base64
import hmac
from urllib.parse import parse_qsl

import httpx

from devtools.sandboxes.base import json_response

ACCESS_TOKEN_SECONDS = 86_400  # about a day, as documented


def oauth_error(status: int, error: str, description: str) -> httpx.Response:
    return json_response(status, {"error": error, "error_description": description})


def refusal(
    request: httpx.Request, *, client_id: str, client_secret: str | None, refresh_token: str
) -> httpx.Response | None:
    """Why a refresh request is refused, or None when it may rotate the pair."""
    if not request.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
        return oauth_error(400, "invalid_request", "The body must be a form.")
    form = dict(parse_qsl(request.content.decode(), keep_blank_values=True))
    if not _client_authenticated(request, form, client_id, client_secret):
        return oauth_error(401, "invalid_client", "Client authentication failed.")
    if form.get("grant_type") != "refresh_token":
        return oauth_error(400, "unsupported_grant_type", "Only refresh_token is modelled.")
    if form.get("refresh_token") != refresh_token:
        return oauth_error(400, "invalid_grant", "The refresh token is invalid or expired.")
    return None


def token_answer(access_token: str, refresh_token: str) -> httpx.Response:
    body = {
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_SECONDS,
        "access_token": access_token,
        "scope": "contact_data offline_access",
        "refresh_token": refresh_token,
    }
    return json_response(200, body, {"Cache-Control": "no-store", "Pragma": "no-cache"})


def _client_authenticated(
    request: httpx.Request, form: dict[str, str], client_id: str, client_secret: str | None
) -> bool:
    """A confidential app sends `client_id:client_secret` as HTTP Basic; a public (PKCE) app
    sends its `client_id` in the form."""
    if client_secret is None:
        return form.get("client_id") == client_id
    pair = f"{client_id}:{client_secret}".encode()
    expected = "Basic " + base64.b64encode(pair).decode()
    return hmac.compare_digest(request.headers.get("Authorization", ""), expected)
