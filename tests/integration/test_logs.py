"""Personal data and secrets never reach the logs, on success, on bad input, or on a crash."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from contact_archive.models import Vendor
from contact_archive.observability import logger
from contact_archive.store import LedgerStore
from contact_archive.vendors.credential_sources import JsonSource
from contact_archive.vendors.registry import VendorClients
from devtools.sandboxes.stack import SandboxStack
from tests.conftest import TEST_ENV
from tests.support import (
    TENANT,
    FakeLambdaContext,
    api_event,
    body_of,
    load_event,
    load_handler,
)

EMAIL = "grace.hopper@navy.example"
FIRST, LAST = "Gracelyn", "Hopperton"
SECRET = TEST_ENV["CURSOR_SIGNING_KEY"]


@pytest.fixture
def captured_logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """Every log line at debug level and up, taken where the logger writes (the stream it started with)."""
    captured = io.StringIO()
    monkeypatch.setattr(logger.registered_handler, "stream", captured)
    previous_level = logger.log_level
    logger.setLevel(logging.DEBUG)
    yield captured
    logger.setLevel(previous_level)


def test_no_personal_data_or_secret_in_logs(
    store: LedgerStore,
    captured_logs: io.StringIO,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given logging at debug level
    modules = {name: load_handler(name) for name in ("register", "archive", "restore", "list")}

    def call(function: str, event: dict[str, Any]) -> dict[str, Any]:
        response: dict[str, Any] = modules[function].lambda_handler(event, FakeLambdaContext())
        return response

    person = {"email": EMAIL, "first_name": FIRST, "last_name": LAST}
    # When it is registered, archived, listed and sent as bad input of every kind
    assert call("register", api_event("register_contact", body=person))["statusCode"] == 201
    call("register", api_event("register_contact", body={**person, "email": f"{FIRST} at nowhere"}))
    call("register", api_event("register_contact", raw_body=json.dumps(person)[:-2]))
    call("archive", api_event("archive_contact", body={"reason": f"{FIRST} {LAST} asked"}))
    page = body_of(call("list", api_event("list_contacts", query={"status": "all", "limit": "1"})))
    assert page["items"]
    call("restore", api_event("restore_contact", body={"reason": f"{EMAIL} came back"}))
    command = load_event("archive_contact_command")
    command["detail"]["reason"] = f"{EMAIL} left"
    assert call("archive", command)["status"] == "applied"
    command["detail"]["unexpected"] = EMAIL
    command["id"] = "another-event"
    assert call("archive", command)["status"] == "dropped"
    # and a crash in the store
    monkeypatch.setattr(LedgerStore, "get_contact", _explode)
    assert call("list", load_event("get_contact"))["statusCode"] == 500

    # Then the logs carry none of it
    printed = capsys.readouterr()
    output = captured_logs.getvalue() + printed.out + printed.err
    assert '"message":"command applied"' in output and '"message":"command dropped"' in output
    assert "unhandled error" in output  # the crash was logged...
    for needle in (EMAIL, FIRST, LAST, SECRET):
        assert needle not in output  # ...without personal data or secrets


def _explode(self: LedgerStore, tenant_id: str, contact_id: str) -> None:
    raise RuntimeError("the store is down")


def test_imports_log_no_vendor_secret_or_imported_person(
    store: LedgerStore,
    captured_logs: io.StringIO,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a tenant whose Constant Contact token has expired (so a refresh rotates both tokens)
    # and whose Intercom token is wrong, at debug level
    stack = SandboxStack()
    stack.constant_contact.add_contact(email=EMAIL, first_name=FIRST, last_name=LAST)
    document = stack.credentials(TENANT)
    secrets = [
        document[TENANT]["constant_contact"]["access_token"],
        document[TENANT]["constant_contact"]["refresh_token"],
        document[TENANT]["routera"]["client_secret"],
    ]
    document[TENANT]["intercom"]["access_token"] = "wrong-intercom-token-0123456789"
    stack.constant_contact.expire_access_token()
    clients = VendorClients(
        JsonSource(document), transports=stack.transports(), sleep=lambda _: None
    )
    monkeypatch.setattr("contact_archive.api.register_routes.get_vendor_clients", lambda: clients)
    register = load_handler("register")
    # When imports succeed, refresh tokens, and fail on the vendor's refusal
    for vendor, status in (("constant_contact", 200), ("routera", 200), ("intercom", 424)):
        response = register.lambda_handler(
            api_event("import_contacts", body={"vendor": vendor}), FakeLambdaContext()
        )
        assert response["statusCode"] == status, response["body"]
    rotated = clients(TENANT, Vendor.CONSTANT_CONTACT).credentials  # type: ignore[attr-defined]
    assert rotated.refresh_token.get_secret_value() != secrets[1]  # the refresh did happen
    secrets += [rotated.access_token.get_secret_value(), rotated.refresh_token.get_secret_value()]
    # Then no log line holds a token, a secret or the imported person
    printed = capsys.readouterr()
    output = captured_logs.getvalue() + printed.out + printed.err
    for needle in (EMAIL, FIRST, LAST, "wrong-intercom-token-0123456789", *secrets):
        assert needle not in output
