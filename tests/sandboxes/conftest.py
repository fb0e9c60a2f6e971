"""The sandbox tests' one fixture: an httpx client on the test module's sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from devtools.sandboxes.base import Sandbox
from tests.sandboxes.vendor_api import VendorApi


@pytest.fixture
def client(request: pytest.FixtureRequest, sandbox: Sandbox) -> Iterator[httpx.Client]:
    """An httpx client on the module's `sandbox` fixture, signed in to the vendor's API the
    module names as `API`."""
    api: VendorApi = request.module.API
    with api.signed_in(sandbox) as signed_in:
        yield signed_in
