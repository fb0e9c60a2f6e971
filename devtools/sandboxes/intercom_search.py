"""`POST /contacts/search` in the Intercom sandbox: the part of the query language this project
needs, checked as the 2.10 spec describes the whole of it.

Served: single filters on `id`, `email`, `external_id` and `role` with `=`, joined by `AND` / `OR`
groups, at most two groups deep and 15 filters a group ("Nesting & Limitations"). Any other field
or operator is refused with a 400 that says "sandbox:", so a test never mistakes it for
Intercom's answer. Values must have the field's type ("otherwise the query will fail").

Not documented: whether search shows archived contacts ("archived contacts cannot be fetched" is
all 2.10 says). Chose, defensively: not shown, as in the list (`IntercomSandbox` has a switch to
show them, so that a client can be tested against both).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from devtools.sandboxes.intercom_rules import Refused, per_page_of

# The spec's single-filter operators (`single_filter_search_request.operator`).
OPERATORS = frozenset({"=", "!=", "IN", "NIN", "<", "<=", ">", ">=", "~", "!~", "^", "$"})
# Of the spec's "Accepted Fields", those the sandbox serves: all of them strings.
SERVED_FIELDS = frozenset({"id", "email", "external_id", "role"})
SERVED_OPERATORS = frozenset({"="})
GROUP_OPERATORS = frozenset({"AND", "OR"})
MAX_GROUP_DEPTH = 2  # "a limit of max 2 nested filters"
MAX_FILTERS_PER_GROUP = 15  # "a limit of max 15 filters for each AND or OR group"

Matches = Callable[[Mapping[str, Any]], bool]


@dataclass(frozen=True)
class Search:
    """A checked `search_request`: which contacts match, and which page of them is asked for."""

    matches: Matches
    per_page: int
    starting_after: str | None


def parse_search(body: Mapping[str, Any]) -> Search:
    """A `search_request` body as a `Search`, or `Refused` with what is wrong."""
    unknown = sorted(set(body) - {"query", "pagination"})
    if unknown:
        raise Refused(400, "parameter_invalid", f"unknown fields: {unknown}", unknown[0])
    if "query" not in body:
        raise Refused(400, "parameter_not_found", "query is required", "query")
    pagination = body.get("pagination") or {}
    if not isinstance(pagination, dict) or set(pagination) - {"per_page", "starting_after"}:
        raise Refused(
            400, "parameter_invalid", "pagination takes per_page and starting_after", "pagination"
        )
    cursor = pagination.get("starting_after")
    if cursor is not None and not isinstance(cursor, str):
        raise Refused(400, "parameter_invalid", "starting_after is not valid", "starting_after")
    return Search(compile_query(body["query"]), per_page_of(pagination.get("per_page")), cursor)


def compile_query(query: object, depth: int = 0) -> Matches:
    """The query as a predicate over stored contacts, or `Refused` with what is wrong."""
    if not isinstance(query, dict):
        raise _invalid("query must be an object")
    if query.get("operator") in GROUP_OPERATORS:
        return _group(query, depth)
    return _single(query)


def _group(query: Mapping[str, Any], depth: int) -> Matches:
    unknown = sorted(set(query) - {"operator", "value"})
    if unknown:
        raise _invalid(f"unknown keys in a filter group: {unknown}")
    if depth >= MAX_GROUP_DEPTH:
        raise _invalid(f"filters nest at most {MAX_GROUP_DEPTH} groups deep")
    members = query.get("value")
    if not isinstance(members, list) or not members:
        raise _invalid("a filter group's value must be a non-empty list of filters")
    if len(members) > MAX_FILTERS_PER_GROUP:
        raise _invalid(f"a filter group holds at most {MAX_FILTERS_PER_GROUP} filters")
    tests = [compile_query(member, depth + 1) for member in members]
    if query["operator"] == "AND":
        return lambda contact: all(test(contact) for test in tests)
    return lambda contact: any(test(contact) for test in tests)


def _single(query: Mapping[str, Any]) -> Matches:
    unknown = sorted(set(query) - {"field", "operator", "value"})
    if unknown:
        raise _invalid(f"unknown keys in a filter: {unknown}")
    field, operator, value = query.get("field"), query.get("operator"), query.get("value")
    if not isinstance(field, str) or operator not in OPERATORS:
        raise _invalid("a filter needs a field and one of the accepted operators")
    if field not in SERVED_FIELDS:
        served = ", ".join(sorted(SERVED_FIELDS))
        raise _invalid(f"sandbox: searching on {field!r} is not served here (only {served})")
    if operator not in SERVED_OPERATORS:
        raise _invalid(f"sandbox: operator {operator!r} is not served here")
    if not isinstance(value, str):
        raise _invalid(f"{field} takes a string value")
    return lambda contact: contact.get(field) == value


def _invalid(message: str) -> Refused:
    return Refused(400, "parameter_invalid", message, "query")
