"""Bad input gets a clear 4xx in the one error shape, and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from contact_archive.ledger.store import LedgerStore
from tests.support import FakeLambdaContext, api_event, body_of, load_event, load_handler


@pytest.fixture
def call(store: LedgerStore) -> Any:
    modules = {name: load_handler(name) for name in ("archive", "list", "register")}
    modules["register"].lambda_handler(load_event("register_contact"), FakeLambdaContext())

    def invoke(function: str, event: dict[str, Any]) -> dict[str, Any]:
        response: dict[str, Any] = modules[function].lambda_handler(event, FakeLambdaContext())
        return response

    return invoke


def current_version(call: Any) -> int:
    version: int = body_of(call("list", load_event("get_contact")))["version"]
    return version


CASES = [
    ("archive", api_event("archive_contact", raw_body="{not json"), 400, "malformed_json", None),
    (
        "archive",
        api_event("archive_contact", body={"reason": "x" * 501}),
        422,
        "validation_error",
        "body.reason",
    ),
    (
        "archive",
        api_event("archive_contact", body={"vendors": ["myspace"]}),
        422,
        "validation_error",
        "body.vendors[0]",
    ),
    (
        "archive",
        api_event("archive_contact", body={"unexpected": 1}),
        422,
        "validation_error",
        "body.unexpected",
    ),
    (
        "archive",
        api_event("archive_contact", body={"vendors": []}),
        422,
        "validation_error",
        "body.vendors",
    ),
    (
        "archive",
        api_event("archive_contact", contact_id="bad id!"),
        422,
        "validation_error",
        "path.contact_id",
    ),
    (
        "archive",
        api_event("archive_contact", headers={"If-Match": "yesterday"}),
        400,
        "invalid_header",
        None,
    ),
    (
        "archive",
        api_event("archive_contact", headers={"If-Match": '"5"'}),
        409,
        "version_conflict",
        None,
    ),
    ("archive", api_event("archive_contact", contact_id="c-404"), 404, "contact_not_found", None),
    ("archive", api_event("archive_contact", tenant=None), 401, "unauthorized", None),
    ("archive", api_event("archive_contact", tenant="a#b"), 401, "unauthorized", None),
    (
        "register",
        api_event("register_contact", body={"email": "not-an-email"}),
        422,
        "validation_error",
        "body.email",
    ),
    (
        "register",
        api_event("register_contact", body={"links": [{"vendor": "intercom"}]}),
        422,
        "validation_error",
        "body.links[0].vendor_id",
    ),
    ("register", api_event("register_contact", body=None), 422, "validation_error", "body"),
    (
        "list",
        api_event("list_contacts", query={"status": "deleted"}),
        422,
        "validation_error",
        "query.status",
    ),
    (
        "list",
        api_event("list_contacts", query={"limit": "0"}),
        422,
        "validation_error",
        "query.limit",
    ),
    (
        "list",
        api_event("list_contacts", query={"limit": "101"}),
        422,
        "validation_error",
        "query.limit",
    ),
    (
        "list",
        api_event("list_contacts", query={"cursor": "forged.cursor"}),
        400,
        "invalid_cursor",
        None,
    ),
    ("list", api_event("get_contact", contact_id="c-404"), 404, "contact_not_found", None),
]


@pytest.mark.parametrize(("function", "event", "status", "code", "field"), CASES)
def test_bad_input_is_a_clear_4xx_and_changes_nothing(
    call: Any, function: str, event: dict[str, Any], status: int, code: str, field: str | None
) -> None:
    before = current_version(call)
    response = call(function, event)
    assert response["statusCode"] == status
    error = body_of(response)["error"]
    assert error["code"] == code and error["message"]
    if field:
        assert field in [problem["field"] for problem in error["details"]]
    assert current_version(call) == before


def test_an_unknown_route_is_404_in_the_error_shape(call: Any) -> None:
    event = api_event("get_contact")
    event["path"] = "/nowhere"
    response = call("list", event)
    assert response["statusCode"] == 404
    assert body_of(response)["error"]["code"] == "route_not_found"


def test_a_cursor_from_another_tenant_is_400(call: Any) -> None:
    for number in range(3):
        call("register", api_event("register_contact", contact_id=f"c-{number}", body={}))
    page = body_of(call("list", api_event("list_contacts", query={"status": "all", "limit": "1"})))
    foreign = api_event(
        "list_contacts",
        query={"status": "all", "limit": "1", "cursor": page["next_cursor"]},
        tenant="someone-else",
    )
    response = call("list", foreign)
    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "invalid_cursor"
