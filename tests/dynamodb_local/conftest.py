"""DynamoDB Local tier: AWS's own emulator, started once per session from the npm package."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal

import boto3
import pytest
from botocore.config import Config

from contact_archive.announcements.publisher import EventPublisher
from contact_archive.ledger.store import LedgerStore
from contact_archive.sync.stream import handle_stream
from contact_archive.vendors.credential_sources import JsonSource
from contact_archive.vendors.registry import VendorClients
from contact_archive.vendors.retry import RetryPolicy
from devtools.dynamodb_local import DynamoDBLocal
from devtools.event_filters import stream_filters
from devtools.sandboxes.stack import SandboxStack
from devtools.stream_reader import StreamReader
from devtools.template import load_template, table_definition
from tests.dynamodb_local.lambda_feeder import FakeEventBridge, Handler, StreamLambda
from tests.ledger_helpers import TENANT, no_wait
from tests.support import FakeLambdaContext, RequestCounter


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
    return RequestCounter(store.client)


@pytest.fixture
def store_for_threads(dynamodb_local_endpoint: str, table_name: str) -> Callable[..., LedgerStore]:
    """A store for many threads at once, as one container's client is shared: its client's pool
    sized for `connections`, and 10 attempts at each request (botocore's `retry_mode`)."""

    def shared(
        connections: int, retry_mode: Literal["legacy", "standard"] = "legacy"
    ) -> LedgerStore:
        config = Config(
            max_pool_connections=connections, retries={"max_attempts": 10, "mode": retry_mode}
        )
        client = boto3.client("dynamodb", endpoint_url=dynamodb_local_endpoint, config=config)
        return LedgerStore(client, table_name)

    return shared


# -- SyncFunction on the table's real stream, against the vendor sandboxes ---------------------


@pytest.fixture
def stack() -> SandboxStack:
    return SandboxStack()


@pytest.fixture
def bus() -> FakeEventBridge:
    return FakeEventBridge()


@pytest.fixture
def credentials(stack: SandboxStack) -> JsonSource:
    return JsonSource(stack.credentials(TENANT))


@pytest.fixture
def vendor_clients(stack: SandboxStack, credentials: JsonSource) -> VendorClients:
    return VendorClients(
        credentials,
        transports=stack.transports(),
        retry=RetryPolicy(max_attempts=3),
        sleep=no_wait,
    )


@pytest.fixture
def streams(dynamodb_local_endpoint: str) -> Any:
    return boto3.client("dynamodbstreams", endpoint_url=dynamodb_local_endpoint)


@pytest.fixture
def stream_arn(dynamodb_local_endpoint: str, table_name: str) -> str:
    client = boto3.client("dynamodb", endpoint_url=dynamodb_local_endpoint)
    arn: str = client.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
    return arn


@pytest.fixture
def sync_handler(
    store: LedgerStore, vendor_clients: VendorClients, bus: FakeEventBridge
) -> Handler:
    """SyncFunction's handler in-process, against the sandboxes."""
    publisher = EventPublisher(bus, "bus")  # type: ignore[arg-type]

    def handle(event: dict[str, Any]) -> Mapping[str, Any]:
        return handle_stream(event, FakeLambdaContext(), store, vendor_clients, publisher)

    return handle


@pytest.fixture
def lambda_(streams: Any, stream_arn: str, sync_handler: Handler) -> StreamLambda:
    """The event source mapping; its dead letters are kept in `dead_letters` only."""
    return StreamLambda(StreamReader(streams, stream_arn, filters=stream_filters()), sync_handler)
