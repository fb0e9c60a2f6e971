"""A vendor's API as the sandbox tests call it: where it is, what a signed-in caller sends, and an
httpx client on a sandbox (its requests answered in-process), signed in or not."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from devtools.sandboxes.base import Sandbox


@dataclass(frozen=True)
class VendorApi:
    base_url: str
    headers: Mapping[str, str] = field(default_factory=dict)  # a signed-in caller's
    # How a caller signs in with a request of its own (Routera's token): the headers it gets.
    sign_in: Callable[[httpx.Client], Mapping[str, str]] | None = None

    def client(
        self, sandbox: Sandbox, headers: Mapping[str, str] | None = None, **options: Any
    ) -> httpx.Client:
        """A client on the sandbox sending `headers` (a signed-in caller's unless given), before
        any sign-in of its own; open it with `with`."""
        return httpx.Client(
            base_url=self.base_url,
            transport=sandbox.transport(),
            headers=dict(self.headers if headers is None else headers),
            **options,
        )

    @contextmanager
    def signed_in(self, sandbox: Sandbox) -> Iterator[httpx.Client]:
        """A client on the sandbox, signed in as the tenant."""
        with self.client(sandbox) as client:
            if self.sign_in is not None:
                client.headers.update(self.sign_in(client))
            yield client
