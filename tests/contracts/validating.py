"""Contract checks on the wire: an httpx transport that holds every exchange against what the
vendor documents, and the openapi-core contract for vendors that publish a spec.

A transport rather than assertions in each test: whatever drives it (a raw httpx call, a vendor
client, a retry loop) is checked the same way, and nothing the client sends goes unseen.
Violations are collected, not raised, so a test asserts `transport.violations == []` and reads
every problem at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any, Protocol

import httpx
from jsonschema.exceptions import best_match  # type: ignore[import-untyped]  # no stubs pinned
from jsonschema_path import SchemaPath
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.exceptions import PathError
from openapi_core.templating.paths.finders import APICallPathFinder
from openapi_core.validation.request.exceptions import InvalidRequestBody, ParameterValidationError
from openapi_core.validation.response.exceptions import InvalidData
from werkzeug.datastructures import Headers, ImmutableMultiDict


@dataclass(frozen=True)
class Unspecified:
    """A request the vendor's contract does not describe (an OAuth token endpoint, say): let
    through unchecked, but only because it is listed here, with the reason."""

    method: str
    path: str  # a regular expression the request's whole URL path must match
    why: str

    def matches(self, request: httpx.Request) -> bool:
        return (
            request.method == self.method and re.fullmatch(self.path, request.url.path) is not None
        )


@dataclass(frozen=True)
class ExtraQuery:
    """Query parameters the vendor documents elsewhere than in its spec's operation."""

    method: str
    path: str  # the spec's path template, e.g. `/contacts`
    names: frozenset[str]
    why: str


class Contract(Protocol):
    """What one vendor documents. The requests it is given are rebased onto `server_url`; each
    problem is one readable line."""

    @property
    def name(self) -> str: ...

    @property
    def server_url(self) -> str: ...

    @property
    def unspecified(self) -> tuple[Unspecified, ...]: ...

    def request_problems(self, request: httpx.Request) -> list[str]: ...

    def response_problems(self, request: httpx.Request, response: httpx.Response) -> list[str]: ...


class ContractTransport(httpx.BaseTransport):
    """Sends every request through `inner` and records where the exchange breaks `contract`.

    `base_url` is where the client believes the API lives (default: the contract's server, e.g.
    `https://api.cc.email/v3`); a request under it is checked as the same path under the
    contract's server, so a sandbox on any host or loopback port is checked alike. A request
    outside it is a violation, unless the contract lists it as unspecified (then it is only
    noted in `unchecked`).
    """

    def __init__(
        self, inner: httpx.BaseTransport, contract: Contract, *, base_url: str | None = None
    ) -> None:
        self.inner = inner
        self.contract = contract
        self.base_url = httpx.URL(base_url or contract.server_url)
        self.violations: list[str] = []
        self.unchecked: list[str] = []
        self.checked = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        unspecified = next((u for u in self.contract.unspecified if u.matches(request)), None)
        if unspecified is not None:
            self.unchecked.append(f"{request.method} {request.url.path}: {unspecified.why}")
            return self.inner.handle_request(request)
        rebased = self._rebase(request)
        if rebased is None:
            self.violations.append(
                f"{request.method} {request.url}: outside {self.base_url} and not listed"
                f" as unspecified for {self.contract.name}"
            )
            return self.inner.handle_request(request)
        self.checked += 1
        self.violations += self.contract.request_problems(rebased)
        response = self.inner.handle_request(request)
        response.read()
        self.violations += self.contract.response_problems(rebased, response)
        return response

    def close(self) -> None:
        self.inner.close()

    def _rebase(self, request: httpx.Request) -> httpx.Request | None:
        url, base = request.url, self.base_url
        prefix = base.path.rstrip("/")
        same_origin = (url.scheme, url.netloc) == (base.scheme, base.netloc)
        if not same_origin or not (url.path == prefix or url.path.startswith(prefix + "/")):
            return None
        server = httpx.URL(self.contract.server_url)
        target = server.copy_with(
            path=server.path.rstrip("/") + url.path.removeprefix(prefix), query=url.query or None
        )
        return httpx.Request(
            request.method, target, headers=request.headers, content=request.content
        )


