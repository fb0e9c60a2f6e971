"""Concurrent archives and restores of one contact lose nothing (DynamoDB Local)."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from typing import Any

from contact_archive.contacts.changes import ChangeCommand, archive_contact, restore_contact
from contact_archive.contacts.reading import contact_history, get_contact
from contact_archive.ledger.models import Actor, ContactStatus, LinkState, Vendor
from contact_archive.ledger.store import LedgerStore
from tests.ledger_helpers import TENANT, register

THREADS = 32
OPERATIONS_PER_THREAD = 8


def test_32_threads_archiving_and_restoring_one_contact_lose_nothing(
    store: LedgerStore, store_for_threads: Callable[..., LedgerStore]
) -> None:
    # Given a contact, and a client sized for 32 concurrent connections
    register(store, "c-hot")
    shared = store_for_threads(THREADS, retry_mode="standard")
    successes: list[tuple[int, ContactStatus]] = []  # (new version, new status) per real change
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        start.wait()
        for _ in range(OPERATIONS_PER_THREAD):
            use_case = rng.choice([archive_contact, restore_contact])
            command = ChangeCommand(TENANT, "c-hot", Actor(name=f"worker-{seed}", source="test"))
            outcome = use_case(shared, command)
            if outcome.changed:
                with lock:
                    successes.append((outcome.contact.version, outcome.contact.status))

    # When 32 threads archive and restore it at random
    with ThreadPoolExecutor(THREADS) as pool:
        results: list[Any] = list(pool.map(worker, range(THREADS)))
    assert len(results) == THREADS

    # Then every successful write got its own version, the last one decides the status,
    # and the history holds exactly one event per successful change
    contact = get_contact(store, TENANT, "c-hot")
    versions = sorted(version for version, _ in successes)
    assert versions == list(range(2, 2 + len(successes)))
    assert contact.version == 1 + len(successes)
    last_status = max(successes)[1] if successes else ContactStatus.ACTIVE
    assert contact.status is last_status
    history = contact_history(store, TENANT, "c-hot")
    assert len(history) == 1 + len(successes)
    changes = history[1:]
    assert [event.action for event in changes] == [
        "archived" if status is ContactStatus.ARCHIVED else "restored"
        for _, status in sorted(successes)
    ]
    # archive and restore alternate: a no-op never slipped in as a change
    assert all(a.action != b.action for a, b in pairwise(changes))
    assert len(successes) >= 2


def test_threads_changing_different_links_at_once_lose_no_link(
    store: LedgerStore, store_for_threads: Callable[..., LedgerStore]
) -> None:
    # Given a contact with four links, and one thread per link archiving it, all at once
    register(store, "c-links")
    shared = store_for_threads(len(Vendor), retry_mode="standard")
    start = threading.Barrier(len(Vendor))

    def worker(vendor: Vendor) -> bool:
        start.wait()
        command = ChangeCommand(
            TENANT, "c-links", Actor(name=vendor.value, source="test"), vendors=[vendor.value]
        )
        return archive_contact(shared, command).changed

    # When they race (each read-then-conditional-write retries when another won)
    with ThreadPoolExecutor(len(Vendor)) as pool:
        changed = list(pool.map(worker, list(Vendor)))

    # Then every link's archive landed, each in its own version, and the status is derived
    assert changed == [True] * len(Vendor)
    contact = get_contact(store, TENANT, "c-links")
    assert {contact.link_state(key) for key in contact.links} == {LinkState.ARCHIVING}
    assert contact.status is ContactStatus.ARCHIVED
    assert contact.version == 1 + len(Vendor)
    history = contact_history(store, TENANT, "c-links")
    assert sorted(event.details["links"][0] for event in history[1:] if event.details) == sorted(
        contact.links
    )
