"""Profile updates racing archives and restores lose nothing (DynamoDB Local)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from contact_archive.contacts.changes import ChangeCommand, archive_contact, restore_contact
from contact_archive.contacts.reading import contact_history, get_contact
from contact_archive.contacts.register import RegisterCommand, register_contact
from contact_archive.ledger.errors import VersionConflict
from contact_archive.ledger.models import Actor
from contact_archive.ledger.store import LedgerStore
from tests.ledger_helpers import ALL_LINKS, TENANT, register

WRITERS = 8
ROUNDS = 6


def test_register_updates_and_status_changes_interleave_without_loss(
    store: LedgerStore, store_for_threads: Callable[..., LedgerStore]
) -> None:
    # Given a contact and a shared client
    register(store, "c-race")
    shared = store_for_threads(2 * WRITERS)
    changes: list[int] = []
    names: list[tuple[int, str]] = []
    lock = threading.Lock()
    start = threading.Barrier(2 * WRITERS)

    def renamer(worker: int) -> None:
        start.wait()
        for round_ in range(ROUNDS):
            name = f"name-{worker}-{round_}"
            command = RegisterCommand(
                TENANT,
                "c-race",
                Actor(name="renamer", source="test"),
                email="c-race@example.com",
                first_name=name,
                links=ALL_LINKS,
            )
            try:
                outcome = register_contact(shared, command)
            except VersionConflict:
                continue  # retries exhausted under contention: refused, not lost
            assert outcome.changed  # every name is new
            with lock:
                changes.append(outcome.contact.version)
                names.append((outcome.contact.version, name))

    def switcher(worker: int) -> None:
        start.wait()
        for round_ in range(ROUNDS):
            use_case = archive_contact if (worker + round_) % 2 else restore_contact
            outcome = use_case(
                shared, ChangeCommand(TENANT, "c-race", Actor(name="s", source="test"))
            )
            if outcome.changed:
                with lock:
                    changes.append(outcome.contact.version)

    # When renames, archives and restores race
    with ThreadPoolExecutor(2 * WRITERS) as pool:
        futures = [pool.submit(renamer, w) for w in range(WRITERS)]
        futures += [pool.submit(switcher, w) for w in range(WRITERS)]
        for future in futures:
            future.result()

    # Then each successful write has its own version and its own history event,
    # the last rename wins, and the links survived every rename
    contact = get_contact(store, TENANT, "c-race")
    assert sorted(changes) == list(range(2, 2 + len(changes)))
    assert contact.version == 1 + len(changes)
    assert len(contact_history(store, TENANT, "c-race")) == contact.version
    assert names and contact.first_name == max(names)[1]
    assert len(contact.links) == len(ALL_LINKS)
