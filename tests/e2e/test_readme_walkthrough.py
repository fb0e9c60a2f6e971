"""The README's curl walkthrough, run as written against the local API."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import httpx

from tests.support import ROOT

README_PORT = "127.0.0.1:3000"


def walkthrough_commands() -> list[str]:
    """The curl commands of the README's Walkthrough section, in order."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Walkthrough", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the README's walkthrough has no sh block"
    commands = []
    for chunk in re.split(r"\n\s*\n", block.group(1)):
        lines = [line for line in chunk.splitlines() if line.strip() and not line.startswith("#")]
        if lines:
            commands.append("\n".join(lines))
    return commands


def run(command: str, base_url: str) -> Any:
    command = command.replace(f"http://{README_PORT}", base_url)
    result = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, timeout=30, check=True
    )
    return json.loads(result.stdout)


def test_readme_walkthrough_works_as_written(local_api: str) -> None:
    commands = walkthrough_commands()
    # register, archive, list archived, restore, history, import twice, list by email
    assert len(commands) == 8, commands

    registered, archived, listed, restored, history, from_intercom, from_cc, grace = (
        run(c, local_api) for c in commands
    )

    assert registered["id"] == "c-1001" and len(registered["links"]) == 4
    assert archived["status"] == "archived"
    assert {link["state"] for link in archived["links"]} == {"archiving"}
    assert [item["id"] for item in listed["items"]] == ["c-1001"]
    assert restored["status"] == "active"
    # (the sample's vendor ids are not in the sandboxes: the sync may record that too)
    changes = [e["action"] for e in history["items"] if e["source"] != "sync"]
    assert changes == ["registered", "archived", "restored"]
    # the archive carried an Idempotency-Key: running it again replays, it does not re-archive
    assert run(commands[1], local_api) == archived
    # one person in two vendor sandboxes became one contact with two links (or already was,
    # if another test imported her first)
    assert from_intercom["created"] + from_intercom["unchanged"] == 1
    assert from_cc["linked"] + from_cc["unchanged"] == 1 and from_cc["created"] == 0
    assert len(grace["items"]) == 1
    vendors = {link["vendor"] for link in grace["items"][0]["links"]}
    assert {"intercom", "constant_contact"} <= vendors
    # importing again changes nothing
    again = run(commands[6], local_api)
    assert (again["unchanged"], again["created"], again["linked"]) == (1, 0, 0)


def test_local_api_answers_unknown_routes_in_the_error_shape(local_api: str) -> None:
    response = httpx.get(f"{local_api}/nowhere", timeout=5)
    assert response.status_code == 404
    assert response.json()["error"]["code"]


def test_local_api_scopes_requests_to_a_tenant(local_api: str) -> None:
    body = {"email": "grace@example.com", "links": [{"vendor": "routera", "vendor_id": "rt-grace"}]}
    created = httpx.put(
        f"{local_api}/contacts/c-grace", json=body, headers={"X-Tenant-Id": "tenant-e2e"}, timeout=5
    )
    assert created.status_code == 201
    assert httpx.get(f"{local_api}/contacts/c-grace", timeout=5).status_code == 404
    mine = httpx.get(
        f"{local_api}/contacts/c-grace", headers={"X-Tenant-Id": "tenant-e2e"}, timeout=5
    )
    assert mine.json()["id"] == "c-grace"
