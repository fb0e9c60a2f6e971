"""What the fleet's shared tokens and limits cost in DynamoDB requests per vendor call, counted
on DynamoDB Local (`RequestCounter`): the figures docs/architecture.md and the benchmarks give."""

from __future__ import annotations

from collections import Counter

from contact_archive.ledger.models import Vendor
from contact_archive.ledger.store import LedgerStore
from tests.vendors.fleet.run import shared_item_costs


def test_each_limited_vendor_call_costs_one_request_and_routera_none(store: LedgerStore) -> None:
    # Given one container calling each vendor ten times in a row
    # When the requests its shared limits make are counted
    costs = shared_item_costs(store, calls=10)
    # Then Constant Contact's slot (with the day's count) is one UpdateItem a call, as are
    # Intercom's and Sequence's window counts; Routera, without a documented limit, costs none
    assert costs.per_call[Vendor.CONSTANT_CONTACT] == Counter(UpdateItem=10)
    assert costs.per_call[Vendor.INTERCOM] == Counter(UpdateItem=10)
    assert costs.per_call[Vendor.SEQUENCE] == Counter(UpdateItem=10)
    assert costs.per_call[Vendor.ROUTERA] == Counter()


def test_a_token_renewal_costs_three_requests_and_each_other_container_one(
    store: LedgerStore,
) -> None:
    # Given Constant Contact's access token expired, met by two containers in turn
    # When the requests for the token are counted (the calls' slots aside)
    costs = shared_item_costs(store, calls=1)
    # Then the one that renewed read the version, took the lease and moved the version on;
    # the other read the version, and then the saved pair (from the secrets, not the table)
    assert costs.renewal == Counter(GetItem=1, UpdateItem=2)
    assert costs.adoption == Counter(GetItem=1)
