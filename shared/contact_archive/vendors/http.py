"""The HTTP side every vendor client shares: timeouts, the account's rate limit, retries, and
answers turned into the error taxonomy.

One `httpx.Client` per container (connection reuse across invocations), explicit timeouts, and
no credential or body ever in an error message: only the vendor's own error text, bounded.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from contact_archive.ledger.models import Vendor
from contact_archive.observability import count_for_vendor
from contact_archive.observability.tracing import vendor_subsegment
from contact_archive.vendors.errors import PermanentVendorError, TransientVendorError
from contact_archive.vendors.rate_limit import Pacer
from contact_archive.vendors.retry import RetryPolicy, call_with_retries, classify

# Connect fast or fail fast; vendors answer single-contact calls well within this.
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=3.0)

ErrorText = Callable[[Any], str | None]
# From an error body, the seconds to wait when the vendor says so there rather than in headers.
WaitHint = Callable[[Any], float | None]


class VendorHttp:
    def __init__(
        self,
        vendor: Vendor,
        client: httpx.Client,
        *,
        error_text: ErrorText,
        retry: RetryPolicy | None = None,
        bucket: Pacer | None = None,
        auth: httpx.Auth | None = None,
        wait_hint: WaitHint | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`clock` is the UNIX time a vendor's absolute reset time (`X-RateLimit-Reset`) is
        read against: injectable, so that a test's vendor and client share one time."""
        self.vendor = vendor
        self._client = client
        # Per request, not per client: one httpx.Client serves every tenant of the container.
        self._auth = auth if auth is not None else httpx.USE_CLIENT_DEFAULT
        self._error_text = error_text
        self._retry = retry or RetryPolicy()
        self._bucket = bucket
        self._wait_hint = wait_hint
        self._sleep = sleep
        self._clock = clock

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        """A successful (2xx) response, or a `VendorError` after the retries the policy allows.
        Only for requests that are safe to repeat; a create goes through `create_once`."""
        with vendor_subsegment(self.vendor.value, method):
            return call_with_retries(
                lambda: self._send(method, path, headers=headers, params=params, json=json),
                self._retry,
                sleep=self._sleep,
            )

    def create_once[T](
        self,
        path: str,
        *,
        json: Any,
        created: Callable[[httpx.Response], T],
        find: Callable[[], T | None],
    ) -> T:
        """`POST path` that creates something, made at most once at the vendor.

        A 429 or a refused connection is retried as usual: the vendor did nothing. After a
        failure the vendor may have acted on anyway (a timeout once sent, a 5xx), `find` looks
        for what that attempt made before the next try, and its answer is taken if it did."""
        unsure = False

        def attempt() -> T:
            nonlocal unsure
            if unsure and (found := find()) is not None:
                return found
            try:
                return created(self._send("POST", path, json=json))
            except TransientVendorError as error:
                unsure = unsure or error.may_have_applied
                raise

        with vendor_subsegment(self.vendor.value, "POST"):
            return call_with_retries(attempt, self._retry, sleep=self._sleep)

    def _send(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        """One attempt: a 2xx response, or the taxonomy's error for what happened. Each failed
        attempt is counted per vendor (`VendorCallFailed`, and `VendorThrottled` for a 429),
        the dashboard's view of a vendor's health, retries included. Our own pacer's refusal to
        wait (a quota spent) is no call, and not counted."""
        if self._bucket is not None:
            self._bucket.acquire()
        try:
            return self._attempt(method, path, headers=headers, params=params, json=json)
        except (TransientVendorError, PermanentVendorError):
            # Not a 404 or "already so": those are answers the sync takes as success.
            count_for_vendor("VendorCallFailed", self.vendor.value)
            raise

    def _attempt(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        try:
            response = self._client.request(
                method, path, headers=headers, params=params, json=json, auth=self._auth
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            # Nothing was sent: the vendor cannot have acted on it.
            raise TransientVendorError(
                self.vendor, f"{method} failed: {type(error).__name__}"
            ) from None
        except httpx.TimeoutException:
            raise TransientVendorError(
                self.vendor, f"{method} timed out", may_have_applied=True
            ) from None
        except httpx.TransportError as error:
            raise TransientVendorError(
                self.vendor, f"{method} failed: {type(error).__name__}", may_have_applied=True
            ) from None
        if response.is_success:
            return response
        if response.status_code == httpx.codes.TOO_MANY_REQUESTS:
            count_for_vendor("VendorThrottled", self.vendor.value)
        body = self._body(response)
        refused = classify(
            self.vendor,
            response.status_code,
            response.headers,
            None if body is None else self._error_text(body),
            now=self._clock(),
        )
        if isinstance(refused, TransientVendorError) and self._wait_hint and body is not None:
            refused.retry_after = self._wait_hint(body) or refused.retry_after
        raise refused

    @staticmethod
    def _body(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            return None
