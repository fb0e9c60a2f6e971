"""moto tier: a fresh ledger table per test, created from template.yaml's own definition."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from contact_archive.dependencies import get_store
from contact_archive.ledger.store import LedgerStore
from devtools.template import load_template, table_definition
from tests.support import RequestCounter


@pytest.fixture
def ledger_table() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb")
        client.create_table(
            **table_definition(load_template(), table_name=os.environ["TABLE_NAME"])
        )
        yield client


@pytest.fixture
def store(ledger_table: Any) -> LedgerStore:
    """The store the handlers use, so that tests and handlers share one client."""
    return get_store()


@pytest.fixture
def counter(store: LedgerStore) -> RequestCounter:
    return RequestCounter(store.client)
