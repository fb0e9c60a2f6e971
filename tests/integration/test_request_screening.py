"""Input that never reaches a 500: bodies that are not UTF-8 JSON sent as such, headers and
cursors out of range, control characters. Each is a 4xx in the error shape that echoes no part
of the body, and changes nothing."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.support import Functions, api_event, body_of, load_event

ADA = {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"}
# Ada's PUT as the body that a client sending the wrong content type would send.
ADA_JSON = json.dumps(ADA)


def with_content_type(event: dict[str, Any], content_type: str) -> dict[str, Any]:
    event["headers"] = {**event["headers"], "Content-Type": content_type}
    event["multiValueHeaders"] = {name: [value] for name, value in event["headers"].items()}
    return event


def as_base64(event: dict[str, Any], raw: bytes | str) -> dict[str, Any]:
    event["body"] = base64.b64encode(raw).decode() if isinstance(raw, bytes) else raw
    event["isBase64Encoded"] = True
    return event


def contact_now(functions: Functions) -> dict[str, Any]:
    contact: dict[str, Any] = body_of(functions("list", load_event("get_contact")))
    return contact


PUT = "register_contact"
BODY_CASES = [
    # (event, status, code)
    pytest.param(
        with_content_type(api_event(PUT, raw_body=ADA_JSON), "multipart/form-data"),
        415,
        "unsupported_media_type",
        id="multipart without a boundary",
    ),
    pytest.param(
        with_content_type(api_event(PUT, raw_body=ADA_JSON), "multipart/form-data; boundary=x"),
        415,
        "unsupported_media_type",
        id="JSON sent as multipart",
    ),
    pytest.param(
        with_content_type(
            api_event(PUT, raw_body="email=ada%40example.com&first_name=Ada"),
            "application/x-www-form-urlencoded",
        ),
        415,
        "unsupported_media_type",
        id="a form",
    ),
    pytest.param(
        with_content_type(api_event(PUT, raw_body=ADA_JSON), "application/json; charset=latin-1"),
        415,
        "unsupported_media_type",
        id="JSON in another charset",
    ),
    pytest.param(
        as_base64(api_event(PUT), b'{"first_name": "Ad\xe9"}'),
        400,
        "malformed_body",
        id="not UTF-8",
    ),
    pytest.param(
        as_base64(api_event(PUT), "not base64 at all!"),
        400,
        "malformed_body",
        id="marked base64 and is not",
    ),
    pytest.param(
        api_event(PUT, raw_body="[" * 100_000 + "]" * 100_000),
        400,
        "malformed_json",
        id="nested 100,000 deep",
    ),
]


@pytest.mark.parametrize(("event", "status", "code"), BODY_CASES)
def test_a_body_that_is_not_utf8_json_is_refused_and_changes_nothing(
    functions: Functions,
    registered: dict[str, Any],
    event: dict[str, Any],
    status: int,
    code: str,
) -> None:
    # Given Ada, registered; when her PUT comes with a body that cannot be read as UTF-8 JSON
    before = contact_now(functions)
    response = functions("register", event)
    # Then it is refused as a 4xx naming why, no part of the body echoed, and she is unchanged
    assert response["statusCode"] == status
    error = body_of(response)["error"]
    assert error["code"] == code and error["message"]
    assert "ada" not in response["body"].lower() and "Ad" not in response["body"]
    assert contact_now(functions) == before


def test_a_json_body_marked_base64_is_read(
    functions: Functions, registered: dict[str, Any]
) -> None:
    # Given Ada's PUT with a new first name, base64-encoded as API Gateway passes binary bodies
    event = as_base64(api_event(PUT), json.dumps({**ADA, "first_name": "Augusta"}).encode())
    # When it is sent, then it is applied
    response = functions("register", event)
    assert response["statusCode"] == 200
    assert contact_now(functions)["first_name"] == "Augusta"


@pytest.mark.parametrize(
    "if_match",
    ['"' + "9" * 39 + '"', '"' + "1" * 19 + '"', '"\u00b2"', '"\u0661"', '"0"', '"-1"', '"1.0"'],
)
def test_if_match_takes_ascii_digits_within_the_versions_range(
    functions: Functions, registered: dict[str, Any], if_match: str
) -> None:
    # When Ada is archived with an If-Match that is not a version number
    before = contact_now(functions)
    response = functions("archive", api_event("archive_contact", headers={"If-Match": if_match}))
    # Then it is a 400 naming the header, and nothing changed
    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "invalid_header"
    assert contact_now(functions) == before


@pytest.mark.parametrize("cursor", ["é.é", "\u2603", "abc.\u00ff"])
def test_a_cursor_that_is_not_ascii_is_a_400(functions: Functions, cursor: str) -> None:
    response = functions("list", api_event("list_contacts", query={"cursor": cursor}))
    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "invalid_cursor"


CONTROL_CASES = [
    pytest.param("register", PUT, {**ADA, "email": "ada\x00@example.com"}, "body.email"),
    pytest.param("register", PUT, {**ADA, "first_name": "Ada\x1b[31m"}, "body.first_name"),
    pytest.param("register", PUT, {**ADA, "last_name": "Love\x7flace"}, "body.last_name"),
    pytest.param("archive", "archive_contact", {"reason": "left\x00"}, "body.reason"),
    pytest.param(
        "archive", "archive_contact", {"vendors": ["sequence:cus\x01"]}, "body.vendors[0]"
    ),
]


@pytest.mark.parametrize(("function", "event_name", "body", "field"), CONTROL_CASES)
def test_control_characters_are_a_422_naming_the_field(
    functions: Functions,
    registered: dict[str, Any],
    function: str,
    event_name: str,
    body: dict[str, Any],
    field: str,
) -> None:
    before = contact_now(functions)
    response = functions(function, api_event(event_name, body=body))
    assert response["statusCode"] == 422
    error = body_of(response)["error"]
    assert field in [problem["field"] for problem in error["details"]]
    assert "\\u0000" not in response["body"] and "Ada" not in response["body"]
    assert contact_now(functions) == before
