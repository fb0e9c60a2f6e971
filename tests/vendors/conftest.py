"""The vendor client tests' fixtures: a vendor's sandbox and a client on it (`case`), and the
parts of it a test names.

Here `case` runs a test once per vendor (`test_clients.py`); a test may narrow it with
`@pytest.mark.parametrize("case", [...], indirect=True)`. Each vendor's `test_client.py`
overrides `case` with its own vendor's, and gets the same parts of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from contact_archive.vendors.client import LinkRef, VendorClient
from devtools.sandboxes.base import Sandbox
from tests.vendors.cases import CASES, case_id
from tests.vendors.sandboxed import VendorCase, Wire


@pytest.fixture(params=CASES, ids=case_id)
def case(request: pytest.FixtureRequest) -> Iterator[VendorCase]:
    new_case: type[VendorCase] = request.param
    with new_case() as built:
        yield built


@pytest.fixture
def sandbox(case: VendorCase) -> Sandbox:
    return case.sandbox


@pytest.fixture
def client(case: VendorCase) -> VendorClient:
    return case.client


@pytest.fixture
def clock(case: VendorCase) -> Any:
    """The vendor's fake time, which its sandbox and client both read."""
    return case.clock


@pytest.fixture
def wire(case: VendorCase) -> Wire:
    return case.wire


@pytest.fixture
def ada(case: VendorCase) -> LinkRef:
    """Ada, an active contact at the vendor."""
    return case.add_ada()
