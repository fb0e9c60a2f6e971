"""An erasure against a bulk job's restore (JobsFunction and JobWorkerFunction as Lambda runs
them, moto's table and queue, the Constant Contact sandbox): the unit's bulk revive is on its way
when the contact is erased, and the revive lands after the erasure's own delete. The erasure's
call comes last, and the job counts the contact skipped."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from contact_archive import dependencies
from contact_archive.config import get_settings
from contact_archive.contacts.changes import archive_contact
from contact_archive.contacts.erasure import EraseCommand, erase_contact
from contact_archive.contacts.register import LinkInput
from contact_archive.ledger.models import Vendor
from contact_archive.ledger.store import LedgerStore
from contact_archive.ledger.store.keys import contact_key
from contact_archive.ledger.tombstones import ErasedLinkState
from contact_archive.sync.erasure import erase_at_vendors
from contact_archive.sync.link_sync import sync_link
from contact_archive.vendors.credential_sources import JsonSource
from contact_archive.vendors.registry import VendorClients
from devtools.sandboxes.stack import SandboxStack
from tests.integration.test_erasure import deliver_queued
from tests.integration.test_jobs import job, submit
from tests.ledger_helpers import ALICE, LIST_ID, change, no_wait, register
from tests.support import API_TENANT, Functions
from tests.vendor_races import Meanwhile

CONTACT = "c-1001"
EMAIL = "grace.hopper@example.com"
BULK_REVIVE = ("POST", r"/v3/activities/add_list_memberships")


@pytest.fixture
def meanwhile() -> Meanwhile:
    return Meanwhile()


@pytest.fixture
def clients(
    stack: SandboxStack, meanwhile: Meanwhile, monkeypatch: pytest.MonkeyPatch
) -> VendorClients:
    """The functions' vendor clients, their transports through `meanwhile`."""
    transports: dict[Vendor, httpx.BaseTransport] = {
        vendor: meanwhile.wrap(sandbox.handle) for vendor, sandbox in stack.sandboxes.items()
    }
    made = VendorClients(
        JsonSource(stack.credentials(API_TENANT)), transports=transports, sleep=no_wait
    )
    monkeypatch.setattr(dependencies, "get_vendor_clients", lambda: made)
    monkeypatch.setenv("EVENT_BUS_NAME", "contact-archive-test")
    get_settings.cache_clear()
    return made


def deleted_at_constant_contact(stack: SandboxStack, vendor_id: str) -> bool:
    contact = stack.constant_contact.contact(vendor_id)
    assert contact is not None
    return bool(contact.get("deleted_at"))


def test_a_job_units_bulk_revive_landing_after_the_erasure_does_not_bring_her_back(
    store: LedgerStore,
    stack: SandboxStack,
    clients: VendorClients,
    meanwhile: Meanwhile,
    queue: Any,
) -> None:
    # Given Grace at Constant Contact, archived there (her lists kept for a revive)
    vendor_id = stack.constant_contact.add_contact(email=EMAIL, list_ids=[LIST_ID])["contact_id"]
    register(
        store,
        CONTACT,
        [LinkInput(Vendor.CONSTANT_CONTACT, vendor_id)],
        tenant=API_TENANT,
        email=EMAIL,
    )
    archive_contact(store, change(CONTACT, tenant=API_TENANT))
    (key,) = store.contacts.read(API_TENANT, CONTACT).links
    sync_link(store, clients, API_TENANT, CONTACT, key)
    assert deleted_at_constant_contact(stack, vendor_id)

    # And, while Constant Contact works on the job's bulk revive, she is erased and the
    # erasure's vendor step runs (its tombstone's record, in SyncFunction)
    def erasure() -> None:
        command = EraseCommand(API_TENANT, CONTACT, ALICE, "deletion request")
        erase_contact(store, command, "test-erasure-key")
        erase_at_vendors(store, clients, API_TENANT, CONTACT)

    meanwhile.before(*BULK_REVIVE, erasure)
    # When a job restores her, and its unit is delivered
    jobs = Functions("jobs", "job_worker")
    queued = submit(jobs, {"action": "restore", "contact_ids": [CONTACT]})
    deliver_queued(jobs, queue)
    # Then the revive went out and the erasure ran while it was on its way
    assert stack.constant_contact.calls(*BULK_REVIVE) == 1
    tombstone = store.erasures.get(API_TENANT, CONTACT)
    assert tombstone is not None
    # And Constant Contact holds her deleted all the same: the erasure's delete came last
    assert deleted_at_constant_contact(stack, vendor_id)
    assert [link.state for link in tombstone.links.values()] == [ErasedLinkState.ARCHIVED]
    # And the restore's settle was not written on her tombstone (a link write needs a contact)
    item = store.client.get_item(TableName=store.table.name, Key=contact_key(API_TENANT, CONTACT))
    (link,) = item["Item"]["links"]["M"].values()
    assert "settled_state" not in link["M"] and "settled_change_id" not in link["M"]
    # And the job counts her skipped, once its unit is looked at again
    deliver_queued(jobs, queue)
    done = job(jobs, queued["job_id"])
    assert (done["status"], done["counts"]["skipped"]) == ("succeeded", 1)
