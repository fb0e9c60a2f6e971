"""A fleet run: contacts linked to all four vendors, archived, then synced by independent
containers (each its own DynamoDB client, vendor clients and secret cache, as 8 Lambda
containers would be) against the sandboxes at their documented limits, on the wall clock:
Constant Contact refusing a dead refresh token, 4 requests a second and 10,000 a day per key,
its access token expiring every few dozen requests; Intercom's per-app and per-workspace
minute allowances.

`tests/dynamodb_local/test_fleet_run.py` runs a few dozen contacts and checks the counts;
`benchmarks/fleet.py` runs 500 and reports the 429 share and the wall time against the ideal.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

import boto3

from contact_archive.contacts.changes import archive_contact
from contact_archive.ledger.models import LinkState, Vendor
from contact_archive.ledger.store import LedgerStore
from contact_archive.sync.link_sync import sync_link
from contact_archive.vendors.client import LinkRef
from contact_archive.vendors.errors import TransientVendorError
from contact_archive.vendors.registry import VendorClients
from contact_archive.vendors.retry import RetryPolicy
from devtools.sandboxes.constant_contact import REQUESTS_PER_SECOND
from devtools.sandboxes.stack import SandboxStack
from tests.fakes import FakeTime
from tests.ledger_helpers import at_vendor, change, register_at_vendors
from tests.support import RequestCounter
from tests.vendors.fleet.containers import FleetWire, SharedSecrets

TENANT = "fleet-tenant"
CONTAINERS = 8
EXPIRE_EVERY = 20  # Constant Contact API requests between two expiries of the access token
MAX_TRIES = 10  # per contact: a stream record's first try and its retries, generously


@dataclass(frozen=True)
class FleetResult:
    contacts: int
    containers: int
    seconds: float  # from the containers' start to the last one's end
    link_states: Counter[str]  # every link, by state, at the end
    failed: list[tuple[str, str, str | None]]  # (contact, link, last_error) of failed links
    effects: dict[Vendor, Counter[str]]  # what each sandbox's contacts went through
    statuses: Counter[int]  # every vendor answer, by status
    api_requests: dict[Vendor, int]  # per vendor, token requests left out
    token_requests: dict[Vendor, int]
    expirations: int  # Constant Contact access tokens expired during the run
    secret_saves: int  # rotated pairs saved to the shared secrets
    retried: int  # contacts handed back after a transient vendor error
    # DynamoDB requests of the fleet's shared items, by item family (a vendor's rate items, or
    # `token`) and API call
    fleet_requests: Counter[tuple[str, str]]

    @property
    def vendor_requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def throttled_share(self) -> float:
        """The share of every vendor request answered 429."""
        return self.statuses[429] / self.vendor_requests if self.vendor_requests else 0.0

    @property
    def ideal_seconds(self) -> float:
        """What Constant Contact's 4 requests a second allow for its requests of the run."""
        return self.api_requests[Vendor.CONSTANT_CONTACT] / REQUESTS_PER_SECOND

    def requests_for(self, family: str) -> int:
        return sum(count for (seen, _), count in self.fleet_requests.items() if seen == family)

    @property
    def limited_calls(self) -> int:
        """Vendor API calls that went through a shared limit (every vendor but Routera)."""
        return sum(count for vendor, count in self.api_requests.items() if vendor != Vendor.ROUTERA)


