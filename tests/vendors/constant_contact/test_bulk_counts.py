"""What bulk archives and restores cost at Constant Contact, counted at the sandbox: 10,000
contacts as a worker sends them (two units of 5,000), against one call per contact.

One at a time, an archive is a GET of the snapshot and a DELETE, a restore a GET and a PUT: two
requests a contact, 20,000 for 10,000 each way, two days of the key's 10,000-a-day quota. In bulk,
an archive of 5,000 is 10 pages of 500 read for their lists, 10 `contact_delete` and one
`GET /activities` that finds all 10 done: 21 requests a unit, 42 for 10,000. The floor with the
spec's JSON endpoints: a page holds 500 contacts and an activity 500 (20 + 20 for 10,000), and
each unit needs one poll at least. Only a contacts export (`contact_exports`, one file for the
whole account) could read the lists in fewer requests, and the spec documents neither a contact
id nor list ids among the file's columns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx
import pytest

from contact_archive.vendors.client import BulkItemResult, LinkRef
from contact_archive.vendors.constant_contact.client import ConstantContactClient
from devtools.sandboxes.constant_contact import ConstantContactSandbox
from tests.vendors.constant_contact.case import LISTS, ConstantContactCase

OTHER_LIST = "6f99f283-21d1-11ea-b5ae-fa163e56c9b9"
SETS = [LISTS, LISTS[:1], LISTS[1:], [OTHER_LIST]]  # four list sets, 2,500 contacts each
CONTACTS = 10_000
UNIT = 5_000  # what the jobs worker hands the client at once


@pytest.fixture
def case() -> Iterator[ConstantContactCase]:
    with ConstantContactCase() as case:
        yield case


def kinds(requests: list[httpx.Request]) -> Counter[str]:
    """The requests by what they did: pages of contacts, activities made, polls."""
    counted: Counter[str] = Counter()
    for request in requests:
        path = request.url.path
        if path == "/v3/contacts":
            counted["pages"] += 1
        elif request.method == "POST":
            counted[path.rsplit("/", 1)[-1]] += 1
        elif path.startswith("/v3/activities"):
            counted["polls"] += 1
        else:
            counted["single contacts"] += 1
    return counted


def in_units(
    ids: list[str], call: Callable[[list[str]], dict[str, BulkItemResult]]
) -> dict[str, BulkItemResult]:
    """`call` once per unit of 5,000, as the jobs worker calls the client."""
    results: dict[str, BulkItemResult] = {}
    for start in range(0, len(ids), UNIT):
        results |= call(ids[start : start + UNIT])
    return results


def test_10000_archives_and_restores_in_bulk_cost_42_and_46_requests(
    sandbox: ConstantContactSandbox, client: ConstantContactClient
) -> None:
    # Given 10,000 contacts on four list sets, and nothing sent yet today
    ids = [sandbox.add_contact(list_ids=SETS[n % 4])["contact_id"] for n in range(CONTACTS)]
    # When a worker archives them in two units of 5,000
    archived = in_units(ids, client.archive_bulk)
    archive_requests = list(sandbox.requests)
    # Then all are deleted, each once, for 42 requests: 20 pages, 20 activities, 2 polls
    assert {result.outcome for result in archived.values()} == {"done"}
    assert kinds(archive_requests) == {"pages": 20, "contact_delete": 20, "polls": 2}
    # (the measure, activities and polls: 22, within its 40)
    assert kinds(archive_requests)["contact_delete"] + kinds(archive_requests)["polls"] <= 40
    assert len(archive_requests) == 42  # against 20,000 one at a time (measured below)
    # When the worker restores them, in two units, from the material the archive returned
    material: dict[str, Mapping[str, Any] | None] = {
        key: result.material for key, result in archived.items()
    }
    restored = in_units(ids, lambda unit: client.restore_bulk({key: material[key] for key in unit}))
    restore_requests = sandbox.requests[len(archive_requests) :]
    # Then all are back on their lists, each revived once, for 46 requests: 20 pages of deleted
    # contacts, 24 activities (per unit, 1,250 contacts on each of four list sets: 3 each) and
    # 2 polls
    assert {result.outcome for result in restored.values()} == {"done"}
    assert kinds(restore_requests) == {"pages": 20, "add_list_memberships": 24, "polls": 2}
    assert all(
        (sandbox.contact(key) or {}).get("list_memberships") == SETS[n % 4]
        for n, key in enumerate(ids)
    )
    assert Counter(effect for _, effect in sandbox.contact_effects.elements()) == {
        "archived": CONTACTS,
        "restored": CONTACTS,
    }
    assert set(sandbox.contact_effects.values()) == {1}
    # And the daily quota counted each request once: 88 of its 10,000
    assert sandbox.quota_used == 88


def test_one_at_a_time_costs_two_requests_a_contact_each_way(
    case: ConstantContactCase, sandbox: ConstantContactSandbox
) -> None:
    # Given 50 contacts on lists, and a client archiving and restoring them one by one
    refs = [LinkRef(sandbox.add_contact(list_ids=LISTS)["contact_id"]) for _ in range(50)]
    client = case.client_with()
    # When each is snapshotted and archived, then restored
    snapshots = {}
    for ref in refs:
        snapshots[ref] = client.take_snapshot(ref)
        client.archive(ref)
    archived = len(sandbox.requests)
    for ref in refs:
        client.restore(ref, snapshots[ref])
    # Then each way cost two requests a contact (GET and DELETE; GET and PUT): 20,000 each way
    # for 10,000 contacts, against 42 and 46 in bulk
    assert archived == 2 * len(refs)
    assert len(sandbox.requests) - archived == 2 * len(refs)
    assert sandbox.effects == {"archived": 50, "restored": 50}
