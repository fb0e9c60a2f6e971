"""DynamoDB Local tier: AWS's own emulator, started once per session from the npm package."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import boto3
import pytest

from contact_archive.store import LedgerStore
from devtools.dynamodb_local import DynamoDBLocal
from devtools.template import load_template, table_definition
from tests.support import RequestCounter

pytestmark = pytest.mark.dynamodb_local


@pytest.fixture(scope="session")
def dynamodb_local_endpoint() -> Iterator[str]:
    with DynamoDBLocal() as server:
        yield server.endpoint_url


@pytest.fixture
def table_name(dynamodb_local_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh table per test, from template.yaml's definition; handlers are pointed at it."""
    name = f"ledger-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_local_endpoint)
    monkeypatch.setenv("TABLE_NAME", name)
    client = boto3.client("dynamodb", endpoint_url=dynamodb_local_endpoint)
    client.create_table(**table_definition(load_template(), table_name=name))
    client.get_waiter("table_exists").wait(TableName=name)
    yield name
    client.delete_table(TableName=name)


@pytest.fixture
def store(dynamodb_local_endpoint: str, table_name: str) -> LedgerStore:
    client = boto3.client("dynamodb", endpoint_url=dynamodb_local_endpoint)
    return LedgerStore(client, table_name)


@pytest.fixture
def counter(store: LedgerStore) -> RequestCounter:
    return RequestCounter(store._client)  # noqa: SLF001
