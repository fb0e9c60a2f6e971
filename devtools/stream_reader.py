"""Read a table's DynamoDB stream the way Lambda's event source mapping does, for the local
stack and tests: every shard from its start (TRIM_HORIZON), in batches, as the same
`{"Records": [...]}` event Lambda hands SyncFunction (the layer's `as_lambda_record`, which the
dead-letter redrive uses too).

Works on DynamoDB Local's and moto's streams alike.
"""

from __future__ import annotations

import sys
from collections import deque
from dataclasses import dataclass
from typing import Any

from devtools import REPO_ROOT

if str(REPO_ROOT / "shared") not in sys.path:
    sys.path.insert(0, str(REPO_ROOT / "shared"))  # the layer, as in the Lambda runtime
from contact_archive.sync.stream_ranges import as_lambda_record
from devtools.event_filters import passes


@dataclass(frozen=True)
class StreamBatch:
    shard_id: str
    records: list[dict[str, Any]]  # Lambda event records, in stream order


class StreamReader:
    """`filters`: the mapping's `FilterCriteria` patterns (`devtools.event_filters`); records
    matching none are dropped, as Lambda drops them, and counted in `filtered`.

    As Lambda's poller does, each `GetRecords` asks for up to `read_limit` records (the API's
    most, 1,000), the filters are applied, and what is kept is handed out `batch_size` at a time:
    a stream of mostly filtered records costs a few reads, not one a batch.
    """

    def __init__(
        self,
        streams_client: Any,
        stream_arn: str,
        *,
        batch_size: int = 10,
        read_limit: int = 1000,
        filters: list[dict[str, Any]] | None = None,
    ) -> None:
        self._client = streams_client
        self._arn = stream_arn
        self._batch_size = batch_size
        self._read_limit = read_limit
        self._filters = filters or []
        self._iterators: dict[str, str | None] = {}  # shard id -> next iterator (None: closed)
        self._kept: dict[str, deque[dict[str, Any]]] = {}  # shard id -> read, not handed out
        self.read = 0  # records read from the stream
        self.filtered = 0  # of which dropped by the filters

    @property
    def stream_arn(self) -> str:
        return self._arn

    def next_event(self) -> dict[str, Any] | None:
        """The next batch as a Lambda event, or None when no shard has a record right now."""
        batch = self.next_batch()
        return None if batch is None else {"Records": batch.records}

    def next_batch(self) -> StreamBatch | None:
        """The next batch with the shard it came from, or None when no shard has a record.
        New shards are looked for when the known ones have nothing (one `DescribeStream`)."""
        batch = self._batch_from(list(self._iterators))
        if batch is None:
            batch = self._batch_from(self._discover_shards())
        return batch

    def _batch_from(self, shard_ids: list[str]) -> StreamBatch | None:
        for shard_id in shard_ids:
            kept = self._kept.setdefault(shard_id, deque())
            while not kept and (iterator := self._iterators[shard_id]) is not None:
                response = self._client.get_records(ShardIterator=iterator, Limit=self._read_limit)
                self._iterators[shard_id] = response.get("NextShardIterator")
                records = [as_lambda_record(r, self._arn) for r in response.get("Records", [])]
                if not records:
                    break  # nothing more in this shard for now
                self.read += len(records)
                passing = [record for record in records if passes(record, self._filters)]
                self.filtered += len(records) - len(passing)
                kept.extend(passing)
            if kept:
                size = min(self._batch_size, len(kept))
                return StreamBatch(shard_id, [kept.popleft() for _ in range(size)])
        return None

    def _discover_shards(self) -> list[str]:
        """The shards not known yet, each to be read from its start."""
        description = self._client.describe_stream(StreamArn=self._arn)["StreamDescription"]
        found = []
        for shard in description.get("Shards", []):
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators:
                self._iterators[shard_id] = self._client.get_shard_iterator(
                    StreamArn=self._arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
                found.append(shard_id)
        return found
