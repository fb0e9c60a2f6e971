"""Vendor clients for the container: one per tenant and vendor, made on first use and kept.

Kept, because a client holds what is worth keeping between invocations: Routera's access token,
Constant Contact's rotated tokens and its rate-limit bucket. The httpx clients (one per base URL)
are shared by every tenant, so connections are reused across tenants too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

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
from contact_archive.vendors.http import DEFAULT_TIMEOUT
from contact_archive.vendors.intercom.client import IntercomClient
from contact_archive.vendors.retry import RetryPolicy
from contact_archive.vendors.routera.client import RouteraClient
from contact_archive.vendors.sequence.client import SequenceClient


class VendorClients:
    """`clients(tenant_id, vendor)` is that tenant's client for that vendor.

    `transports` replaces the network for a vendor (the in-process sandboxes in tests).
    """

    def __init__(
        self,
        credentials: CredentialSource,
        *,
        transports: Mapping[Vendor, httpx.BaseTransport] | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._credentials = credentials
        self._transports = dict(transports or {})
        self._retry = retry
        self._sleep = sleep
        self._clients: dict[tuple[str, Vendor], VendorClient] = {}
        self._http: dict[tuple[Vendor, str], httpx.Client] = {}
        self._lock = threading.Lock()

    def __call__(self, tenant_id: str, vendor: Vendor) -> VendorClient:
        with self._lock:
            client = self._clients.get((tenant_id, vendor))
        if client is not None:
            return client
        client = self._build(tenant_id, vendor, self._credentials.load(tenant_id, vendor))
        with self._lock:
            # Two threads may build at once; the first one kept wins, so tokens are shared.
            return self._clients.setdefault((tenant_id, vendor), client)

    def forget(self, tenant_id: str, vendor: Vendor) -> None:
        """Drop a cached client, e.g. after its credentials were replaced."""
        with self._lock:
            self._clients.pop((tenant_id, vendor), None)

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
        match credentials:
            case SequenceCredentials():
                return SequenceClient(
                    credentials,
                    self._http_client(vendor, credentials.base_url),
                    retry=retry,
                    sleep=sleep,
                )
            case RouteraCredentials():
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
                    sleep=sleep,
                )
            case ConstantContactCredentials():

                def save_rotated(rotated: ConstantContactCredentials) -> None:
                    self._credentials.save(tenant_id, vendor, rotated)

                return ConstantContactClient(
                    credentials,
                    self._http_client(vendor, credentials.base_url),
                    on_rotated=save_rotated,
                    retry=retry,
                    sleep=sleep,
                )
