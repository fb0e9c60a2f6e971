"""Bad input gets a clear 4xx in the one error shape, and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Functions, api_event, body_of, load_event

Case = tuple[str, dict[str, Any], int, str, str | None]
# The function that serves each sample event's route.
SERVED_BY = {
    "archive_contact": "archive",
    "register_contact": "register",
    "list_contacts": "list",
    "get_contact": "list",
}


def refused(
    event_name: str, status: int, code: str, field: str | None = None, **changes: Any
) -> Case:
    """The sample event with `changes` (see `api_event`), refused with that status and code."""
    return SERVED_BY[event_name], api_event(event_name, **changes), status, code, field


def invalid(event_name: str, field: str, **changes: Any) -> Case:
    """The sample event with `changes`, refused as a validation error that names `field`."""
    return refused(event_name, 422, "validation_error", field, **changes)


def current_version(functions: Functions) -> int:
    version: int = body_of(functions("list", load_event("get_contact")))["version"]
    return version


CASES = [
    refused("archive_contact", 400, "malformed_json", raw_body="{not json"),
    invalid("archive_contact", "body.reason", body={"reason": "x" * 501}),
    invalid("archive_contact", "body.vendors[0]", body={"vendors": ["myspace"]}),
    invalid("archive_contact", "body.unexpected", body={"unexpected": 1}),
    invalid("archive_contact", "body.vendors", body={"vendors": []}),
    invalid("archive_contact", "path.contact_id", contact_id="bad id!"),
    refused("archive_contact", 400, "invalid_header", headers={"If-Match": "yesterday"}),
    refused("archive_contact", 409, "version_conflict", headers={"If-Match": '"5"'}),
    refused("archive_contact", 404, "contact_not_found", contact_id="c-404"),
    refused("archive_contact", 401, "unauthorized", tenant=None),
    refused("archive_contact", 401, "unauthorized", tenant="a#b"),
    invalid("register_contact", "body.email", body={"email": "not-an-email"}),
    invalid(
        "register_contact", "body.links[0].vendor_id", body={"links": [{"vendor": "intercom"}]}
    ),
    invalid("register_contact", "body", body=None),
    invalid("list_contacts", "query.status", query={"status": "deleted"}),
    invalid("list_contacts", "query.limit", query={"limit": "0"}),
    invalid("list_contacts", "query.limit", query={"limit": "101"}),
    refused("list_contacts", 400, "invalid_cursor", query={"cursor": "forged.cursor"}),
    refused("get_contact", 404, "contact_not_found", contact_id="c-404"),
]


@pytest.mark.parametrize(("function", "event", "status", "code", "field"), CASES)
def test_bad_input_is_a_clear_4xx_and_changes_nothing(
    functions: Functions,
    registered: dict[str, Any],
    function: str,
    event: dict[str, Any],
    status: int,
    code: str,
    field: str | None,
) -> None:
    before = current_version(functions)
    response = functions(function, event)
    assert response["statusCode"] == status
    error = body_of(response)["error"]
    assert error["code"] == code and error["message"]
    if field:
        assert field in [problem["field"] for problem in error["details"]]
    assert current_version(functions) == before


def test_an_unknown_route_is_404_in_the_error_shape(
    functions: Functions, registered: dict[str, Any]
) -> None:
    event = api_event("get_contact")
    event["path"] = "/nowhere"
    response = functions("list", event)
    assert response["statusCode"] == 404
    assert body_of(response)["error"]["code"] == "route_not_found"


def test_a_cursor_from_another_tenant_is_400(
    functions: Functions, registered: dict[str, Any]
) -> None:
    for number in range(3):
        functions("register", api_event("register_contact", contact_id=f"c-{number}", body={}))
    query = {"status": "all", "limit": "1"}
    page = body_of(functions("list", api_event("list_contacts", query=query)))
    foreign = api_event(
        "list_contacts",
        query={"status": "all", "limit": "1", "cursor": page["next_cursor"]},
        tenant="someone-else",
    )
    response = functions("list", foreign)
    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "invalid_cursor"
