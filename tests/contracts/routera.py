"""Routera's contract: it publishes no spec, so its documented shapes (the TypedDicts of
`contact_archive.vendors.routera.types`, from its API reference and `VENDORS.md`) are checked with
pydantic, strictly (a number is not a string), behind the same interface as the OpenAPI ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from pydantic import ConfigDict, TypeAdapter, ValidationError, with_config

from contact_archive.vendors.routera.types import (
    Contact,
    ContactList,
    CreateContactRequest,
    ErrorBody,
)
from tests.contracts.validating import Unspecified

SERVER_URL = "https://api.routera.io"
MAX_LIMIT = 100
LIST_QUERY = frozenset({"archived", "limit", "offset"})

CONTACT = TypeAdapter(Contact)
CONTACT_LIST = TypeAdapter(ContactList)
ERROR = TypeAdapter(ErrorBody)


@with_config(ConfigDict(extra="forbid"))
class FieldsBody(CreateContactRequest):
    """A create or update body: `{"fields": {...}}` and nothing else."""


FIELDS_BODY = TypeAdapter(FieldsBody)


@dataclass(frozen=True)
class Operation:
    """One documented endpoint: its body (if it takes one) and its answer per status."""

    method: str
    template: str
    answers: dict[int, TypeAdapter[Any]]
    body: TypeAdapter[Any] | None = None
    pattern: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        regex = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(self.template))
        object.__setattr__(self, "pattern", re.compile(regex))


def _errors(*statuses: int) -> dict[int, TypeAdapter[Any]]:
    return dict.fromkeys(statuses, ERROR)


OPERATIONS = (
    Operation("GET", "/contacts", {200: CONTACT_LIST, **_errors(400, 401)}),
    # A create's status is not documented: the object comes back, with 200 or 201. Its 409 (an
    # email or external_id another active contact holds) is not documented either: the project's
    # defensive reading, in Routera's usual error body.
    Operation(
        "POST", "/contacts", {200: CONTACT, 201: CONTACT, **_errors(400, 401, 409)}, FIELDS_BODY
    ),
    Operation("GET", "/contacts/{id}", {200: CONTACT, **_errors(401, 404)}),
    Operation(
        "PATCH", "/contacts/{id}", {200: CONTACT, **_errors(400, 401, 404, 409)}, FIELDS_BODY
    ),
    Operation("DELETE", "/contacts/{id}", {200: CONTACT, **_errors(400, 401, 404)}),
    Operation("DELETE", "/contacts/", _errors(400, 401)),  # "400 Missing contactId in path"
)


class RouteraContract:
    """Routera's documented endpoints, Bearer auth on each, bodies and answers by TypedDict."""

    name = "routera"
    server_url = SERVER_URL
    unspecified = (
        Unspecified(
            "POST",
            r"/oauth2/token",
            "Routera documents the client-credentials flow but not its token answer's shape",
        ),
    )

    def request_problems(self, request: httpx.Request) -> list[str]:
        label = f"{request.method} {request.url.path}"
        operation = _operation(request)
        if operation is None:
            return [f"{label}: not a documented Routera endpoint"]
        problems = []
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            problems.append(f"{label}: no `Authorization: Bearer <JWT>` header")
        if operation.template == "/contacts" and request.method == "GET":
            problems += [f"{label}: {problem}" for problem in _list_query(request.url.params)]
        elif request.url.params:
            problems.append(
                f"{label}: query parameters {sorted(request.url.params)} not documented"
            )
        if operation.body is not None:
            problems += [f"{label}: request body {p}" for p in _shape(operation.body, request)]
        elif request.content:
            problems.append(f"{label}: a body is not documented here")
        return problems

    def response_problems(self, request: httpx.Request, response: httpx.Response) -> list[str]:
        operation = _operation(request)
        if operation is None:
            return []  # already a request problem
        label = f"{request.method} {request.url.path} -> {response.status_code}"
        adapter = operation.answers.get(response.status_code)
        if adapter is None:
            return [f"{label}: status not documented (documented: {sorted(operation.answers)})"]
        problems = [f"{label}: response body {p}" for p in _shape(adapter, response)]
        if not problems and adapter is not ERROR:
            body = response.json()
            contacts = body["data"] if adapter is CONTACT_LIST else [body]
            problems += [f"{label}: {p}" for c in contacts for p in _archived_problems(c)]
        return problems


def _operation(request: httpx.Request) -> Operation | None:
    return next(
        (
            operation
            for operation in OPERATIONS
            if operation.method == request.method and operation.pattern.fullmatch(request.url.path)
        ),
        None,
    )


def _list_query(params: httpx.QueryParams) -> list[str]:
    """`archived=true|false`, `limit` 1-100, `offset` from 0 (VENDORS.md), nothing else."""
    problems = [
        f"query parameter {name!r} not documented" for name in sorted(set(params) - LIST_QUERY)
    ]
    if params.get("archived", "false") not in ("true", "false"):
        problems.append("archived must be true or false")
    if not _integer_between(params.get("limit", "1"), 1, MAX_LIMIT):
        problems.append(f"limit must be an integer from 1 to {MAX_LIMIT}")
    if not _integer_between(params.get("offset", "0"), 0, None):
        problems.append("offset must be a non-negative integer")
    return problems


def _integer_between(text: str, low: int, high: int | None) -> bool:
    if not re.fullmatch(r"\d+", text):
        return False
    return low <= int(text) and (high is None or int(text) <= high)


def _shape(adapter: TypeAdapter[Any], message: httpx.Request | httpx.Response) -> list[str]:
    """The JSON body's mismatches with the documented shape, one line each."""
    try:
        adapter.validate_json(message.content, strict=True)
    except ValidationError as error:
        return [
            f"{'/'.join(map(str, item['loc'])) or 'the top'}: {item['msg']}"
            for item in error.errors()
        ]
    return []


def _archived_problems(contact: dict[str, Any]) -> list[str]:
    """`archived` is false while active and an ISO timestamp once archived; `archived_by` is
    there only when archived (the reference's DELETE page)."""
    archived = contact.get("archived")
    problems = []
    if isinstance(archived, str) and not _is_iso_timestamp(archived):
        problems.append(f"contact {contact.get('id')}: archived {archived!r} is not a timestamp")
    if ("archived_by" in contact) != bool(archived):
        problems.append(f"contact {contact.get('id')}: archived_by only when archived")
    return problems


def _is_iso_timestamp(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return "T" in text