class OpenAPIContract:
    """A vendor's OpenAPI 3 document, checked by openapi-core, plus what openapi-core leaves out:
    query parameters the operation does not declare are problems too (a typo in `includeArchived`
    would otherwise pass), unless listed in `extra_query`."""

    def __init__(
        self,
        name: str,
        openapi: OpenAPI,
        *,
        unspecified: Iterable[Unspecified] = (),
        extra_query: Iterable[ExtraQuery] = (),
    ) -> None:
        self.name = name
        self.openapi = openapi
        self.server_url = str((openapi.spec / "servers" / 0 / "url").read_str())
        self.unspecified = tuple(unspecified)
        self._extra_query = tuple(extra_query)
        self._finder = APICallPathFinder(openapi.spec)

    def request_problems(self, request: httpx.Request) -> list[str]:
        label = _label(request, self.server_url)
        problems = [
            f"{label}: {line}"
            for error in self.openapi.iter_request_errors(OpenAPIRequest(request))
            for line in describe(error)
        ]
        found = self._find(request)
        if found is not None:
            path, operation, template = found
            undeclared = self._undeclared_query(request, path, operation, template)
            problems += [
                f"{label}: query parameter {name!r} is not declared" for name in undeclared
            ]
        return problems

    def response_problems(self, request: httpx.Request, response: httpx.Response) -> list[str]:
        if self._find(request) is None:
            return []  # the request's problems already say the spec has no such operation
        label = f"{_label(request, self.server_url)} -> {response.status_code}"
        errors = self.openapi.iter_response_errors(
            OpenAPIRequest(request), OpenAPIResponse(response)
        )
        return [f"{label}: {line}" for error in errors for line in describe(error)]

    def _find(self, request: httpx.Request) -> tuple[SchemaPath, SchemaPath, str] | None:
        try:
            found = self._finder.find(
                request.method.lower(), str(request.url.copy_with(query=None))
            )
        except PathError:
            return None
        return found.path, found.operation, found.path_result.pattern

    def _undeclared_query(
        self, request: httpx.Request, path: SchemaPath, operation: SchemaPath, template: str
    ) -> list[str]:
        declared = {
            (parameter / "name").read_str()
            for owner in (path, operation)
            if "parameters" in owner
            for parameter in owner / "parameters"
            if (parameter / "in").read_str() == "query"
        }
        for extra in self._extra_query:
            if extra.method == request.method and extra.path == template:
                declared |= extra.names
        return sorted(set(request.url.params) - declared)


class OpenAPIRequest:
    """An httpx request as openapi-core's `Request` protocol reads it."""

    def __init__(self, request: httpx.Request) -> None:
        self._request = request
        cookies = SimpleCookie(request.headers.get("Cookie", ""))
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(request.url.params.multi_items()),
            header=Headers(request.headers.multi_items()),
            cookie=ImmutableMultiDict({name: morsel.value for name, morsel in cookies.items()}),
        )

    @property
    def host_url(self) -> str:
        return f"{self._request.url.scheme}://{self._request.url.netloc.decode()}"

    @property
    def path(self) -> str:
        return self._request.url.path

    @property
    def method(self) -> str:
        return self._request.method.lower()

    @property
    def body(self) -> bytes | None:
        return self._request.content or None

    @property
    def content_type(self) -> str:
        return str(self._request.headers.get("Content-Type", "")).lower()


class OpenAPIResponse:
    """An httpx response (already read) as openapi-core's `Response` protocol reads it."""

    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    @property
    def status_code(self) -> int:
        return self._response.status_code

    @property
    def content_type(self) -> str:
        return str(self._response.headers.get("Content-Type", "")).lower()

    @property
    def headers(self) -> Headers:
        return Headers(self._response.headers.multi_items())

    @property
    def data(self) -> bytes | None:
        return self._response.content or None


def describe(error: Exception) -> Iterator[str]:
    """One line per problem: each JSON-schema error of an invalid body or parameter with where it
    sits in the document, otherwise openapi-core's message and its cause."""
    where = _where(error)
    cause = error.__cause__
    schema_errors: Iterable[Any] = getattr(cause, "schema_errors", None) or ()
    lines = [f"{where}: {_schema_error(schema_error)}" for schema_error in schema_errors]
    if lines:
        yield from lines
    elif cause is not None and str(cause) not in str(error):
        yield f"{where}: {cause}"
    else:
        yield str(error)


def _where(error: Exception) -> str:
    if isinstance(error, InvalidRequestBody):
        return "request body"
    if isinstance(error, InvalidData):
        return "response body"
    if isinstance(error, ParameterValidationError):
        return f"{error.location} parameter {error.name!r}"
    return str(error)


def _schema_error(error: Any) -> str:
    """A jsonschema `ValidationError` as `message (at a/b/0)`; for a `oneOf`/`anyOf` miss, the
    alternative that came closest, which says more than "not valid under any"."""
    context = getattr(error, "context", None)
    if context:
        return _schema_error(best_match(context))
    location = "/".join(str(part) for part in getattr(error, "absolute_path", ()))
    message = getattr(error, "message", str(error))
    return f"{message} (at {location})" if location else message


def _label(request: httpx.Request, server_url: str) -> str:
    prefix = httpx.URL(server_url).path.rstrip("/")
    return f"{request.method} {request.url.path.removeprefix(prefix) or '/'}"
