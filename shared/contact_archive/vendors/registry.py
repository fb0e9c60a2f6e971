"""Vendor clients for the container: one per tenant and vendor, made on first use and kept
while its credentials stay what they were.

Kept, because a client holds what is worth keeping between invocations: Routera's access token,
Constant Contact's rotated tokens. Replaced, when the credential source (cached for its TTL)
answers other credentials: renewed secrets reach a warm container within that TTL. The httpx
clients (one per base URL) are shared by every tenant, so connections are reused across tenants.

What a whole fleet of containers shares goes through `accounts` (`vendors/fleet/`): each
vendor key's rate limit, one pacer per key for all the container's clients, and the renewal of
Constant Contact's rotating token. Deployed, that is the ledger table; without one (tests,
tools) an in-process ledger keeps the same rules for this container only.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.client import VendorClient
from contact_archive.vendors.constant_contact.client import ConstantContactClient
from contact_archive.vendors.credential_sources import CredentialSource
from contact_archive.vendors.credentials import (
    ConstantContactCredentials,
    IntercomCredentials,
    RouteraCredentials,
    SequenceCredentials,
    VendorCredentials,
)
from contact_archive.vendors.fleet import (
    DOCUMENTED_LIMITS,
    AccountLedger,
    InProcessAccounts,
    SharedToken,
    VendorLimit,
    account_of,
    pacer_for,
)
from contact_archive.vendors.http import DEFAULT_TIMEOUT
from contact_archive.vendors.intercom.client import IntercomClient
from contact_archive.vendors.rate_limit import Pacer, RateLimits
from contact_archive.vendors.retry import RetryPolicy
from contact_archive.vendors.routera.client import RouteraClient
from contact_archive.vendors.sequence.client import SequenceClient


@dataclass(frozen=True)
class _Kept:
    client: VendorClient
    loaded: VendorCredentials  # what the client was made with

    def serves(self, loaded: VendorCredentials) -> bool:
        """Whether `loaded` are this client's: those it was made with, or those it rotated to
        (and saved, so that the source now answers them)."""
        return loaded == self.loaded or loaded == getattr(self.client, "credentials", None)


class VendorClients:
    """`clients(tenant_id, vendor)` is that tenant's client for that vendor.

    `transports` replaces the network for a vendor (the in-process sandboxes in tests).
    `accounts` is what the fleet shares (the ledger's `vendor_accounts`); `limits` the limit
    kept per vendor key (the documented ones less a margin); `clock` is UNIX time, read by the
    shared limits and leases; `sleep` is what retries and limits wait with.
    """

    def __init__(
        self,
        credentials: CredentialSource,
        *,
        transports: Mapping[Vendor, httpx.BaseTransport] | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        accounts: AccountLedger | None = None,
        limits: Mapping[Vendor, VendorLimit | None] = DOCUMENTED_LIMITS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._credentials = credentials
        self._transports = dict(transports or {})
        self._retry = retry
        self._sleep = sleep
        self._clock = clock
        self._accounts: AccountLedger = accounts if accounts is not None else InProcessAccounts()
        self._limits = dict(limits)
        self._pacers = RateLimits(self._new_pacer)
        self._owner = uuid.uuid4().hex  # this container, as the holder of a renewal lease
        self._clients: dict[tuple[str, Vendor], _Kept] = {}
        self._http: dict[tuple[Vendor, str], httpx.Client] = {}
        self._lock = threading.Lock()

    def __call__(self, tenant_id: str, vendor: Vendor) -> VendorClient:
        loaded = self._credentials.load(tenant_id, vendor)
        with self._lock:
            kept = self._clients.get((tenant_id, vendor))
        if kept is not None and kept.serves(loaded):
            return kept.client
        client = self._build(tenant_id, vendor, loaded)
        with self._lock:
            # Two threads may build at once; the first one kept wins, so tokens are shared.
            kept = self._clients.get((tenant_id, vendor))
            if kept is None or not kept.serves(loaded):
                kept = self._clients[(tenant_id, vendor)] = _Kept(client, loaded)
            return kept.client

    def forget(self, tenant_id: str, vendor: Vendor) -> None:
        """Drop a cached client, e.g. after its credentials were replaced."""
        with self._lock:
            self._clients.pop((tenant_id, vendor), None)

    def close(self) -> None:
        """Close the vendors' HTTP connections (a container restored from a snapshot must not
        reuse the sockets of the one that took it)."""
        with self._lock:
            clients, self._http, self._clients = list(self._http.values()), {}, {}
        for client in clients:
            client.close()

    def pacer(self, vendor: Vendor, credentials: VendorCredentials) -> Pacer | None:
        """The one pacer of the vendor key these credentials call with (None: no limit kept)."""
        return self._pacers.bucket(vendor.value, account_of(credentials))

    def _new_pacer(self, vendor: str, account: str) -> Pacer | None:
        limit = self._limits.get(Vendor(vendor))
        return pacer_for(
            Vendor(vendor), account, limit, self._accounts, clock=self._clock, sleep=self._sleep
        )

    def _http_client(self, vendor: Vendor, base_url: str) -> httpx.Client:
        with self._lock:
            key = (vendor, base_url)
            if key not in self._http:
                self._http[key] = httpx.Client(
                    base_url=base_url,
                    timeout=DEFAULT_TIMEOUT,
                    transport=self._transports.get(vendor),
                )
            return self._http[key]

    def _build(
        self, tenant_id: str, vendor: Vendor, credentials: VendorCredentials
    ) -> VendorClient:
        retry, sleep = self._retry, self._sleep
        pacer = self.pacer(vendor, credentials)
        match credentials:
            case SequenceCredentials():
                return SequenceClient(
                    credentials,
                    self._http_client(vendor, credentials.base_url),
                    retry=retry,
                    bucket=pacer,
                    sleep=sleep,
                )
            case RouteraCredentials():
                # No limit documented, none kept: its 429s are retried as they come.
                return RouteraClient(
                    credentials,
                    self._http_client(vendor, credentials.base_url),
                    retry=retry,
                    sleep=sleep,
                )
            case IntercomCredentials():
                return IntercomClient(
                    credentials,
                    self._http_client(vendor, credentials.api_base_url),
                    retry=retry,
                    bucket=pacer,
                    sleep=sleep,
                )
            case ConstantContactCredentials():
                tokens = SharedToken(
                    tenant_id,
                    vendor,
                    self._credentials,
                    self._accounts,
                    owner=self._owner,
                    clock=self._clock,
                    sleep=sleep,
                )
                return ConstantContactClient(
                    credentials,
                    self._http_client(vendor, credentials.base_url),
                    tokens=tokens,
                    retry=retry,
                    bucket=pacer,
                    sleep=sleep,
                )
