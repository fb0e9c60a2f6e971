"""Staging a race at a vendor: something else happens while a vendor call is on its way."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx


class Meanwhile:
    """The sandboxes' transports, each able to run something once before a request it is
    handed (outside the sandbox's lock, as another container would act meanwhile)."""

    def __init__(self) -> None:
        self._waiting: list[tuple[str, re.Pattern[str], Callable[[], None]]] = []

    def before(self, method: str, path: str, action: Callable[[], None]) -> None:
        self._waiting.append((method, re.compile(path), action))

    def wrap(self, handle: Callable[[httpx.Request], httpx.Response]) -> httpx.MockTransport:
        def handled(request: httpx.Request) -> httpx.Response:
            for entry in list(self._waiting):
                method, path, action = entry
                if request.method == method and path.fullmatch(request.url.path):
                    self._waiting.remove(entry)
                    action()
            return handle(request)

        return httpx.MockTransport(handled)
