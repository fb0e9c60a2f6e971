"""`make seed` end to end: against a local API started as `make run` starts it, the seeder fills
the ledger (each person one contact, linked as `devtools/seed_people.py` says) and the four vendor
sandboxes (as their own APIs show them), a second run adds nothing, and without a running stack it
says how to start one."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.credential_sources import JsonSource
from contact_archive.vendors.registry import VendorClients
from devtools import seed
from devtools.dynamodb_local import DynamoDBLocal
from devtools.local_process import LocalApiProcess, free_port, running_local_api
from devtools.local_state import STATE_DIR_VARIABLE, StackState, published, read_state
from devtools.sandboxes.stack import SandboxStack
from devtools.seed_people import Person, people
from tests.support import ROOT

CONTACTS = 300
Link = tuple[str, str, str | None]  # vendor, vendor id, scope
SEED_SECONDS = 120


@dataclass(frozen=True)
class SeedableStack:
    process: LocalApiProcess
    port: int
    state_dir: Path


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeedableStack]:
    """A local API of its own (the seed fills its sandboxes), publishing its state in a temporary
    folder, with no schedule running meanwhile."""
    state_dir = tmp_path_factory.mktemp("local-state")
    environment = {
        STATE_DIR_VARIABLE: str(state_dir),
        "LOCAL_RECONCILE_SECONDS": "0",
        "LOCAL_SWEEP_SECONDS": "0",
    }
    with (
        DynamoDBLocal() as database,
        running_local_api(database.endpoint_url, environment) as process,
    ):
        port = int(process.url.rsplit(":", 1)[1])
        yield SeedableStack(process, port, state_dir)


def run_seed(state_dir: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """`make seed`'s command, as make runs it."""
    return subprocess.run(
        [sys.executable, "-m", "devtools.seed", *arguments],
        cwd=ROOT,
        env={**os.environ, STATE_DIR_VARIABLE: str(state_dir)},
        capture_output=True,
        text=True,
        timeout=SEED_SECONDS,
        check=False,
    )


def ledger_links(state: StackState, persons: list[Person]) -> dict[str, set[Link]]:
    """{contact id: its links} of each person's ledger contact that exists, read from the stack's
    table by the ledger's own store (BatchGetItem, 100 a request)."""
    contacts = seed.ledger_store(state, workers=1).contacts.get_many(
        state.tenant, [person.contact_id for person in persons]
    )
    return {
        contact_id: {
            (link.vendor.value, link.vendor_id, link.scope) for link in contact.links.values()
        }
        for contact_id, contact in contacts.items()
    }


def linked_per_key(contacts: dict[str, set[Link]]) -> dict[str, set[str]]:
    """{vendor, and `sequence:<customer>`: the contacts linked to it}."""
    linked: dict[str, set[str]] = {}
    for contact_id, links in contacts.items():
        for vendor, _, scope in links:
            linked.setdefault(vendor, set()).add(contact_id)
            if scope is not None:
                linked.setdefault(f"{vendor}:{scope}", set()).add(contact_id)
    return linked


def seeded_links(person: Person) -> set[Link]:
    return {(link["vendor"], link["vendor_id"], link.get("scope")) for link in person.links()}


def sandbox_ids(state: StackState, vendor: Vendor, scope: str | None = None) -> set[str]:
    """The vendor ids a sandbox's own API lists, through the product's vendor client."""
    base_urls = {Vendor(name): url for name, url in state.sandboxes.items()}
    credentials = SandboxStack().credentials(state.tenant, base_urls)
    client = VendorClients(JsonSource(credentials))(state.tenant, vendor)
    ids: set[str] = set()
    cursor = None
    while True:
        page = client.list_page(scope=scope, cursor=cursor)
        ids |= {contact.vendor_id for contact in page.contacts}
        cursor = page.next_cursor
        if cursor is None:
            return ids


def expected_vendor_ids(persons: list[Person]) -> dict[Vendor, set[str]]:
    return {
        Vendor.CONSTANT_CONTACT: {person.constant_contact_id for person in persons},
        Vendor.ROUTERA: {person.routera_id for person in persons if person.routera_id},
        Vendor.INTERCOM: {person.intercom_id for person in persons if person.intercom_id},
    }


