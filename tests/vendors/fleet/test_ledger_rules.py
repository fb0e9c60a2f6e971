"""The fleet ledger's rules in one process (`InProcessAccounts`, what a registry without a
ledger table uses): the same cases the ledger table passes on DynamoDB Local."""

from __future__ import annotations

import pytest

from contact_archive.vendors.fleet import AccountLedger, InProcessAccounts
from tests.vendors.fleet.ledger_cases import CASES, Case


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.__name__)
def test_in_process(case: Case) -> None:
    # Given one process's ledger, seen by two of its clients
    shared = InProcessAccounts()

    def ledgers() -> AccountLedger:
        return shared

    # When and Then: the case's own steps
    case(ledgers)
