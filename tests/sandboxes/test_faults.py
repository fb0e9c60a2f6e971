"""Fault injection, which every sandbox inherits from `devtools.sandboxes.base`."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from devtools.sandboxes.base import Faults, Sandbox, json_response
from devtools.sandboxes.constant_contact import ConstantContactSandbox
from devtools.sandboxes.intercom import IntercomSandbox
from devtools.sandboxes.routera import RouteraSandbox
from devtools.sandboxes.sequence import SequenceSandbox
from tests.sandboxes.vendor_api import VendorApi

SANDBOXES: list[Callable[..., Sandbox]] = [
    SequenceSandbox,
    RouteraSandbox,
    IntercomSandbox,
    ConstantContactSandbox,
]
ids = [factory.__name__ for factory in SANDBOXES]
# Faults strike before routing and auth: any request shows them, on any host.
ANY_VENDOR = VendorApi("https://vendor.test")


def get(sandbox: Sandbox) -> httpx.Response:
    with ANY_VENDOR.client(sandbox) as client:
        return client.get("/contacts")


@pytest.mark.parametrize("factory", SANDBOXES, ids=ids)
def test_injected_server_errors_answer_503(factory: Callable[..., Sandbox]) -> None:
    assert get(factory(faults=Faults(server_error_rate=1.0))).status_code == 503


@pytest.mark.parametrize("factory", SANDBOXES, ids=ids)
def test_injected_throttles_answer_429_with_retry_after(factory: Callable[..., Sandbox]) -> None:
    response = get(factory(faults=Faults(throttle_rate=1.0, retry_after_seconds=3)))
    assert response.status_code == 429 and response.headers["Retry-After"] == "3"


@pytest.mark.parametrize("factory", SANDBOXES, ids=ids)
def test_injected_timeouts_raise_read_timeout(factory: Callable[..., Sandbox]) -> None:
    sandbox = factory(faults=Faults(timeout_rate=1.0))
    with pytest.raises(httpx.ReadTimeout):
        get(sandbox)
    assert sandbox.calls("GET", "/contacts") == 1  # the vendor saw it, the caller did not


def test_a_lost_answer_carries_out_the_write_then_times_out() -> None:
    # Given a sandbox that loses the answer to every write
    sandbox = Sandbox(faults=Faults(lost_answer_rate=1.0))
    created: list[str] = []

    def create(request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        created.append("new")
        return json_response(201, {"id": "new"})

    sandbox.route("POST", "/contacts", create, guarded=False)
    sandbox.route("GET", "/contacts", lambda request, params: json_response(200, created))
    with ANY_VENDOR.client(sandbox) as client:
        # When a contact is created
        with pytest.raises(httpx.ReadTimeout):
            client.post("/contacts", json={})
        # Then the caller got no answer, yet the vendor made it, and reads are answered
        assert client.get("/contacts").json() == ["new"]
    assert created == ["new"]


@pytest.mark.parametrize("factory", SANDBOXES, ids=ids)
def test_injected_slowness_sleeps_then_answers(factory: Callable[..., Sandbox]) -> None:
    slept: list[float] = []
    get(factory(faults=Faults(slow_rate=1.0, slow_seconds=0.5), sleep=slept.append))
    assert slept == [0.5]


@pytest.mark.parametrize("factory", SANDBOXES, ids=ids)
def test_a_seeded_fault_rate_gives_the_same_faults_every_run(
    factory: Callable[..., Sandbox],
) -> None:
    def statuses() -> list[int]:
        sandbox = factory(faults=Faults(server_error_rate=0.3, seed=7))
        return [get(sandbox).status_code for _ in range(100)]

    first = statuses()
    assert first == statuses()
    assert 15 <= first.count(503) <= 45  # about 30 of 100
