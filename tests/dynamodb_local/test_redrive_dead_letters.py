"""The dead-letter redrive on DynamoDB Local's real stream and a real (moto server) SQS queue:
a vendor down for good sends an archive's record to the dead letters as Lambda would (its stream
coordinates, not the record); once the vendor is back, the redrive reads that range back from the
stream, replays it through SyncFunction's handler, and the vendor archives exactly once."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from contact_archive.contacts.changes import ChangeCommand, archive_contact
from contact_archive.contacts.reading import get_contact
from contact_archive.contacts.register import LinkInput, RegisterCommand, register_contact
from contact_archive.ledger.models import Actor, LinkState, Vendor
from contact_archive.ledger.store import LedgerStore
from contact_archive.sync.redrive import DeadLetterRedrive
from devtools.sandboxes.base import Faults
from devtools.sandboxes.stack import SandboxStack
from devtools.stream_reader import StreamReader
from tests.dynamodb_local.lambda_feeder import (
    STREAM_ATTEMPTS,
    SYNC_TENANT,
    FakeEventBridge,
    StreamLambda,
)

TENANT = SYNC_TENANT
ALICE = Actor(name="alice", source="api")
VENDORS = (Vendor.INTERCOM, Vendor.ROUTERA)
NOTHING = {"replayed": 0, "still_failing": 0, "expired": 0, "malformed": 0, "deferred": 0}


def plenty() -> float:
    return 900.0


def archived(stack: SandboxStack, vendor: Vendor) -> int:
    """How many times the vendor's sandbox saw one of its contacts become archived (counted from
    its own state: a lost answer still counts, a repeated archive does not)."""
    return stack.sandboxes[vendor].effects["archived"]


@pytest.fixture(scope="module")
def sqs_endpoint() -> Iterator[str]:
    """SQS from moto in server mode, on loopback: its in-process mock would also take over
    DynamoDB Local's requests."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def sqs(sqs_endpoint: str) -> Any:
    return boto3.client("sqs", endpoint_url=sqs_endpoint, region_name="us-east-1")


