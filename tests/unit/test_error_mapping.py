"""Every domain error has its HTTP status, and every error has the one body shape."""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest

from contact_archive.api.errors import STATUS_BY_ERROR, InvalidHeader, error_response
from contact_archive.api.request import parse_if_match
from contact_archive.ledger import errors


def all_domain_errors() -> set[type[errors.DomainError]]:
    found: set[type[errors.DomainError]] = set()
    pending = [errors.DomainError]
    while pending:
        for subclass in pending.pop().__subclasses__():
            found.add(subclass)
            pending.append(subclass)
    return found


def test_every_domain_error_is_mapped_to_a_4xx() -> None:
    assert all_domain_errors() == set(STATUS_BY_ERROR)
    assert all(400 <= status < 500 for status in STATUS_BY_ERROR.values())


def test_error_body_shape() -> None:
    response = error_response(HTTPStatus.CONFLICT, "version_conflict", "stale", {"a": 1})
    built = response.body if isinstance(response.body, dict) else json.loads(response.body)
    assert built == {"error": {"code": "version_conflict", "message": "stale", "details": {"a": 1}}}
    assert response.status_code == 409


@pytest.mark.parametrize(
    ("header", "version"), [('"3"', 3), ("3", 3), ('W/"12"', 12), (None, None)]
)
def test_if_match_forms(header: str | None, version: int | None) -> None:
    assert parse_if_match(header) == version


@pytest.mark.parametrize("header", ['"0"', "abc", '"-1"', ""])
def test_bad_if_match_is_refused(header: str) -> None:
    with pytest.raises(InvalidHeader):
        parse_if_match(header)
