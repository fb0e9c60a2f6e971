"""The local stack end to end over HTTP: Grace, imported from the four vendor sandboxes `make run`
starts, is archived; SyncFunction (fed by DynamoDB Local's stream) archives her in every sandbox;
she is restored, and every sandbox has her back."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx

from devtools.local_process import LocalApiProcess
from devtools.sandboxes.constant_contact import ConstantContactSandbox
from devtools.sandboxes.intercom import IntercomSandbox
from devtools.sandboxes.sequence import SequenceSandbox

SETTLE_SECONDS = 30
CUSTOMER = "demo-customer"
IMPORTS = [
    {"vendor": "intercom"},
    {"vendor": "constant_contact"},
    {"vendor": "routera"},
    {"vendor": "sequence", "scope": CUSTOMER},
]


def sandbox_urls(output: list[str]) -> dict[str, str]:
    found = dict(re.findall(r"^Vendor sandbox (\w+): (\S+)$", "\n".join(output), re.M))
    assert len(found) == 4, output
    return found


def settled(api: str, contact_id: str, state: str) -> dict[str, Any]:
    """The contact once every link is in `state`, polled over HTTP."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        contact: dict[str, Any] = httpx.get(f"{api}/contacts/{contact_id}", timeout=5).json()
        if {link["state"] for link in contact["links"]} == {state}:
            return contact
        assert time.monotonic() < deadline, contact
        time.sleep(0.2)


def at_vendors(links: dict[str, str], output: list[str]) -> dict[str, bool]:
    """Whether each sandbox holds the linked contact archived, asked over its own API."""
    urls = sandbox_urls(output)
    intercom = httpx.get(
        f"{urls['intercom']}/contacts/{links['intercom']}",
        headers={"Authorization": f"Bearer {IntercomSandbox().token}", "Intercom-Version": "2.10"},
        timeout=5,
    )
    constant_contact = httpx.get(
        f"{urls['constant_contact']}/contacts/{links['constant_contact']}",
        headers={"Authorization": f"Bearer {ConstantContactSandbox().token}"},
        timeout=5,
    ).json()
    token = httpx.post(
        f"{urls['routera']}/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "sandbox-client",
            "client_secret": "sandbox-secret",
        },
        timeout=5,
    ).json()["access_token"]
    routera = httpx.get(
        f"{urls['routera']}/contacts/{links['routera']}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    ).json()
    sequence = SequenceSandbox()
    customers = httpx.get(
        f"{urls['sequence']}/customers/{CUSTOMER}/contacts",
        params={"includeArchived": "true"},
        auth=(sequence.client_id, sequence.client_secret),
        headers={"Sequence-Version": "2024-07-30"},
        timeout=5,
    ).json()["items"]
    (contact,) = [item for item in customers if item["id"] == links["sequence"]]
    return {
        "intercom": intercom.status_code == 404,  # Intercom hides archived contacts
        "constant_contact": constant_contact.get("deleted_at") is not None,
        "routera": routera.get("archived") not in (None, False),
        "sequence": contact.get("archivedAt") is not None,
    }


def test_an_archive_and_a_restore_reach_all_four_sandboxes(local_process: LocalApiProcess) -> None:
    local_api, output = local_process.url, local_process.output
    # Given Grace imported from all four vendors: one contact, four links
    for body in IMPORTS:
        assert httpx.post(f"{local_api}/contacts/import", json=body, timeout=30).status_code == 200
    (grace,) = httpx.get(
        f"{local_api}/contacts", params={"email": "grace@example.com"}, timeout=5
    ).json()["items"]
    assert len(grace["links"]) == 4
    # When she is archived
    archived = httpx.post(f"{local_api}/contacts/{grace['id']}/archive", json={}, timeout=5)
    assert archived.status_code == 200
    # Then every link settles archived, and every sandbox holds her archived
    contact = settled(local_api, grace["id"], "archived")
    links = {link["vendor"]: link["vendor_id"] for link in contact["links"]}
    assert at_vendors(links, output) == dict.fromkeys(links, True)
    # When she is restored
    assert httpx.post(f"{local_api}/contacts/{grace['id']}/restore", json={}, timeout=5).is_success
    # Then every link is active again (Routera and Sequence under new ids), and every sandbox
    # holds her active
    contact = settled(local_api, grace["id"], "active")
    relinked = {link["vendor"]: link["vendor_id"] for link in contact["links"]}
    assert {vendor for vendor in links if relinked[vendor] != links[vendor]} == {
        "routera",
        "sequence",
    }
    assert at_vendors(relinked, output) == dict.fromkeys(relinked, False)
    # And SyncFunction announced both settled changes
    events = [line for line in output if line.startswith("event ")]
    assert any(line.startswith("event ContactArchived") for line in events)
    assert any(line.startswith("event ContactRestored") for line in events)
