"""The Intercom sandbox as the sandbox-level tests here drive it: on a fake clock, and an API
client signed in as its app."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from devtools.sandboxes.intercom import IntercomSandbox
from tests.fakes import FakeTime
from tests.vendors.intercom.sandbox_api import API, START, TOKEN


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime(START)


@pytest.fixture
def intercom(fake_time: FakeTime) -> IntercomSandbox:
    return IntercomSandbox(TOKEN, clock=fake_time)


@pytest.fixture
def api(intercom: IntercomSandbox) -> Iterator[httpx.Client]:
    with API.client(intercom) as signed_in:
        yield signed_in
