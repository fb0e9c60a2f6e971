"""The dead-letter redrive on DynamoDB Local's real stream and a real (moto server) SQS queue:
a vendor down for good sends an archive's record to the dead letters as Lambda would (its stream
coordinates, not the record); once the vendor is back, the redrive reads that range back from the
stream, replays it through SyncFunction's handler, and the vendor archives exactly once."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from contact_archive.contacts.changes import archive_contact
from contact_archive.ledger.models import LinkState, Vendor
from contact_archive.ledger.store import LedgerStore
from contact_archive.sync.redrive import DeadLetterRedrive
from devtools.sandboxes.base import Faults
from devtools.sandboxes.stack import SandboxStack
from devtools.stream_reader import StreamReader
from tests.dynamodb_local.lambda_feeder import STREAM_ATTEMPTS, FakeEventBridge, StreamLambda
from tests.ledger_helpers import change, link_states, register_at_vendors

VENDORS = (Vendor.INTERCOM, Vendor.ROUTERA)
NOTHING = {"replayed": 0, "still_failing": 0, "expired": 0, "malformed": 0, "deferred": 0}


def plenty() -> float:
    return 900.0


def archived(stack: SandboxStack, vendor: Vendor) -> int:
    """How many times the vendor's sandbox saw one of its contacts become archived (counted from
    its own state: a lost answer still counts, a repeated archive does not)."""
    return stack.sandboxes[vendor].effects["archived"]


@dataclass
class DeadLetterQueue:
    """The SQS queue that is SyncFunction's on-failure destination."""

    sqs: Any
    url: str

    def send(self, body: str) -> None:
        self.sqs.send_message(QueueUrl=self.url, MessageBody=body)

    def messages(self) -> int:
        """Every message still in the queue, visible or not."""
        return self._count("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")

    def visible(self) -> int:
        return self._count("ApproximateNumberOfMessages")

    def _count(self, *names: str) -> int:
        attributes = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=list(names))
        return sum(int(attributes["Attributes"][name]) for name in names)


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
def queue(sqs_endpoint: str) -> DeadLetterQueue:
    sqs = boto3.client("sqs", endpoint_url=sqs_endpoint, region_name="us-east-1")
    url: str = sqs.create_queue(QueueName=f"sync-dead-letters-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    assert url.startswith("http://127.0.0.1:")
    return DeadLetterQueue(sqs, url)


@pytest.fixture
def lambda_(
    streams: Any, stream_arn: str, sync_handler: Any, queue: DeadLetterQueue
) -> StreamLambda:
    """The event source mapping, sending its dead letters to the SQS queue."""
    reader = StreamReader(streams, stream_arn)
    return StreamLambda(reader, sync_handler, sqs=queue.sqs, dead_letter_queue_url=queue.url)


@pytest.fixture
def redrive(streams: Any, queue: DeadLetterQueue, sync_handler: Any) -> DeadLetterRedrive:
    return DeadLetterRedrive(queue.sqs, streams, queue.url, sync_handler)


@pytest.fixture
def dead_letters(
    store: LedgerStore, stack: SandboxStack, lambda_: StreamLambda
) -> list[dict[str, Any]]:
    """A contact in Intercom and Routera, archived while Intercom answers 503 to everything:
    the dead letters the archive left."""
    register_at_vendors(store, stack, "c-1", VENDORS)
    lambda_.drain()
    stack.intercom.faults = Faults(server_error_rate=1.0)
    archive_contact(store, change("c-1"))
    lambda_.drain()
    return list(lambda_.dead_letters)  # a copy: what is sent later is not among them


def status_change(record: dict[str, Any]) -> tuple[str | None, ...]:
    images = record["dynamodb"]
    return tuple(
        images.get(name, {}).get("status", {}).get("S") for name in ("OldImage", "NewImage")
    )


def test_a_vendor_down_for_good_is_redriven_from_the_queue_once_it_is_back(
    store: LedgerStore,
    stack: SandboxStack,
    bus: FakeEventBridge,
    lambda_: StreamLambda,
    dead_letters: list[dict[str, Any]],
    redrive: DeadLetterRedrive,
    queue: DeadLetterQueue,
    streams: Any,
    stream_arn: str,
) -> None:
    # Given an archive whose Intercom call failed through every stream retry (`dead_letters`)
    # Then Routera archived it, Intercom did not, and nothing was announced
    assert link_states(store, "c-1") == {
        Vendor.INTERCOM: LinkState.ARCHIVING,
        Vendor.ROUTERA: LinkState.ARCHIVED,
    }
    assert (archived(stack, Vendor.INTERCOM), archived(stack, Vendor.ROUTERA)) == (0, 1)
    assert not bus.detail_types()["ContactArchived"]
    # And what gave up (the archive's record, and the write that settled Routera, which still
    # showed Intercom in flight) is in dead letters naming the stream's real shard and the
    # sequence numbers of a contiguous range, as Lambda's are
    assert dead_letters and queue.messages() == len(dead_letters)
    shards = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
    (archive,) = [r for r in lambda_.delivered if status_change(r) == ("active", "archived")]
    first = dead_letters[0]["DDBStreamBatchInfo"]["startSequenceNumber"]
    assert first == archive["dynamodb"]["SequenceNumber"]
    for letter in dead_letters:
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
    assert summary == {**NOTHING, "replayed": len(dead_letters)}
    assert queue.messages() == 0
    # And once the stream carries on (the settling writes), Intercom archived it exactly once,
    # Routera did not archive it again, and the archive was announced once
    lambda_.drain()
    assert link_states(store, "c-1") == dict.fromkeys(VENDORS, LinkState.ARCHIVED)
    assert (archived(stack, Vendor.INTERCOM), archived(stack, Vendor.ROUTERA)) == (1, 1)
    assert bus.detail_types()["ContactArchived"] == 1
    assert lambda_.dead_letters == dead_letters
    # And a second redrive finds nothing to do
    assert redrive.run(10, plenty) == NOTHING
    assert archived(stack, Vendor.INTERCOM) == 1


def test_a_dead_letter_whose_records_still_fail_stays_in_the_queue(
    store: LedgerStore,
    stack: SandboxStack,
    dead_letters: list[dict[str, Any]],
    redrive: DeadLetterRedrive,
    queue: DeadLetterQueue,
) -> None:
    # Given an archive in the dead letters, and Intercom still down
    letters = len(dead_letters)
    # When the dead letters are redriven
    summary = redrive.run(10, plenty)
    # Then they are still failing and stay, visible again for the next run and for the alarm
    assert summary == {**NOTHING, "still_failing": letters}
    assert queue.messages() == letters
    assert queue.visible() == letters
    assert link_states(store, "c-1")[Vendor.INTERCOM] is LinkState.ARCHIVING
    assert archived(stack, Vendor.INTERCOM) == 0
    # When Intercom comes back, Then the next run replays it
    stack.intercom.faults = Faults()
    assert redrive.run(10, plenty) == {**NOTHING, "replayed": letters}
    assert archived(stack, Vendor.INTERCOM) == 1 and queue.messages() == 0


def test_malformed_and_expired_messages_are_counted_and_left(
    store: LedgerStore,
    stack: SandboxStack,
    dead_letters: list[dict[str, Any]],
    redrive: DeadLetterRedrive,
    queue: DeadLetterQueue,
) -> None:
    # Given an archive in the dead letters, beside two messages that are not invocation records
    # and one naming a shard the stream does not hold (gone with its records)
    gone = json.loads(json.dumps(dead_letters[0]))
    gone["DDBStreamBatchInfo"]["shardId"] = "shardId-00000000000000000000-deadbeef"
    for body in ("not json at all", json.dumps({"hello": "world"}), json.dumps(gone)):
        queue.send(body)
    stack.intercom.faults = Faults()
    # When the dead letters are redriven
    summary = redrive.run(10, plenty)
    # Then the archive is replayed, and the others are counted and left in the queue
    assert summary == {**NOTHING, "replayed": len(dead_letters), "malformed": 2, "expired": 1}
    assert queue.messages() == 3
    assert link_states(store, "c-1")[Vendor.INTERCOM] is LinkState.ARCHIVED
    # And a run again counts the same three, once each
    assert redrive.run(10, plenty) == {**NOTHING, "malformed": 2, "expired": 1}
