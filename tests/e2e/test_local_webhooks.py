"""The webhook routes of `make run`'s server over HTTP: the HEAD check, and signed deliveries
verified with the test secret that the local stack gives `dev-tenant` (no authorizer in front)."""

from __future__ import annotations

import time
import uuid

import httpx

from devtools.webhooks import intercom_delivery
from tests.support import API_TENANT


def test_the_local_webhook_routes_verify_with_the_test_secret(local_api: str) -> None:
    url = f"{local_api}/webhooks/intercom/{API_TENANT}"
    # The HEAD check: configured for dev-tenant, not for a vendor without webhooks
    assert httpx.head(url, timeout=5).status_code == 200
    assert httpx.head(f"{local_api}/webhooks/routera/{API_TENANT}", timeout=5).status_code == 404
    # A signed delivery about a contact the ledger does not know: kept and ignored
    delivery = intercom_delivery(
        "contact.archived", f"e2e-{uuid.uuid4().hex}", created_at=int(time.time())
    )
    answer = httpx.post(url, content=delivery.body, headers=delivery.headers, timeout=10)
    assert (answer.status_code, answer.json()) == (202, {"outcome": "unknown_contact"})
    again = httpx.post(url, content=delivery.body, headers=delivery.headers, timeout=10)
    assert (again.status_code, again.json()) == (200, {"outcome": "duplicate"})
    # The same body signed by someone else
    forged = intercom_delivery("contact.archived", "x", created_at=0, secret="guess")
    refused = httpx.post(url, content=forged.body, headers=forged.headers, timeout=10)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_signature"