@pytest.fixture
def queue_url(sqs: Any) -> str:
    url: str = sqs.create_queue(QueueName=f"sync-dead-letters-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    assert url.startswith("http://127.0.0.1:")
    return url


@pytest.fixture
def lambda_(
    streams: Any, stream_arn: str, sync_handler: Any, sqs: Any, queue_url: str
) -> StreamLambda:
    """The event source mapping, sending its dead letters to the SQS queue."""
    reader = StreamReader(streams, stream_arn)
    return StreamLambda(reader, sync_handler, sqs=sqs, dead_letter_queue_url=queue_url)


@pytest.fixture
def redrive(streams: Any, sqs: Any, queue_url: str, sync_handler: Any) -> DeadLetterRedrive:
    return DeadLetterRedrive(sqs, streams, queue_url, sync_handler)


def messages_in(sqs: Any, queue_url: str) -> int:
    """Every message still in the queue, visible or not."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
    return sum(int(attributes[name]) for name in names)


def archived_with_intercom_down(
    store: LedgerStore, stack: SandboxStack, lambda_: StreamLambda
) -> None:
    """A contact in Intercom and Routera, archived while Intercom answers 503 to everything."""
    links = [
        LinkInput(Vendor.INTERCOM, stack.intercom.add_contact(email="ada@example.com")["id"]),
        LinkInput(Vendor.ROUTERA, stack.routera.add_contact(email="ada@example.com")["id"]),
    ]
    register_contact(store, RegisterCommand(TENANT, "c-1", ALICE, links=links))
    lambda_.drain()
    stack.intercom.faults = Faults(server_error_rate=1.0)
    archive_contact(store, ChangeCommand(TENANT, "c-1", ALICE))
    lambda_.drain()


def status_change(record: dict[str, Any]) -> tuple[str | None, ...]:
    images = record["dynamodb"]
    return tuple(
        images.get(name, {}).get("status", {}).get("S") for name in ("OldImage", "NewImage")
    )


def states(store: LedgerStore) -> dict[Vendor, LinkState]:
    contact = get_contact(store, TENANT, "c-1")
    return {vendor: contact.link_state(vendor) for vendor in contact.links}


def test_a_vendor_down_for_good_is_redriven_from_the_queue_once_it_is_back(
    store: LedgerStore,
    stack: SandboxStack,
    bus: FakeEventBridge,
    lambda_: StreamLambda,
    redrive: DeadLetterRedrive,
    streams: Any,
    stream_arn: str,
    sqs: Any,
    queue_url: str,
) -> None:
    # Given an archive whose Intercom call failed through every stream retry
    archived_with_intercom_down(store, stack, lambda_)
    # Then Routera archived it, Intercom did not, and nothing was announced
    assert states(store) == {
        Vendor.INTERCOM: LinkState.ARCHIVING,
        Vendor.ROUTERA: LinkState.ARCHIVED,
    }
    assert (archived(stack, Vendor.INTERCOM), archived(stack, Vendor.ROUTERA)) == (0, 1)
    assert not bus.detail_types()["ContactArchived"]
    # And what gave up (the archive's record, and the write that settled Routera, which still
    # showed Intercom in flight) is in dead letters naming the stream's real shard and the
    # sequence numbers of a contiguous range, as Lambda's are
    letters = lambda_.dead_letters
    assert letters and messages_in(sqs, queue_url) == len(letters)
    shards = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
    (archive,) = [r for r in lambda_.delivered if status_change(r) == ("active", "archived")]
    first = letters[0]["DDBStreamBatchInfo"]["startSequenceNumber"]
    assert first == archive["dynamodb"]["SequenceNumber"]
    for letter in letters:
        info = letter["DDBStreamBatchInfo"]
        assert info["shardId"] in {shard["ShardId"] for shard in shards}
        assert info["streamArn"] == stream_arn
        start, end = int(info["startSequenceNumber"]), int(info["endSequenceNumber"])
        span = [
            r for r in lambda_.delivered if start <= int(r["dynamodb"]["SequenceNumber"]) <= end
        ]
        assert info["batchSize"] == len(span) >= 1
        assert letter["requestContext"]["approximateInvokeCount"] == STREAM_ATTEMPTS
    # When Intercom is back and the dead letters are redriven
    stack.intercom.faults = Faults()
    summary = redrive.run(10, plenty)
    # Then every record was replayed and its message deleted
    assert summary == {**NOTHING, "replayed": len(letters)}
    assert messages_in(sqs, queue_url) == 0
    # And once the stream carries on (the settling writes), Intercom archived it exactly once,
    # Routera did not archive it again, and the archive was announced once
    lambda_.drain()
    assert states(store) == dict.fromkeys(VENDORS, LinkState.ARCHIVED)
    assert (archived(stack, Vendor.INTERCOM), archived(stack, Vendor.ROUTERA)) == (1, 1)
    assert bus.detail_types()["ContactArchived"] == 1
    assert lambda_.dead_letters == letters
    # And a second redrive finds nothing to do
    assert redrive.run(10, plenty) == NOTHING
    assert archived(stack, Vendor.INTERCOM) == 1


def test_a_dead_letter_whose_records_still_fail_stays_in_the_queue(
    store: LedgerStore,
    stack: SandboxStack,
    lambda_: StreamLambda,
    redrive: DeadLetterRedrive,
    sqs: Any,
    queue_url: str,
) -> None:
    # Given an archive in the dead letters, and Intercom still down
    archived_with_intercom_down(store, stack, lambda_)
    letters = len(lambda_.dead_letters)
    # When the dead letters are redriven
    summary = redrive.run(10, plenty)
    # Then they are still failing and stay, visible again for the next run and for the alarm
    assert summary == {**NOTHING, "still_failing": letters}
    assert messages_in(sqs, queue_url) == letters
    visible = sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    assert visible["Attributes"]["ApproximateNumberOfMessages"] == str(letters)
    assert states(store)[Vendor.INTERCOM] is LinkState.ARCHIVING
    assert archived(stack, Vendor.INTERCOM) == 0
    # When Intercom comes back, Then the next run replays it
    stack.intercom.faults = Faults()
    assert redrive.run(10, plenty) == {**NOTHING, "replayed": letters}
    assert archived(stack, Vendor.INTERCOM) == 1 and messages_in(sqs, queue_url) == 0


def test_malformed_and_expired_messages_are_counted_and_left(
    store: LedgerStore,
    stack: SandboxStack,
    lambda_: StreamLambda,
    redrive: DeadLetterRedrive,
    sqs: Any,
    queue_url: str,
) -> None:
    # Given an archive in the dead letters, beside two messages that are not invocation records
    # and one naming a shard the stream does not hold (gone with its records)
    archived_with_intercom_down(store, stack, lambda_)
    letters = len(lambda_.dead_letters)
    gone = json.loads(json.dumps(lambda_.dead_letters[0]))
    gone["DDBStreamBatchInfo"]["shardId"] = "shardId-00000000000000000000-deadbeef"
    for body in ("not json at all", json.dumps({"hello": "world"}), json.dumps(gone)):
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)
    stack.intercom.faults = Faults()
    # When the dead letters are redriven
    summary = redrive.run(10, plenty)
    # Then the archive is replayed, and the others are counted and left in the queue
    assert summary == {**NOTHING, "replayed": letters, "malformed": 2, "expired": 1}
    assert messages_in(sqs, queue_url) == 3
    assert states(store)[Vendor.INTERCOM] is LinkState.ARCHIVED
    # And a run again counts the same three, once each
    assert redrive.run(10, plenty) == {**NOTHING, "malformed": 2, "expired": 1}
