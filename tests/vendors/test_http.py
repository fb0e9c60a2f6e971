"""The shared vendor HTTP layer against a scripted vendor: faults become retries or errors."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.constant_contact import mapper as constant_contact_mapper
from contact_archive.vendors.errors import (
    PermanentVendorError,
    TransientVendorError,
    VendorNotFound,
)
from contact_archive.vendors.http import VendorHttp
from contact_archive.vendors.rate_limit import TokenBucket
from contact_archive.vendors.retry import RetryPolicy


class ScriptedVendor:
    """Answers requests from a script of (status, headers, body) or exceptions, and records them."""

    def __init__(self, *script: tuple[int, dict[str, str], object] | Exception) -> None:
        self.script: Iterator[tuple[int, dict[str, str], object] | Exception] = iter(script)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = next(self.script)
        if isinstance(step, Exception):
            raise step
        status, headers, body = step
        return httpx.Response(status, headers=headers, content=json.dumps(body).encode())


def error_text(body: object) -> str | None:
    return body.get("message") if isinstance(body, dict) else None


def http_for(
    vendor: ScriptedVendor, waits: list[float], bucket: TokenBucket | None = None
) -> VendorHttp:
    client = httpx.Client(base_url="https://vendor.test", transport=httpx.MockTransport(vendor))
    return VendorHttp(
        Vendor.ROUTERA,
        client,
        error_text=error_text,
        retry=RetryPolicy(max_attempts=4, base_delay=0.1, total_budget=30),
        sleep=waits.append,
        bucket=bucket,
    )


def test_429_and_5xx_are_retried_after_the_vendors_wait() -> None:
    vendor = ScriptedVendor(
        (429, {"Retry-After": "2"}, {"message": "slow down"}),
        (503, {}, {"message": "maintenance"}),
        (200, {}, {"id": "rt-1"}),
    )
    waits: list[float] = []
    response = http_for(vendor, waits).request("GET", "/contacts/rt-1")
    assert response.json() == {"id": "rt-1"}
    assert len(vendor.requests) == 3
    assert waits[0] == 2.0 and 0 <= waits[1] <= 0.2


def test_timeouts_and_broken_connections_are_transient() -> None:
    vendor = ScriptedVendor(
        httpx.ReadTimeout("slow"),
        httpx.ConnectError("refused"),
        (200, {}, {"ok": True}),
    )
    assert http_for(vendor, []).request("GET", "/x").json() == {"ok": True}
    assert len(vendor.requests) == 3


def test_giving_up_raises_the_last_transient_error() -> None:
    vendor = ScriptedVendor(*[(500, {}, {"message": "down"})] * 4)
    with pytest.raises(TransientVendorError, match="down") as raised:
        http_for(vendor, []).request("GET", "/x")
    assert raised.value.status == 500 and len(vendor.requests) == 4


@pytest.mark.parametrize(
    ("status", "kind"),
    [(401, PermanentVendorError), (422, PermanentVendorError), (404, VendorNotFound)],
)
def test_client_errors_are_not_retried(status: int, kind: type[Exception]) -> None:
    vendor = ScriptedVendor((status, {}, {"message": "Unauthorized: missing account context"}))
    with pytest.raises(kind, match="missing account context"):
        http_for(vendor, []).request("DELETE", "/contacts/rt-1")
    assert len(vendor.requests) == 1


def test_error_messages_never_carry_the_request() -> None:
    vendor = ScriptedVendor((400, {}, ["not the documented shape"]))
    with pytest.raises(PermanentVendorError) as raised:
        http_for(vendor, []).request(
            "POST",
            "/contacts",
            json={"fields": {"email": "ada@example.com"}},
            headers={"Authorization": "Bearer s3cr3t"},
        )
    assert "ada@example.com" not in str(raised.value) and "s3cr3t" not in str(raised.value)
    assert str(raised.value) == "routera: HTTP 400"


def test_every_attempt_waits_for_the_rate_limit() -> None:
    class CountingBucket(TokenBucket):
        acquired = 0

        def acquire(self) -> float:
            CountingBucket.acquired += 1
            return 0.0

    vendor = ScriptedVendor((503, {}, {}), (200, {}, {}))
    http_for(vendor, [], bucket=CountingBucket(4, burst=1)).request("GET", "/x")
    assert CountingBucket.acquired == 2


def test_a_wait_the_vendor_gives_in_its_body_beyond_the_budget_fails_at_once() -> None:
    # Given Constant Contact's daily quota exhausted (429 quota_exceeded, no headers)
    vendor = ScriptedVendor(
        (429, {}, [{"error_key": "quota_exceeded", "error_message": "Daily quota reached"}])
    )
    client = httpx.Client(base_url="https://vendor.test", transport=httpx.MockTransport(vendor))
    waits: list[float] = []
    http = VendorHttp(
        Vendor.CONSTANT_CONTACT,
        client,
        error_text=constant_contact_mapper.error_message,
        wait_hint=constant_contact_mapper.quota_wait,
        sleep=waits.append,
    )
    # When / Then: no retry burns the budget; the caller learns it is worth trying in an hour
    with pytest.raises(TransientVendorError) as raised:
        http.request("GET", "/contacts/c-1")
    assert len(vendor.requests) == 1 and waits == []
    assert raised.value.retry_after == constant_contact_mapper.QUOTA_WAIT_SECONDS
    assert "quota_exceeded" in str(raised.value)


# create_once: a create is not safe to repeat blindly


def created_id(response: httpx.Response) -> str:
    return str(response.json()["id"])


class NothingFound:
    """A `find` that finds nothing and counts how often it was asked."""

    def __init__(self) -> None:
        self.asked = 0

    def __call__(self) -> str | None:
        self.asked += 1
        return None


def test_a_create_refused_before_the_vendor_acted_is_simply_retried() -> None:
    # Given a vendor that throttles, then refuses the connection, then creates
    vendor = ScriptedVendor(
        (429, {"Retry-After": "1"}, {"message": "slow down"}),
        httpx.ConnectError("refused"),
        (201, {}, {"id": "new-1"}),
    )
    find = NothingFound()
    # When a contact is created
    made = http_for(vendor, []).create_once("/contacts", json={}, created=created_id, find=find)
    # Then it was retried without ever looking for an earlier attempt's contact
    assert made == "new-1"
    assert len(vendor.requests) == 3 and find.asked == 0


@pytest.mark.parametrize(
    "unsure",
    [httpx.ReadTimeout("answer lost"), httpx.RemoteProtocolError("dropped"), (502, {}, {})],
    ids=["read-timeout", "dropped-connection", "502"],
)
def test_after_a_create_that_may_have_happened_the_vendor_is_asked_first(
    unsure: tuple[int, dict[str, str], object] | Exception,
) -> None:
    # Given a create whose outcome is unknown, and a vendor that did make the contact
    vendor = ScriptedVendor(unsure)
    # When it is retried
    made = http_for(vendor, []).create_once(
        "/contacts", json={}, created=created_id, find=lambda: "made-by-the-lost-attempt"
    )
    # Then the contact found is taken and no second create is sent
    assert made == "made-by-the-lost-attempt"
    assert len(vendor.requests) == 1


def test_when_nothing_was_made_the_create_is_sent_again_and_looked_for_each_time() -> None:
    # Given two creates whose answers were lost although the vendor made nothing
    vendor = ScriptedVendor(
        httpx.ReadTimeout("lost"), (500, {}, {"message": "oops"}), (201, {}, {"id": "new-2"})
    )
    find = NothingFound()
    # When it is created
    made = http_for(vendor, []).create_once("/contacts", json={}, created=created_id, find=find)
    # Then each retry looked first, found nothing, and sent the create again
    assert made == "new-2"
    assert len(vendor.requests) == 3 and find.asked == 2


def test_a_create_that_never_gets_through_says_it_may_have_happened() -> None:
    # Given a vendor whose every create answer is lost
    vendor = ScriptedVendor(*(httpx.ReadTimeout("lost") for _ in range(4)))
    # When a contact is created, Then the caller learns the outcome is unknown
    with pytest.raises(TransientVendorError) as raised:
        http_for(vendor, []).create_once(
            "/contacts", json={}, created=created_id, find=NothingFound()
        )
    assert raised.value.may_have_applied
