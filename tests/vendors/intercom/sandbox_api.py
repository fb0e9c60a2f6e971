"""The Intercom sandbox as its own tests call it with raw httpx (the sandbox tests kept beside the
client's, `test_sandbox_*.py`): the API, a signed-in caller's headers, the start of fake time.

Those modules name their fixtures `intercom`, `api` and `fake_time` so as not to shadow the client
tests' `sandbox`, `client` and `clock` (`tests/vendors/conftest.py`)."""

from __future__ import annotations

from typing import Any

from tests.sandboxes.vendor_api import VendorApi

TOKEN = "test-intercom-token"
START = 1_717_000_000.0
API = VendorApi(
    "https://api.intercom.io",
    {"Authorization": f"Bearer {TOKEN}", "Intercom-Version": "2.10"},
)


def by_email(email: str) -> dict[str, Any]:
    """A `search_request` for the contacts with this email."""
    return {"query": {"field": "email", "operator": "=", "value": email}}