def test_seed_fills_the_ledger_and_the_sandboxes_and_a_second_run_adds_nothing(
    stack: SeedableStack,
) -> None:
    # Given a local stack that published where it is
    api = stack.process.url
    persons = people(CONTACTS)
    state = read_state(stack.port, stack.state_dir)
    assert (
        state is not None
        and state.api_url == api
        and set(state.sandboxes) == {vendor.value for vendor in Vendor}
    )

    # When the stack is seeded with 300 people
    first = run_seed(stack.state_dir, "--contacts", str(CONTACTS), "--port", str(stack.port))

    # Then every person is one ledger contact with exactly their seeded links
    assert first.returncode == 0, first.stderr + first.stdout
    assert f"{CONTACTS:>6,} created, 0 already there" in first.stdout
    everyone = ledger_links(state, persons)
    assert everyone == {person.contact_id: seeded_links(person) for person in persons}
    # so the ledger's counts per vendor, and per Sequence customer, are the seeded spread
    counts = {key: len(contacts) for key, contacts in linked_per_key(everyone).items()}
    customers = {member.customer for person in persons for member in person.sequence}
    assert counts == {
        "constant_contact": CONTACTS,
        "routera": sum(person.routera_id is not None for person in persons),
        "intercom": sum(person.intercom_id is not None for person in persons),
        "sequence": sum(bool(person.sequence) for person in persons),
        **{
            f"sequence:{customer}": sum(
                customer in {member.customer for member in person.sequence} for person in persons
            )
            for customer in customers
        },
    }
    assert len(customers) > 3 and any(len(person.sequence) == 2 for person in persons)
    assert any(len(person.constant_contact_lists) == 2 for person in persons)

    # And the sandboxes' own APIs hold each of those vendor contacts (and Grace, seeded by
    # `make run`), so that an archive really reaches them
    for vendor, ids in expected_vendor_ids(persons).items():
        listed = sandbox_ids(state, vendor)
        assert ids <= listed and len(listed) == len(ids) + 1, vendor
    for customer in customers:
        members = {m.contact_id for p in persons for m in p.sequence if m.customer == customer}
        assert sandbox_ids(state, Vendor.SEQUENCE, customer) == members, customer

    # When it runs again
    second = run_seed(stack.state_dir, "--contacts", str(CONTACTS), "--port", str(stack.port))

    # Then it adds nothing, in the ledger or in any sandbox
    assert second.returncode == 0, second.stderr + second.stdout
    assert f"{0:>6,} created, {CONTACTS} already there" in second.stdout
    assert ledger_links(state, persons) == everyone
    for vendor, ids in expected_vendor_ids(persons).items():
        assert len(sandbox_ids(state, vendor)) == len(ids) + 1, vendor
    history = httpx.get(f"{api}/contacts/{persons[0].contact_id}/history", timeout=30).json()
    assert [event["action"] for event in history["items"]] == ["registered"]


def test_seed_says_how_to_start_the_stack_when_none_is_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given no local stack has published its state
    monkeypatch.setenv(STATE_DIR_VARIABLE, str(tmp_path))

    # When seeding is asked for
    code = seed.main(["--contacts", "10", "--port", str(free_port())])

    # Then it stops at once and says to start `make run`
    assert code == seed.EXIT_NOT_RUNNING
    assert "start it with `make run`" in capsys.readouterr().err


def test_seed_tells_a_stack_left_behind_from_a_running_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a state file whose API no longer listens (a run killed before it could clean up)
    monkeypatch.setenv(STATE_DIR_VARIABLE, str(tmp_path))
    port = free_port()
    left = StackState(
        pid=os.getpid(),
        api_url=f"http://127.0.0.1:{port}",
        tenant="dev-tenant",
        dynamodb_endpoint="http://127.0.0.1:1",
        table_name="contact-archive-local",
        sandboxes={"sequence": "http://127.0.0.1:1/api"},
    )
    with published(port, left):
        # When seeding is asked for
        code = seed.main(["--contacts", "10", "--port", str(port)])

    # Then it says the stack is not running any more, and how to start it
    assert code == seed.EXIT_NOT_RUNNING
    assert "not running any more" in capsys.readouterr().err
