"""Constant Contact's OAuth2 Bearer auth with rotating refresh tokens, as httpx auth: the access
token on every request; on a 401, a renewal (`vendors/fleet/tokens.py` across a fleet of
containers, or a refresh of its own) and a resend. The refresh grant (RFC 6749 6) goes to the
tenant's `token_url` through the same transport, with the API request's timeouts.
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Callable, Generator, Mapping

import httpx

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.credentials import ConstantContactCredentials, VendorCredentials
from contact_archive.vendors.errors import PermanentVendorError
from contact_archive.vendors.fleet.tokens import Renewal, TokenRenewal
from contact_archive.vendors.http import DEFAULT_TIMEOUT
from contact_archive.vendors.retry import classify

VENDOR = Vendor.CONSTANT_CONTACT
_OAUTH_ERROR = re.compile(r"[a-z_]{1,64}")  # an RFC 6749 error code, safe to quote
# Renewals per request: a pair renewed elsewhere can be renewed again before the resend lands.
MAX_RENEWALS = 2

type RotationCallback = Callable[[ConstantContactCredentials], None]


class OwnRenewal:
    """A client on its own (no fleet): every 401 refreshes, and `on_rotated` saves the pair."""

    def __init__(self, on_rotated: RotationCallback) -> None:
        self._on_rotated = on_rotated

    def after_unauthorized(self, used: VendorCredentials, version: int | None) -> Renewal:
        return Renewal(used, version, refresh=True)

    def renewed(self, renewal: Renewal, credentials: VendorCredentials) -> int | None:
        self._on_rotated(_constant_contact(credentials))
        return None

    def refused(self, renewal: Renewal) -> Renewal | None:
        return None

    def abandon(self, renewal: Renewal) -> None:
        return None


class RotatingBearerAuth(httpx.Auth):
    """The tenant's current access token as `Bearer`; on a 401, a renewal and one resend (at
    most `MAX_RENEWALS` per request: a token renewed elsewhere may die again meanwhile).

    Refresh tokens rotate: a refresh answers a new pair and kills the old refresh token. So one
    thread of the container renews while the others wait on the lock, and a thread whose 401 came
    with a token already replaced resends with the new one instead. Across containers, `renewal`
    decides (`vendors/fleet/tokens.py`): resend with a pair renewed elsewhere, or refresh under
    the fleet's lease. The new pair is kept in memory before anything else (the old refresh token
    is dead whatever happens next). The resend is a call to the API, so it takes its turn in the
    rate limit (`before_resend`).
    """

    requires_response_body = True  # the refresh answer's tokens are read here

    def __init__(
        self,
        credentials: ConstantContactCredentials,
        renewal: TokenRenewal,
        before_resend: Callable[[], object],
    ) -> None:
        self._credentials = credentials
        self._version: int | None = None  # the fleet's token version these are, when known
        self._renewal = renewal
        self._before_resend = before_resend
        self._lock = threading.Lock()

    @property
    def credentials(self) -> ConstantContactCredentials:
        return self._credentials

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        for renewals in range(MAX_RENEWALS + 1):
            used = self._credentials
            request.headers["Authorization"] = _bearer(used)
            response = yield request
            if response.status_code != 401 or renewals == MAX_RENEWALS:
                return
            with self._lock:  # released by the generator's close() if the refresh call fails
                if self._credentials is used:
                    timeout = request.extensions.get("timeout", DEFAULT_TIMEOUT.as_dict())
                    yield from self._renew(used, timeout)
            self._before_resend()

    def _renew(
        self, used: ConstantContactCredentials, timeout: Mapping[str, float | None]
    ) -> Generator[httpx.Request, httpx.Response]:
        renewal = self._renewal.after_unauthorized(used, self._version)
        if not renewal.refresh:
            self._adopt(renewal)
            return
        try:
            answer = yield _refresh_request(_constant_contact(renewal.credentials), timeout)
        except BaseException:
            self._renewal.abandon(renewal)
            raise
        if _dead_grant(answer):
            newer = self._renewal.refused(renewal)
            if newer is None:
                _token_pair(answer)  # raises: the account must be authorized again
            else:
                self._adopt(newer)
                return
        try:
            access_token, refresh_token = _token_pair(answer)
        except BaseException:
            self._renewal.abandon(renewal)
            raise
        self._credentials = _constant_contact(renewal.credentials).rotated(
            access_token, refresh_token
        )
        self._version = self._renewal.renewed(renewal, self._credentials)

    def _adopt(self, renewal: Renewal) -> None:
        self._credentials = _constant_contact(renewal.credentials)
        self._version = renewal.version


def _constant_contact(credentials: VendorCredentials) -> ConstantContactCredentials:
    if not isinstance(credentials, ConstantContactCredentials):
        raise TypeError("Constant Contact's token was renewed with another vendor's credentials")
    return credentials


def _dead_grant(response: httpx.Response) -> bool:
    """A refresh refused because the refresh token is no longer valid (RFC 6749 5.2)."""
    return response.status_code == 400 and _oauth_error_code(response) == "invalid_grant"


def _bearer(credentials: ConstantContactCredentials) -> str:
    return f"Bearer {credentials.access_token.get_secret_value()}"


def _refresh_request(
    credentials: ConstantContactCredentials, timeout: Mapping[str, float | None]
) -> httpx.Request:
    """The refresh grant (RFC 6749 6) as a form in the body, never in the URL. A confidential
    app authenticates with HTTP Basic, a public (PKCE) app with its `client_id` in the form.
    A request made here carries no timeout unless given one: the API request's own."""
    form = {
        "grant_type": "refresh_token",
        "refresh_token": credentials.refresh_token.get_secret_value(),
    }
    headers = {"Accept": "application/json"}
    if credentials.client_secret is None:
        form["client_id"] = credentials.client_id
    else:
        pair = f"{credentials.client_id}:{credentials.client_secret.get_secret_value()}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    return httpx.Request(
        "POST",
        credentials.token_url,
        data=form,
        headers=headers,
        extensions={"timeout": dict(timeout)},
    )


def _token_pair(response: httpx.Response) -> tuple[str, str]:
    """The new access and refresh tokens. A refused refresh is permanent: the tenant has to
    authorize the app again. Messages carry the OAuth2 error code at most, never a token."""
    if response.status_code == 429 or response.status_code >= 500:
        raise classify(VENDOR, response.status_code, response.headers, "token refresh failed")
    if not response.is_success:
        code = _oauth_error_code(response)
        raise PermanentVendorError(
            VENDOR,
            f"token refresh refused ({code}): the account must be authorized again",
            status=response.status_code,
        )
    body = _json(response)
    access = body.get("access_token") if isinstance(body, dict) else None
    refresh = body.get("refresh_token") if isinstance(body, dict) else None
    if not (isinstance(access, str) and access and isinstance(refresh, str) and refresh):
        raise PermanentVendorError(VENDOR, "token refresh answered without a token pair")
    return access, refresh


def _oauth_error_code(response: httpx.Response) -> str:
    body = _json(response)
    code = body.get("error") if isinstance(body, dict) else None
    if isinstance(code, str) and _OAUTH_ERROR.fullmatch(code):
        return code
    return f"HTTP {response.status_code}"


def _json(response: httpx.Response) -> object:
    try:
        body: object = response.json()
    except ValueError:
        return None
    return body
