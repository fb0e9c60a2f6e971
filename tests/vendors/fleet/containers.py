"""Containers as the fleet tests see them: the secrets they share (one store, a cache in each
container, as Secrets Manager read through Powertools' cache), a wire that records every
vendor answer and can make Constant Contact's access token expire as the run goes, and a fleet
of one tenant's containers on a Constant Contact sandbox on a fake clock (`Fleet`).

Used by the fleet tests (`tests/vendors/fleet/`, `tests/dynamodb_local/test_fleet_*.py`) and by
`benchmarks/fleet.py`.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.client import LinkRef
from contact_archive.vendors.credential_sources import JsonSource
from contact_archive.vendors.credentials import ConstantContactCredentials, VendorCredentials
from contact_archive.vendors.fleet import InProcessAccounts
from contact_archive.vendors.registry import VendorClients
from contact_archive.vendors.retry import RetryPolicy
from devtools.sandboxes import routera
from devtools.sandboxes.base import Sandbox
from devtools.sandboxes.constant_contact import TOKEN_PATH, ConstantContactSandbox
from devtools.sandboxes.stack import IN_PROCESS_BASE_URLS
from tests.fakes import FakeTime

SECRET_CACHE_SECONDS = 300.0  # `SecretsManagerSource`'s default max_age
TOKEN_PATHS = frozenset({TOKEN_PATH, routera.TOKEN_PATH})  # not API requests
TENANT = "tenant-a"
CC = Vendor.CONSTANT_CONTACT
START = datetime(2026, 3, 17, 12, 0, tzinfo=UTC).timestamp()
ELSEWHERE = "a-container-elsewhere"  # a lease holder that is none of the test's containers


class SharedSecrets:
    """The secret store every container reads and saves to (Secrets Manager, deployed)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.store = JsonSource(document)
        self.saves = 0
        self._lock = threading.Lock()

    def container(
        self, *, max_age: float = SECRET_CACHE_SECONDS, clock: Callable[[], float] = time.time
    ) -> ContainerSecrets:
        """One container's view: loads cached for `max_age` seconds on `clock`."""
        return ContainerSecrets(self, max_age=max_age, clock=clock)

    def saved(self) -> None:
        with self._lock:
            self.saves += 1


class ContainerSecrets:
    """A `CredentialSource` as one container has it: what it loaded is kept for `max_age`; a
    `fresh` load and a save go to the shared store (a save also refreshes the cache, as
    `SecretsManagerSource.save` does)."""

    def __init__(
        self, shared: SharedSecrets, *, max_age: float, clock: Callable[[], float]
    ) -> None:
        self._shared = shared
        self._max_age = max_age
        self._clock = clock
        self._cache: dict[tuple[str, Vendor], tuple[float, VendorCredentials]] = {}
        self._lock = threading.Lock()
        self.store_reads = 0  # loads that went to the store

    def load(self, tenant_id: str, vendor: Vendor, *, fresh: bool = False) -> VendorCredentials:
        now = self._clock()
        with self._lock:
            cached = self._cache.get((tenant_id, vendor))
        if not fresh and cached is not None and now - cached[0] < self._max_age:
            return cached[1]
        loaded = self._shared.store.load(tenant_id, vendor)
        with self._lock:
            self.store_reads += 1
            self._cache[(tenant_id, vendor)] = (now, loaded)
        return loaded

    def save(self, tenant_id: str, vendor: Vendor, credentials: VendorCredentials) -> None:
        self._shared.store.save(tenant_id, vendor, credentials)
        self._shared.saved()
        with self._lock:
            self._cache[(tenant_id, vendor)] = (self._clock(), credentials)

    def configured(self) -> list[tuple[str, Vendor]]:
        return self._shared.store.configured()


