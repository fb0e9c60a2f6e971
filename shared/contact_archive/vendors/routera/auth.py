"""Routera's OAuth2 client-credentials flow as httpx auth: `POST /oauth2/token` answers a JWT
with `expires_in` and no refresh token (`VENDORS.md`), so a token is cached and asked for again."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Generator
from typing import Any

import httpx

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.credentials import RouteraCredentials
from contact_archive.vendors.errors import PermanentVendorError, TransientVendorError, VendorError
from contact_archive.vendors.retry import classify
from contact_archive.vendors.routera import mapper

# A token is renewed this long before Routera says it expires (at most half its lifetime), so a
# request never leaves with a token that dies on the way.
TOKEN_RENEWAL_MARGIN = 60.0  # seconds


class RouteraTokenAuth(httpx.Auth):
    """Bearer auth with a client-credentials token, fetched through the same transport when none
    is cached or the cached one is near its end, and once more when Routera refuses it (401:
    revoked early). Keep one per tenant for the container's life: it holds that tenant's token.

    The lock guards the cached token only and is never held across a request: threads that find
    no token at the same moment may each fetch one, which costs a call but blocks nobody."""

    requires_response_body = True  # the token answer is read inside the flow

    def __init__(
        self, credentials: RouteraCredentials, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._token_url = httpx.URL(credentials.base_url).join(credentials.token_path)
        self._client_id = credentials.client_id
        self._client_secret = credentials.client_secret
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at: float | None = None  # None: no lifetime given, kept until refused

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        token = self._cached_token()
        if token is None:
            token = yield from self._new_token(request)
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == httpx.codes.UNAUTHORIZED:
            self._forget(token)
            token = yield from self._new_token(request)
            request.headers["Authorization"] = f"Bearer {token}"
            yield request

    def _cached_token(self) -> str | None:
        with self._lock:
            if self._renew_at is not None and self._clock() >= self._renew_at:
                self._token = None
            return self._token

    def _forget(self, token: str) -> None:
        """Drop a refused token, unless another thread has already replaced it."""
        with self._lock:
            if self._token == token:
                self._token = None

    def _new_token(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, str]:
        """`POST {token_path}` with the client credentials in a Basic header (the form RFC 6749
        requires every server to accept). The API request's timeouts apply to it too."""
        pair = f"{self._client_id}:{self._client_secret.get_secret_value()}"
        requested_at = self._clock()
        response = yield httpx.Request(
            "POST",
            self._token_url,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()},
            extensions={k: v for k, v in request.extensions.items() if k == "timeout"},
        )
        if not response.is_success:
            raise self._refusal(response)
        answer = _json(response)
        if not isinstance(answer, dict):
            answer = {}
        token = answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise PermanentVendorError(Vendor.ROUTERA, "token answer has no access_token")
        expires_in = answer.get("expires_in")
        renew_at = None
        if isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
            renew_at = requested_at + expires_in - min(TOKEN_RENEWAL_MARGIN, expires_in / 2)
        with self._lock:
            self._token, self._renew_at = token, renew_at
        return token

    def _refusal(self, response: httpx.Response) -> VendorError:
        """429 and 5xx stay transient (retried with the API call); anything else is permanent,
        a 404 included (it is the token endpoint that is missing, not a contact). The vendor's
        text is kept unless it echoes the secret."""
        text = mapper.error_message(_json(response))
        if text is not None and self._client_secret.get_secret_value() in text:
            text = None
        message = f"token request refused: {text or f'HTTP {response.status_code}'}"
        error = classify(Vendor.ROUTERA, response.status_code, response.headers, message)
        if isinstance(error, TransientVendorError):
            return error
        return PermanentVendorError(Vendor.ROUTERA, message, status=response.status_code)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
