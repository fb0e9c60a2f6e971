"""Personal data and secrets never reach the logs, on success, on bad input, or on a crash."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest

from contact_archive.ledger.models import Vendor
from contact_archive.ledger.store import LedgerStore
from contact_archive.ledger.store.contacts import ContactStore
from contact_archive.ledger.store.vendor_refs import VendorRefStore
from devtools.sandboxes.stack import SandboxStack
from tests.conftest import TEST_ENV
from tests.ledger_helpers import sandbox_clients
from tests.support import API_TENANT, Functions, api_event, body_of, delivered, load_event

EMAIL = "grace.hopper@navy.example"
FIRST, LAST = "Gracelyn", "Hopperton"
SECRET = TEST_ENV["CURSOR_SIGNING_KEY"]


def test_no_personal_data_or_secret_in_logs(
    functions: Functions,
    debug_logs: io.StringIO,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given logging at debug level
    person = {"email": EMAIL, "first_name": FIRST, "last_name": LAST}
    # When it is registered, archived, listed and sent as bad input of every kind
    assert functions("register", api_event("register_contact", body=person))["statusCode"] == 201
    functions(
        "register", api_event("register_contact", body={**person, "email": f"{FIRST} at nowhere"})
    )
    functions("register", api_event("register_contact", raw_body=json.dumps(person)[:-2]))
    functions("archive", api_event("archive_contact", body={"reason": f"{FIRST} {LAST} asked"}))
    page = body_of(
        functions("list", api_event("list_contacts", query={"status": "all", "limit": "1"}))
    )
    assert page["items"]
    functions("restore", api_event("restore_contact", body={"reason": f"{EMAIL} came back"}))
    command = load_event("archive_contact_command")
    command["detail"]["reason"] = f"{EMAIL} left"
    assert functions("archive", command)["status"] == "applied"
    command["detail"]["unexpected"] = EMAIL
    command["id"] = "another-event"
    assert functions("archive", command)["status"] == "dropped"
    # and a crash in the store
    monkeypatch.setattr(ContactStore, "_get_item", _explode)
    assert functions("list", load_event("get_contact"))["statusCode"] == 500

    # Then the logs carry none of it
    printed = capsys.readouterr()
    output = debug_logs.getvalue() + printed.out + printed.err
    assert '"message":"command applied"' in output and '"message":"command dropped"' in output
    assert "unhandled error" in output  # the crash was logged...
    for needle in (EMAIL, FIRST, LAST, SECRET):
        assert needle not in output  # ...without personal data or secrets


def _explode(self: object, *args: object) -> None:
    raise RuntimeError("the store is down")


def test_imports_log_no_vendor_secret_or_imported_person(
    functions: Functions,
    stack: SandboxStack,
    debug_logs: io.StringIO,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a tenant whose Constant Contact token has expired (so a refresh rotates both tokens)
    # and whose Intercom token is wrong, at debug level
    stack.constant_contact.add_contact(email=EMAIL, first_name=FIRST, last_name=LAST)
    document = stack.credentials(API_TENANT)
    secrets = [
        document[API_TENANT]["constant_contact"]["access_token"],
        document[API_TENANT]["constant_contact"]["refresh_token"],
        document[API_TENANT]["routera"]["client_secret"],
    ]
    document[API_TENANT]["intercom"]["access_token"] = "wrong-intercom-token-0123456789"
    stack.constant_contact.expire_access_token()
    clients = sandbox_clients(stack, document)
    monkeypatch.setattr("contact_archive.api.register_routes.get_vendor_clients", lambda: clients)
    # When imports succeed, refresh tokens, and fail on the vendor's refusal
    for vendor, status in (("constant_contact", 200), ("routera", 200), ("intercom", 424)):
        response = functions("register", api_event("import_contacts", body={"vendor": vendor}))
        assert response["statusCode"] == status, response["body"]
    rotated = clients(API_TENANT, Vendor.CONSTANT_CONTACT).credentials  # type: ignore[attr-defined]
    assert rotated.refresh_token.get_secret_value() != secrets[1]  # the refresh did happen
    secrets += [rotated.access_token.get_secret_value(), rotated.refresh_token.get_secret_value()]
    # Then no log line holds a token, a secret or the imported person
    printed = capsys.readouterr()
    output = debug_logs.getvalue() + printed.out + printed.err
    for needle in (EMAIL, FIRST, LAST, "wrong-intercom-token-0123456789", *secrets):
        assert needle not in output


# -- webhooks ------------------------------------------------------------------------------------


def test_webhooks_log_neither_body_signature_nor_secret(
    store: LedgerStore,
    debug_logs: io.StringIO,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a tenant with Intercom and Sequence signing secrets, and Ada linked to both, at
    # debug level
    from contact_archive import dependencies
    from contact_archive.config import get_settings
    from devtools.webhooks import (
        TEST_WEBHOOK_SECRET,
        SignedDelivery,
        encode,
        sign_intercom,
        sign_sequence,
    )

    intercom_secret, sequence_secret = "ic-webhook-SECRET-1234", "seq-webhook-SECRET-5678"
    credentials = {
        API_TENANT: {
            "intercom": {"access_token": "ic-token-SECRET-9", "webhook_secret": intercom_secret},
            "sequence": {
                "client_id": "seq",
                "client_secret": "seq-client-SECRET-9",
                "webhook_secret": sequence_secret,
            },
        }
    }
    monkeypatch.setenv("VENDOR_CREDENTIALS", json.dumps(credentials))
    get_settings.cache_clear()
    dependencies.get_credential_source.cache_clear()
    functions = Functions("register", "webhook")
    links = [
        {"vendor": "intercom", "vendor_id": "ic-ada"},
        {"vendor": "sequence", "vendor_id": "seq-ada", "scope": "cus-ada"},
    ]
    person = {"email": EMAIL, "first_name": FIRST, "last_name": LAST, "links": links}
    assert functions("register", api_event("register_contact", body=person))["statusCode"] == 201

    def notification(topic: str, contact_id: str, notification_id: str) -> bytes:
        # A full contact item, as Intercom may send: the person's data is in the body
        item = {"type": "contact", "id": contact_id, "email": EMAIL, "name": f"{FIRST} {LAST}"}
        return encode(
            {
                "type": "notification_event",
                "id": notification_id,
                "topic": topic,
                "app_id": "app",
                "created_at": 1_795_381_800,
                "data": {"item": item},
            }
        )

    deliveries: list[SignedDelivery] = [
        sign_intercom(notification("contact.archived", "ic-ada", "n-1"), intercom_secret),
        sign_intercom(notification("contact.archived", "ic-ada", "n-1"), intercom_secret),  # dup
        sign_intercom(notification("contact.deleted", "nobody", "n-2"), intercom_secret),
        sign_intercom(notification("contact.archived", "ic-ada", "n-3"), TEST_WEBHOOK_SECRET),
        sign_intercom(encode({"email": EMAIL, "name": FIRST}), intercom_secret),  # malformed
        sign_intercom(f'{{"broken": "{LAST}'.encode(), intercom_secret),  # not JSON
        sign_sequence(
            encode(
                {
                    "notificationType": "CUSTOMER_ARCHIVED",
                    "sequenceAccountId": "acct",
                    "resource": {"id": "cus-ada", "contacts": [{"email": EMAIL}]},
                }
            ),
            delivered_at=datetime.now(UTC),
            secret=sequence_secret,
        ),
    ]
    # When each is delivered
    statuses = [functions("webhook", delivered(delivery))["statusCode"] for delivery in deliveries]
    # and a crash in the store while applying one
    monkeypatch.setattr(VendorRefStore, "find", _explode)
    crash = sign_intercom(notification("contact.unarchived", "ic-ada", "n-4"), intercom_secret)
    statuses.append(functions("webhook", delivered(crash))["statusCode"])
    dependencies.get_credential_source.cache_clear()
    assert statuses == [200, 200, 202, 401, 400, 400, 202, 500]

    # Then the logs say what happened, by id and reason...
    printed = capsys.readouterr()
    output = debug_logs.getvalue() + printed.out + printed.err
    for message in ("webhook received", "webhook refused", "webhook malformed", "unhandled error"):
        assert message in output
    # ...and hold no body, no signature, no secret and no personal data
    signatures = [value for d in deliveries for k, value in d.headers.items() if "ignature" in k]
    for needle in (
        EMAIL,
        FIRST,
        LAST,
        intercom_secret,
        sequence_secret,
        TEST_WEBHOOK_SECRET,
        "ic-token-SECRET-9",
        "seq-client-SECRET-9",
        *signatures,
        *(delivery.body.decode() for delivery in deliveries),
    ):
        assert needle not in output
