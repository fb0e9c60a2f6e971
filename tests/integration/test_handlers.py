"""Each function in-process, driven by the events/ files, on a moto table."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.support import (
    Functions,
    RequestCounter,
    api_event,
    body_of,
    header_of,
    link_states_of,
    load_event,
)

CONTACT = "c-1001"


def test_register_event_creates_the_contact_with_four_links(functions: Functions) -> None:
    # Given the sample PUT event / When
    response = functions("register", load_event("register_contact"))
    # Then
    assert response["statusCode"] == 201
    assert header_of(response, "ETag") == '"1"'
    contact = body_of(response)
    assert contact["id"] == CONTACT and contact["status"] == "active"
    assert [(link["vendor"], link["state"]) for link in contact["links"]] == [
        ("constant_contact", "active"),
        ("intercom", "active"),
        ("routera", "active"),
        ("sequence", "active"),
    ]
    # and the same PUT again changes nothing
    again = functions("register", load_event("register_contact"))
    assert again["statusCode"] == 200 and body_of(again)["version"] == 1


def test_get_event_returns_the_contact(functions: Functions, registered: dict[str, Any]) -> None:
    response = functions("list", load_event("get_contact"))
    assert response["statusCode"] == 200
    assert body_of(response) == registered


def test_archive_event_archives_and_its_replay_changes_nothing(
    functions: Functions, registered: dict[str, Any], counter: RequestCounter
) -> None:
    counter.reset()
    first = functions("archive", load_event("archive_contact"))
    assert first["statusCode"] == 200
    archived = body_of(first)
    assert archived["status"] == "archived" and archived["version"] == 2
    assert {link["state"] for link in archived["links"]} == {"archiving"}
    # claim the key, archive, store the response (with its pointer for an erasure: one transaction)
    assert counter.calls == {"PutItem": 1, "UpdateItem": 1, "TransactWriteItems": 1}
    # When the same request (same Idempotency-Key) arrives again
    counter.reset()
    replay = functions("archive", load_event("archive_contact"))
    # Then the same response, from one read, and no second change
    assert counter.total == 1
    assert replay["statusCode"] == 200 and body_of(replay) == archived
    assert header_of(replay, "Idempotent-Replayed") == "true"
    history = body_of(functions("list", load_event("contact_history")))["items"]
    assert [event["action"] for event in history] == ["registered", "archived"]


def test_same_idempotency_key_with_another_body_is_422(
    functions: Functions, registered: dict[str, Any]
) -> None:
    functions("archive", load_event("archive_contact"))
    event = load_event("archive_contact")
    event["body"] = json.dumps({"reason": "something else"})
    response = functions("archive", event)
    assert response["statusCode"] == 422
    assert body_of(response)["error"]["code"] == "idempotency_key_reused"


def test_base64_encoded_body_is_decoded(functions: Functions, registered: dict[str, Any]) -> None:
    event = load_event("archive_contact_base64")
    assert event["isBase64Encoded"] and json.loads(base64.b64decode(event["body"]))["vendors"]
    contact = body_of(functions("archive", event))
    assert link_states_of(contact) == {
        "constant_contact": "active",
        "intercom": "archiving",
        "routera": "active",
        "sequence": "active",
    }
    assert contact["status_reason"] == "duplicate record"


def test_restore_event_restores(functions: Functions, registered: dict[str, Any]) -> None:
    functions("archive", load_event("archive_contact"))
    response = functions("restore", load_event("restore_contact"))
    assert response["statusCode"] == 200
    contact = body_of(response)
    assert contact["status"] == "active" and contact["restored_by"] == "ops@acme.example"
    assert {link["state"] for link in contact["links"]} == {"restoring"}


def test_list_event_lists_archived_contacts_in_one_query(
    functions: Functions, registered: dict[str, Any], counter: RequestCounter
) -> None:
    functions("archive", load_event("archive_contact"))
    counter.reset()
    response = functions("list", load_event("list_contacts"))
    assert counter.calls == {"Query": 1}
    page = body_of(response)
    assert [item["id"] for item in page["items"]] == [CONTACT]
    assert page["next_cursor"] is None


def test_list_paginates_with_a_cursor(functions: Functions) -> None:
    for number in range(5):
        functions("register", api_event("register_contact", contact_id=f"c-{number}", body={}))
    seen: list[str] = []
    query = {"status": "all", "limit": "2"}
    while True:
        page = body_of(functions("list", api_event("list_contacts", query=query)))
        seen += [item["id"] for item in page["items"]]
        if not page["next_cursor"]:
            break
        query = {**query, "cursor": page["next_cursor"]}
    assert seen == [f"c-{number}" for number in range(5)]


def test_archive_command_archives_once_even_when_redelivered(
    functions: Functions, registered: dict[str, Any]
) -> None:
    command = load_event("archive_contact_command")
    assert functions("archive", command) == {
        "status": "applied",
        "changed": True,
        "replayed": False,
    }
    # a restore in between, then EventBridge delivers the same archive event again
    functions("restore", load_event("restore_contact"))
    assert functions("archive", command) == {
        "status": "applied",
        "changed": False,
        "replayed": True,
    }
    contact = body_of(functions("list", load_event("get_contact")))
    assert contact["status"] == "active"
    history = body_of(functions("list", load_event("contact_history")))["items"]
    assert [(e["action"], e["source"], e["actor"]) for e in history] == [
        ("registered", "api", "ops@acme.example"),
        ("archived", "event:com.acme.crm", "crm-sync"),
        ("restored", "api", "ops@acme.example"),
    ]


def test_restore_command_restores(functions: Functions, registered: dict[str, Any]) -> None:
    functions("archive", load_event("archive_contact"))
    result = functions("restore", load_event("restore_contact_command"))
    assert result["status"] == "applied" and result["changed"]
    assert body_of(functions("list", load_event("get_contact")))["status"] == "active"


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda e: e["detail"].pop("contact_id"), "invalid_event"),
        (lambda e: e["detail"].update(tenant_id="bad#tenant"), "invalid_event"),
        (lambda e: e["detail"].update(contact_id="nobody"), "contact_not_found"),
        (lambda e: e.update({"detail-type": "RestoreContact"}), "wrong_function"),
    ],
)
def test_bad_commands_are_dropped_not_retried(
    functions: Functions, registered: dict[str, Any], mutate: Any, reason: str
) -> None:
    command = load_event("archive_contact_command")
    mutate(command)
    assert functions("archive", command) == {"status": "dropped", "reason": reason}
    assert body_of(functions("list", load_event("get_contact")))["version"] == 1


def test_a_vendor_id_linked_to_another_contact_is_409(
    functions: Functions, registered: dict[str, Any]
) -> None:
    body = {"email": "other@example.com", "links": [{"vendor": "routera", "vendor_id": "rt-77"}]}
    response = functions("register", api_event("register_contact", contact_id="c-2", body=body))
    assert response["statusCode"] == 409
    error = body_of(response)["error"]
    assert error["code"] == "vendor_id_taken"
    assert error["details"] == {"vendor": "routera", "vendor_id": "rt-77", "contact_id": CONTACT}
    missing = functions("list", api_event("get_contact", contact_id="c-2"))
    assert missing["statusCode"] == 404


def test_put_with_a_stale_if_match_is_409_and_a_fresh_one_updates(
    functions: Functions, registered: dict[str, Any]
) -> None:
    body = {"email": "ada@example.com", "first_name": "Augusta Ada"}
    stale = functions(
        "register", api_event("register_contact", body=body, headers={"If-Match": '"9"'})
    )
    assert stale["statusCode"] == 409
    fresh = functions(
        "register", api_event("register_contact", body=body, headers={"If-Match": '"1"'})
    )
    assert fresh["statusCode"] == 200
    updated = body_of(fresh)
    assert updated["first_name"] == "Augusta Ada" and updated["version"] == 2
    assert len(updated["links"]) == 4  # links not named in the PUT are kept
