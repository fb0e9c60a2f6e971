"""Constant Contact's bulk activities as its sandbox serves them, held against the vendor's spec
through `ContractTransport`: creating, polling and listing activities, the deleted listing with
its count, and the refusals of sources and targets that the spec says are mutually exclusive."""

from __future__ import annotations

from contact_archive.ledger.models import Vendor
from devtools.sandboxes.constant_contact import ConstantContactSandbox
from tests.contracts.specs import contract_transport
from tests.contracts.test_sandbox_contracts import (
    CONSTANT_CONTACT_URL,
    LISTS,
    TickingClock,
    client,
    statuses,
)


def test_constant_contact_sandbox_bulk_activities_keep_to_the_spec() -> None:
    sandbox = ConstantContactSandbox("cc-token", clock=TickingClock())
    contacts = [sandbox.add_contact(list_ids=LISTS)["contact_id"] for _ in range(2)]
    deleted = sandbox.add_contact(deleted_at="2026-03-01")["contact_id"]
    transport = contract_transport(Vendor.CONSTANT_CONTACT, sandbox)
    revive = {"source": {"contact_ids": [deleted]}, "list_ids": LISTS}
    with client(transport, CONSTANT_CONTACT_URL, Authorization="Bearer cc-token") as c:
        removed = c.post("/v3/activities/contact_delete", json={"contact_ids": contacts})
        revived = c.post("/v3/activities/add_list_memberships", json=revive)
        listed = c.get("/v3/activities", params={"limit": 500})  # the clock ticks: both done
        assert [item["state"] for item in listed.json()["activities"]] == ["completed"] * 2
        seen = statuses(
            removed,
            revived,
            listed,
            c.get("/v3/activities", params={"state": "completed"}),
            c.get(f"/v3/activities/{removed.json()['activity_id']}"),
            c.get("/v3/contacts", params={"status": "deleted", "include_count": "true"}),
            c.post(
                "/v3/activities/contact_delete",
                json={"contact_ids": contacts[:1], "list_ids": LISTS},
            ),
            c.post(
                "/v3/activities/add_list_memberships",
                json={"source": {"contact_ids": [deleted], "list_ids": LISTS}, "list_ids": LISTS},
            ),
        )
    assert seen == [201, 201, 200, 200, 200, 200, 400, 400]
    # (what the two 400s refuse: sources and targets that are mutually exclusive, which a
    # schema of independent properties cannot say)
    assert transport.violations == []
    assert transport.checked == len(seen)
