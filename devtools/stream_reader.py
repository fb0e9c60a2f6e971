"""Read a table's DynamoDB stream the way Lambda's event source mapping does, for the local
stack and tests: every shard from its start (TRIM_HORIZON), in batches, as the same
`{"Records": [...]}` event Lambda hands SyncFunction, with `eventSourceARN` added.

Works on DynamoDB Local's and moto's streams alike.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


class StreamReader:
    def __init__(self, streams_client: Any, stream_arn: str, *, batch_size: int = 10) -> None:
        self._client = streams_client
        self._arn = stream_arn
        self._batch_size = batch_size
        self._iterators: dict[str, str | None] = {}  # shard id -> next iterator (None: closed)

    def next_event(self) -> dict[str, Any] | None:
        """The next batch as a Lambda event, or None when no shard has a record right now."""
        self._discover_shards()
        for shard_id, iterator in self._iterators.items():
            if iterator is None:
                continue
            response = self._client.get_records(ShardIterator=iterator, Limit=self._batch_size)
            self._iterators[shard_id] = response.get("NextShardIterator")
            records = response.get("Records", [])
            if records:
                return {"Records": [self._as_lambda_record(record) for record in records]}
        return None

    def _discover_shards(self) -> None:
        description = self._client.describe_stream(StreamArn=self._arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators:
                self._iterators[shard_id] = self._client.get_shard_iterator(
                    StreamArn=self._arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]

    def _as_lambda_record(self, record: dict[str, Any]) -> dict[str, Any]:
        images = dict(record["dynamodb"])
        created = images.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):  # boto3 parses it; Lambda sends epoch seconds
            images["ApproximateCreationDateTime"] = int(created.timestamp())
        return {**record, "dynamodb": images, "eventSourceARN": self._arn}
