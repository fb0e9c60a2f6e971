"""The local stack's schedule end to end: `make run` invokes ReconcileFunction on an interval, so
a contact archived in a sandbox's own API (behind the ledger's back) shows up in the ledger as
drift, and its `ContactDriftDetected` is announced on the local bus."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from devtools.dynamodb_local import DynamoDBLocal
from devtools.local_process import LocalApiProcess, running_local_api
from devtools.sandboxes.intercom import IntercomSandbox
from tests.support import API_TENANT

DETECT_SECONDS = 30


@pytest.fixture(scope="module")
def reconciling_process() -> Iterator[LocalApiProcess]:
    """A local API of its own whose schedule runs every second."""
    with (
        DynamoDBLocal() as database,
        running_local_api(database.endpoint_url, {"LOCAL_RECONCILE_SECONDS": "1"}) as process,
    ):
        yield process


def test_an_archive_in_the_intercom_sandbox_is_found_by_the_local_schedule(
    reconciling_process: LocalApiProcess,
) -> None:
    api, output = reconciling_process.url, reconciling_process.output
    # Given Grace imported from Intercom
    assert httpx.post(f"{api}/contacts/import", json={"vendor": "intercom"}, timeout=30).is_success
    (grace,) = httpx.get(
        f"{api}/contacts", params={"email": "grace@example.com"}, timeout=5
    ).json()["items"]
    (link,) = grace["links"]
    # When someone archives her in Intercom itself
    (intercom_url,) = re.findall(r"^Vendor sandbox intercom: (\S+)$", "\n".join(output), re.M)
    archived = httpx.post(
        f"{intercom_url}/contacts/{link['vendor_id']}/archive",
        headers={"Authorization": f"Bearer {IntercomSandbox().token}", "Intercom-Version": "2.10"},
        timeout=5,
    )
    assert archived.is_success
    # Then a scheduled run finds it: the link is archived, with a drift event from Intercom
    contact = _polled(api, grace["id"], lambda c: c["links"][0]["state"] == "archived")
    # the default `record` policy: the ledger only records it; her one link is archived, so she is
    assert contact["status"] == "archived"
    last = httpx.get(f"{api}/contacts/{grace['id']}/history", timeout=5).json()["items"][-1]
    assert (last["action"], last["source"]) == ("drift_detected", "vendor:intercom")
    # And the run said so, and announced it
    assert any(line.startswith("ReconcileFunction runs every 1 s") for line in output)
    # (the event is printed while the run is under way, its summary once the run has returned)
    deadline = time.monotonic() + DETECT_SECONDS
    while not (
        any(line.startswith("event ContactDriftDetected") for line in output)
        and any(re.match(rf"reconcile {API_TENANT}/intercom: 1 drift", line) for line in output)
    ):
        assert time.monotonic() < deadline, output[-20:]
        time.sleep(0.2)


def _polled(api: str, contact_id: str, done: Any) -> dict[str, Any]:
    deadline = time.monotonic() + DETECT_SECONDS
    while True:
        contact: dict[str, Any] = httpx.get(f"{api}/contacts/{contact_id}", timeout=5).json()
        if done(contact):
            return contact
        assert time.monotonic() < deadline, contact
        time.sleep(0.2)