class SharedItemRequests:
    """The DynamoDB requests a client makes, by the fleet item they are for: a vendor's rate
    items (`RATE#<vendor>#...`) or a tenant's `token`."""

    def __init__(self, client: Any) -> None:
        self.calls: Counter[tuple[str, str]] = Counter()
        client.meta.events.register("before-parameter-build.dynamodb", self._count)

    def _count(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        pk = str(params.get("Key", {}).get("pk", {}).get("S", ""))
        family = pk.split("#")[1] if pk.startswith("RATE#") else "token"
        self.calls[(family, model.name)] += 1


def _store(endpoint_url: str, table_name: str) -> LedgerStore:
    return LedgerStore(boto3.client("dynamodb", endpoint_url=endpoint_url), table_name)


def run_fleet(
    endpoint_url: str,
    table_name: str,
    *,
    contacts: int,
    containers: int = CONTAINERS,
    expire_every: int | None = EXPIRE_EVERY,
    tenant: str = TENANT,
) -> FleetResult:
    stack = SandboxStack(constant_contact_requests_per_second=REQUESTS_PER_SECOND)
    wire = FleetWire(stack.sandboxes, expire_every=expire_every)
    secrets = SharedSecrets(stack.credentials(tenant))
    setup = _store(endpoint_url, table_name)
    work: deque[tuple[str, int]] = deque()
    for number in range(contacts):
        contact_id = f"fleet-{number}"
        register_at_vendors(setup, stack, contact_id, number=number, tenant=tenant)
        archive_contact(setup, change(contact_id, tenant=tenant))
        work.append((contact_id, 0))
    lock = threading.Lock()
    retried = 0
    fleet_requests: Counter[tuple[str, str]] = Counter()
    start = threading.Barrier(containers + 1)

    def take() -> tuple[str, int] | None:
        with lock:
            return work.popleft() if work else None

    def container() -> None:
        nonlocal retried
        ledger = _store(endpoint_url, table_name)  # what the sync reads and writes
        accounts = _store(endpoint_url, table_name)  # the shared items alone: counted
        counter = SharedItemRequests(accounts.client)
        clients = VendorClients(
            secrets.container(),
            transports=wire.transports(),
            retry=RetryPolicy(),
            accounts=accounts.vendor_accounts,
        )
        start.wait()
        while (job := take()) is not None:
            contact_id, tries = job
            contact = ledger.contacts.get(tenant, contact_id)
            assert contact is not None
            try:
                for key in contact.links:
                    sync_link(ledger, clients, tenant, contact_id, key)
            except TransientVendorError:
                with lock:
                    retried += 1
                    if tries + 1 < MAX_TRIES:
                        work.append((contact_id, tries + 1))
        with lock:
            fleet_requests.update(counter.calls)

    threads = [threading.Thread(target=container) for _ in range(containers)]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.monotonic()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    return FleetResult(
        contacts=contacts,
        containers=containers,
        seconds=seconds,
        link_states=_link_states(setup, tenant, contacts),
        failed=_failed(setup, tenant, contacts),
        effects={vendor: Counter(sandbox.effects) for vendor, sandbox in stack.sandboxes.items()},
        statuses=wire.statuses(),
        api_requests={vendor: wire.api_requests(vendor) for vendor in Vendor},
        token_requests={vendor: wire.token_requests(vendor) for vendor in Vendor},
        expirations=wire.expirations,
        secret_saves=secrets.saves,
        retried=retried,
        fleet_requests=fleet_requests,
    )


def _contacts(store: LedgerStore, tenant: str, contacts: int) -> list[Any]:
    found = [store.contacts.get(tenant, f"fleet-{number}") for number in range(contacts)]
    assert all(contact is not None for contact in found)
    return found


def _link_states(store: LedgerStore, tenant: str, contacts: int) -> Counter[str]:
    return Counter(
        LinkState(contact.link_state(key)).value
        for contact in _contacts(store, tenant, contacts)
        for key in contact.links
    )


def _failed(store: LedgerStore, tenant: str, contacts: int) -> list[tuple[str, str, str | None]]:
    return [
        (contact.contact_id, key, link.last_error)
        for contact in _contacts(store, tenant, contacts)
        for key, link in contact.links.items()
        if contact.link_state(key) is LinkState.FAILED
    ]


# -- what the shared items cost, per vendor call -------------------------------------------------


@dataclass(frozen=True)
class Costs:
    calls: int  # vendor calls made per vendor
    per_call: dict[Vendor, Counter[str]]  # DynamoDB requests of the shared items, per vendor
    renewal: Counter[str]  # the container that renews an expired token: lease, version
    adoption: Counter[str]  # a container that finds it renewed elsewhere: one read

    def per_call_total(self, vendor: Vendor) -> float:
        return sum(self.per_call[vendor].values()) / self.calls


def shared_item_costs(store: LedgerStore, *, calls: int = 10, tenant: str = TENANT) -> Costs:
    """Each vendor fetched `calls` times by one container (the queue of slots busy, as under
    load), counting the DynamoDB requests its shared limits make; then Constant Contact's token
    expired and met by two containers: what renewing costs the one, and adopting the other. The
    limits' clock is a fake one, so no wall time is spent waiting for slots."""
    stack = SandboxStack()
    secrets = SharedSecrets(stack.credentials(tenant))
    counter = RequestCounter(store.client)
    clock = FakeTime(time.time())

    def container() -> VendorClients:
        return VendorClients(
            secrets.container(),
            transports=stack.transports(),
            accounts=store.vendor_accounts,
            clock=clock,
            sleep=clock.sleep,
        )

    first, second = container(), container()
    refs = {
        vendor: LinkRef(link.vendor_id, link.scope)
        for vendor, link in ((vendor, at_vendor(stack, vendor)) for vendor in Vendor)
    }
    per_call: dict[Vendor, Counter[str]] = {}
    for vendor, ref in refs.items():
        first(tenant, vendor).fetch(ref)  # its token (Routera), its client: not counted
        counter.reset()
        for _ in range(calls):
            first(tenant, vendor).fetch(ref)
        per_call[vendor] = Counter(counter.calls)
    cc, ref = Vendor.CONSTANT_CONTACT, refs[Vendor.CONSTANT_CONTACT]
    second(tenant, cc).fetch(ref)
    stack.constant_contact.expire_access_token()
    counter.reset()
    first(tenant, cc).fetch(ref)
    renewal = Counter(counter.calls) - Counter(UpdateItem=2)  # the 401'd call and its resend
    counter.reset()
    second(tenant, cc).fetch(ref)
    adoption = Counter(counter.calls) - Counter(UpdateItem=2)
    return Costs(calls, per_call, renewal, adoption)
