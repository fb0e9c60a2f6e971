"""The jobs queue: what a job's work is sent as (SQS messages), and how it is sent."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

SEND_BATCH = 10  # entries per SendMessageBatch
SEND_ATTEMPTS = 5
MAX_DELAY_SECONDS = 900  # SQS's longest message delay


@dataclass(frozen=True)
class JobMessage:
    """One piece of a job's work: a unit to apply or look at again, or a filter to go on
    cutting into units from `cursor`."""

    kind: Literal["unit", "plan"]
    tenant_id: str
    job_id: str
    unit: int = 0
    cursor: dict[str, Any] | None = None
    total: int = 0  # a plan: the contacts selected so far

    def body(self) -> str:
        return json.dumps(
            {
                "kind": self.kind,
                "tenant_id": self.tenant_id,
                "job_id": self.job_id,
                "unit": self.unit,
                "cursor": self.cursor,
                "total": self.total,
            },
            separators=(",", ":"),
        )

    @classmethod
    def parse(cls, body: str) -> JobMessage:
        data = json.loads(body)
        return cls(
            kind=data["kind"],
            tenant_id=str(data["tenant_id"]),
            job_id=str(data["job_id"]),
            unit=int(data.get("unit", 0)),
            cursor=data.get("cursor"),
            total=int(data.get("total", 0)),
        )


class JobQueue:
    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._url = queue_url

    def send(self, messages: list[JobMessage], *, delay_seconds: int = 0) -> None:
        """Send every message, ten to a request; entries SQS refused are sent again."""
        delay = max(0, min(MAX_DELAY_SECONDS, delay_seconds))
        for start in range(0, len(messages), SEND_BATCH):
            entries = [
                {"Id": str(number), "MessageBody": message.body(), "DelaySeconds": delay}
                for number, message in enumerate(messages[start : start + SEND_BATCH])
            ]
            for _ in range(SEND_ATTEMPTS):
                response = self._client.send_message_batch(
                    QueueUrl=self._url, Entries=cast(Any, entries)
                )
                refused = {failure["Id"] for failure in response.get("Failed", [])}
                entries = [entry for entry in entries if entry["Id"] in refused]
                if not entries:
                    break
            else:
                raise RuntimeError("SQS refused messages of a job several times")
