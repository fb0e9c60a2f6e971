"""The four vendor sandboxes together, and the credentials that point a tenant at them.

In process (tests): `VendorClients(JsonSource(stack.credentials(tenant)), transports=stack.transports())`
sends every vendor call to its sandbox without a socket. Behind loopback ports (the local
stack): pass each sandbox server's URL as `base_urls` instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from contact_archive.ledger.models import Vendor
from devtools.sandboxes.base import Faults, Sandbox
from devtools.sandboxes.constant_contact import ConstantContactSandbox
from devtools.sandboxes.intercom import IntercomSandbox
from devtools.sandboxes.routera import RouteraSandbox
from devtools.sandboxes.sequence import SequenceSandbox
from devtools.sandboxes.server import SandboxServer

# The part of each vendor's base URL after the host, as its sandbox serves it.
BASE_PATHS: Mapping[Vendor, str] = {
    Vendor.SEQUENCE: "/api",
    Vendor.ROUTERA: "",
    Vendor.INTERCOM: "",
    Vendor.CONSTANT_CONTACT: "/v3",
}

# Hosts that only the in-process transports answer: nothing here can reach a real vendor.
IN_PROCESS_BASE_URLS: Mapping[Vendor, str] = {
    vendor: f"https://{vendor.value.replace('_', '-')}.sandbox.invalid{path}"
    for vendor, path in BASE_PATHS.items()
}


def _no_faults() -> Faults:
    return Faults()


@dataclass
class SandboxStack:
    faults: Faults = field(default_factory=_no_faults)
    # The client-side limit is tested on its own; a stack used for flows should not throttle.
    constant_contact_requests_per_second: int = 1_000
    sequence: SequenceSandbox = field(init=False)
    routera: RouteraSandbox = field(init=False)
    intercom: IntercomSandbox = field(init=False)
    constant_contact: ConstantContactSandbox = field(init=False)

    def __post_init__(self) -> None:
        self.sequence = SequenceSandbox(faults=self.faults)
        self.routera = RouteraSandbox(faults=self.faults)
        self.intercom = IntercomSandbox(faults=self.faults)
        self.constant_contact = ConstantContactSandbox(
            faults=self.faults, requests_per_second=self.constant_contact_requests_per_second
        )

    @property
    def sandboxes(self) -> dict[Vendor, Sandbox]:
        return {
            Vendor.SEQUENCE: self.sequence,
            Vendor.ROUTERA: self.routera,
            Vendor.INTERCOM: self.intercom,
            Vendor.CONSTANT_CONTACT: self.constant_contact,
        }

    def transports(self) -> dict[Vendor, httpx.BaseTransport]:
        return {vendor: sandbox.transport() for vendor, sandbox in self.sandboxes.items()}

    def credentials(
        self, tenant_id: str, base_urls: Mapping[Vendor, str] = IN_PROCESS_BASE_URLS
    ) -> dict[str, Any]:
        """A credentials document (`JsonSource`) giving `tenant_id` the sandboxes' accounts,
        with the sandboxes' webhook signing secrets (`TEST_WEBHOOK_SECRET` unless changed), so
        that the deliveries they emit verify at `/webhooks/{vendor}/{tenant_id}`."""
        cc_base = base_urls[Vendor.CONSTANT_CONTACT]
        cc_origin = str(httpx.URL(cc_base).copy_with(path="/"))
        return {
            tenant_id: {
                Vendor.SEQUENCE.value: {
                    "client_id": self.sequence.client_id,
                    "client_secret": self.sequence.client_secret,
                    "base_url": base_urls[Vendor.SEQUENCE],
                    "webhook_secret": self.sequence.webhook_secret,
                },
                Vendor.ROUTERA.value: {
                    "client_id": self.routera.client_id,
                    "client_secret": self.routera.client_secret,
                    "base_url": base_urls[Vendor.ROUTERA],
                },
                Vendor.INTERCOM.value: {
                    "access_token": self.intercom.token,
                    "base_url": base_urls[Vendor.INTERCOM],
                    "webhook_secret": self.intercom.webhook_secret,
                },
                Vendor.CONSTANT_CONTACT.value: {
                    "client_id": self.constant_contact.client_id,
                    "access_token": self.constant_contact.token,
                    "refresh_token": self.constant_contact.refresh_token,
                    "base_url": cc_base,
                    "token_url": cc_origin.rstrip("/") + "/oauth2/default/v1/token",
                },
            }
        }


@contextmanager
def serve_stack(stack: SandboxStack) -> Iterator[dict[Vendor, str]]:
    """Each sandbox of `stack` behind its own loopback port, for the `with` block: yields the
    vendors' base URLs, to pass to `stack.credentials`."""
    with ExitStack() as servers:
        base_urls = {}
        for vendor, sandbox in stack.sandboxes.items():
            server = servers.enter_context(SandboxServer(sandbox))
            base_urls[vendor] = server.url + BASE_PATHS[vendor]
        yield base_urls