class FleetWire:
    """Every container's way to the sandboxes: each answer recorded (vendor, path, status), and
    Constant Contact's access token expired before every `expire_every`-th API request (so that
    renewals happen while the fleet works, whoever's request meets them)."""

    def __init__(self, sandboxes: dict[Vendor, Sandbox], *, expire_every: int | None = None):
        self.sandboxes = sandboxes
        self.expire_every = expire_every
        self.answers: list[tuple[Vendor, str, int]] = []
        self.expirations = 0
        self._api_requests = 0
        self._lock = threading.Lock()

    def transports(self) -> dict[Vendor, httpx.BaseTransport]:
        """One container's transports (each container opens its own connections)."""
        return {
            vendor: httpx.MockTransport(self._handler(vendor, sandbox))
            for vendor, sandbox in self.sandboxes.items()
        }

    def _handler(
        self, vendor: Vendor, sandbox: Sandbox
    ) -> Callable[[httpx.Request], httpx.Response]:
        def handle(request: httpx.Request) -> httpx.Response:
            if isinstance(sandbox, ConstantContactSandbox) and request.url.path != TOKEN_PATH:
                self._maybe_expire(sandbox)
            response = sandbox.handle(request)
            with self._lock:
                self.answers.append((vendor, request.url.path, response.status_code))
            return response

        return handle

    def _maybe_expire(self, sandbox: ConstantContactSandbox) -> None:
        with self._lock:
            self._api_requests += 1
            due = self.expire_every is not None and self._api_requests % self.expire_every == 0
            if due:
                self.expirations += 1
        if due:
            sandbox.expire_access_token()

    def statuses(self, vendor: Vendor | None = None) -> Counter[int]:
        with self._lock:
            return Counter(
                status for seen, _, status in self.answers if vendor is None or seen is vendor
            )

    def api_requests(self, vendor: Vendor) -> int:
        """Requests to the vendor's API (its token endpoint left out)."""
        with self._lock:
            return sum(
                1 for seen, path, _ in self.answers if seen is vendor and path not in TOKEN_PATHS
            )

    def token_requests(self, vendor: Vendor) -> int:
        with self._lock:
            return sum(
                1 for seen, path, _ in self.answers if seen is vendor and path in TOKEN_PATHS
            )


class Fleet:
    """Containers of one tenant on one Constant Contact sandbox."""

    def __init__(self) -> None:
        self.clock = FakeTime(START)
        self.sandbox = ConstantContactSandbox(
            clock=self.clock, sleep=self.clock.sleep, requests_per_second=1_000
        )
        base_url = IN_PROCESS_BASE_URLS[CC]
        self.secrets = SharedSecrets(
            {
                TENANT: {
                    CC.value: {
                        "client_id": self.sandbox.client_id,
                        "access_token": self.sandbox.token,
                        "refresh_token": self.sandbox.refresh_token,
                        "base_url": base_url,
                        "token_url": base_url.removesuffix("/v3") + TOKEN_PATH,
                    }
                }
            }
        )
        self.ledger = InProcessAccounts()
        self.wire = FleetWire({CC: self.sandbox})
        self.ref = LinkRef(self.sandbox.add_contact()["contact_id"])

    def container(
        self,
        *,
        sleep: Callable[[float], None] | None = None,
        secrets: ContainerSecrets | None = None,
        retry: RetryPolicy | None = None,
    ) -> VendorClients:
        return VendorClients(
            secrets or self.secrets.container(clock=self.clock),
            transports=self.wire.transports(),
            retry=retry,
            sleep=sleep or self.clock.sleep,
            clock=self.clock,
            accounts=self.ledger,
        )

    def fetch(self, container: VendorClients) -> str:
        return container(TENANT, CC).fetch(self.ref).vendor_id

    def token_answers(self) -> list[int]:
        return [status for _, path, status in self.wire.answers if path == TOKEN_PATH]

    def saved(self) -> ConstantContactCredentials:
        saved = self.secrets.store.load(TENANT, CC)
        assert isinstance(saved, ConstantContactCredentials)
        return saved

    def rotate_elsewhere(self, *, publish: bool) -> None:
        """Another container's renewal: the vendor rotated the pair, which was saved, and the
        version moved on (unless its lease ran out first: `publish` False)."""
        self.sandbox.token = f"elsewhere-access-{self.clock.now}"
        self.sandbox.refresh_token = f"elsewhere-refresh-{self.clock.now}"
        rotated = self.saved().rotated(self.sandbox.token, self.sandbox.refresh_token)
        self.secrets.store.save(TENANT, CC, rotated)
        if publish:
            version = self.ledger.token_state(TENANT, CC).version + 1
            assert self.ledger.publish(
                TENANT, CC, version=version, owner=ELSEWHERE, now=self.clock.now
            )
