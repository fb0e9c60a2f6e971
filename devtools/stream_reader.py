"""Read a table's DynamoDB stream the way Lambda's event source mapping does, for the local
stack and tests: every shard from its start (TRIM_HORIZON), in batches, as the same
`{"Records": [...]}` event Lambda hands SyncFunction (the layer's `as_lambda_record`, which the
dead-letter redrive uses too).

Works on DynamoDB Local's and moto's streams alike.
"""

from __future__ import annotations

import sys
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
    matching none are dropped, as Lambda drops them, and counted in `filtered`."""

    def __init__(
        self,
        streams_client: Any,
        stream_arn: str,
        *,
        batch_size: int = 10,
        filters: list[dict[str, Any]] | None = None,
    ) -> None:
        self._client = streams_client
        self._arn = stream_arn
        self._batch_size = batch_size
        self._filters = filters or []
        self._iterators: dict[str, str | None] = {}  # shard id -> next iterator (None: closed)
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
        """The next batch with the shard it came from, or None when no shard has a record."""
        self._discover_shards()
        for shard_id in list(self._iterators):
            while (iterator := self._iterators[shard_id]) is not None:
                response = self._client.get_records(ShardIterator=iterator, Limit=self._batch_size)
                self._iterators[shard_id] = response.get("NextShardIterator")
                records = [as_lambda_record(r, self._arn) for r in response.get("Records", [])]
                if not records:
                    break  # nothing more in this shard for now
                self.read += len(records)
                kept = [record for record in records if passes(record, self._filters)]
                self.filtered += len(records) - len(kept)
                if kept:
                    return StreamBatch(shard_id, kept)
        return None

    def _discover_shards(self) -> None:
        description = self._client.describe_stream(StreamArn=self._arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators:
                self._iterators[shard_id] = self._client.get_shard_iterator(
                    StreamArn=self._arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
