"""Eight containers archive contacts linked to all four vendors at once (DynamoDB Local for
what they share, the sandboxes at their documented limits on the wall clock): one token
renewal per expiry for the whole fleet, Constant Contact's 4 requests a second kept together,
every side effect once. Counts only: the wall time is `benchmarks/fleet.py`'s to report."""

from __future__ import annotations

from collections import Counter

from contact_archive.ledger.models import Vendor
from tests.vendors.fleet.run import CONTAINERS, FleetResult, run_fleet

# Two Constant Contact calls per archive at 3.3 a second: 24 contacts keep the run near 20 s.
CONTACTS = 24


def test_eight_containers_share_one_token_and_the_vendors_limits(
    dynamodb_local_endpoint: str, table_name: str
) -> None:
    # Given 24 contacts linked to all four vendors and archived in the ledger, and eight
    # containers with their own clients, caches and connections; Constant Contact's access token
    # expires every 20 of its API requests, and an old refresh token is refused
    # When the eight containers sync them all at once
    result: FleetResult = run_fleet(dynamodb_local_endpoint, table_name, contacts=CONTACTS)

    # Then every link is archived, none failed (from token rotation or anything else)
    assert result.failed == []
    assert result.link_states == Counter({"archived": 4 * CONTACTS})
    # And the token expired during the run and each renewal was one refresh, accepted and saved
    # once for the whole fleet: no container ever refreshed with a dead refresh token
    cc = Vendor.CONSTANT_CONTACT
    assert result.expirations >= 2
    assert 1 <= result.token_requests[cc] == result.secret_saves <= result.expirations
    # And Routera's token stayed per container: at most one each, never shared
    assert result.token_requests[Vendor.ROUTERA] <= CONTAINERS
    # And at most 1% of all vendor requests were answered 429
    assert result.statuses[429] <= 0.01 * result.vendor_requests
    # And every vendor archived each contact exactly once, and did nothing else
    for vendor in Vendor:
        assert result.effects[vendor] == Counter(archived=CONTACTS), vendor
