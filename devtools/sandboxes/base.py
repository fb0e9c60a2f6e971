"""What every vendor sandbox shares: routing, a request log, and fault injection."""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx

Handler = Callable[[httpx.Request, dict[str, str]], httpx.Response]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class Faults:
    """Injected failures, each at its own rate in [0, 1], drawn from a seeded generator."""

    server_error_rate: float = 0.0  # answers 503
    throttle_rate: float = 0.0  # answers 429 with Retry-After
    timeout_rate: float = 0.0  # raises httpx.ReadTimeout, as a hung vendor would
    # A write (POST, PUT, PATCH, DELETE) is carried out, then its answer is lost: the caller
    # sees httpx.ReadTimeout although the vendor acted.
    lost_answer_rate: float = 0.0
    slow_rate: float = 0.0  # answers after `slow_seconds`
    retry_after_seconds: int = 1
    slow_seconds: float = 0.05
    seed: int = 0
    _random: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)  # noqa: S311 - fault injection, not secrets

    def draw(self, rate: float) -> bool:
        return rate > 0 and self._random.random() < rate


def json_response(
    status: int, body: Any = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    content = b"" if body is None else json.dumps(body).encode()
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return httpx.Response(status, headers=all_headers, content=content)


class Sandbox:
    """Routes `METHOD /path/{param}` to handlers; records every request; injects faults first."""

    def __init__(
        self, faults: Faults | None = None, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.faults = faults or Faults()
        self.requests: list[httpx.Request] = []
        # What the vendor's writes did to its contacts: "created", "archived", "restored"
        # (an answer lost on the way back still counts; a repeated archive changes nothing).
        self.effects: Counter[str] = Counter()
        self.lost_answers: list[httpx.Request] = []  # writes carried out, answers dropped
        self._routes: list[tuple[str, re.Pattern[str], Handler, bool]] = []
        self._lock = threading.Lock()
        self._sleep = sleep

    def route(self, method: str, template: str, handler: Handler, *, guarded: bool = True) -> None:
        """Serve `METHOD template`; a guarded route goes through `admit` first."""
        pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        self._routes.append((method.upper(), re.compile(f"^{pattern}$"), handler, guarded))

    def admit(self, request: httpx.Request, call: Callable[[], httpx.Response]) -> httpx.Response:
        """The vendor's gate around a guarded route: auth, version header, its own rate limit.
        Each sandbox overrides it; the default lets everything through."""
        return call()

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
            injected = self._injected_fault()
            if injected is not None:
                return injected
            if request.method in SAFE_METHODS:
                return self._route(request)
            before = self.archived_states()
            response = self._route(request)
            self._count_effects(before, self.archived_states())
            if self.faults.draw(self.faults.lost_answer_rate):
                self.lost_answers.append(request)
                raise httpx.ReadTimeout("sandbox: injected lost answer")
            return response

    def archived_states(self) -> dict[str, bool]:
        """Each contact's id and whether it is archived: what `effects` are counted from."""
        return {}

    def _count_effects(self, before: dict[str, bool], after: dict[str, bool]) -> None:
        for contact_id, archived in after.items():
            if contact_id not in before:
                self.effects["created"] += 1
            elif archived and not before[contact_id]:
                self.effects["archived"] += 1
            elif before[contact_id] and not archived:
                self.effects["restored"] += 1

    def _route(self, request: httpx.Request) -> httpx.Response:
        for method, pattern, handler, guarded in self._routes:
            match = pattern.match(request.url.path)
            if match and method == request.method:
                params = match.groupdict()
                if guarded:
                    return self.admit(request, partial(handler, request, params))
                return handler(request, params)
        return json_response(404, {"message": f"no route {request.method} {request.url.path}"})

    def calls(self, method: str, path_pattern: str) -> int:
        """How many requests matched, faults included: what a vendor would have seen."""
        pattern = re.compile(f"^{path_pattern}$")
        return sum(1 for r in self.requests if r.method == method and pattern.match(r.url.path))

    def _injected_fault(self) -> httpx.Response | None:
        faults = self.faults
        if faults.draw(faults.timeout_rate):
            raise httpx.ReadTimeout("sandbox: injected timeout")
        if faults.draw(faults.throttle_rate):
            return json_response(
                429,
                {"message": "sandbox: injected throttle"},
                {"Retry-After": str(faults.retry_after_seconds)},
            )
        if faults.draw(faults.server_error_rate):
            return json_response(503, {"message": "sandbox: injected outage"})
        if faults.draw(faults.slow_rate):
            self._sleep(faults.slow_seconds)
        return None
