"""Bulk job items: the job (one per job, in its tenant's jobs partition, newest first), its work
units (the names each unit must act on, and the contacts they came to), and each unit's progress.

| item | pk | sk |
| --- | --- | --- |
| job | `TENANT#<t>#JOBS` | `JOB#<job_id>` (job ids sort by creation time) |
| work unit | `TENANT#<t>#JOB#<job_id>` | `UNIT#<n>` |
| unit progress | `TENANT#<t>#JOB#<job_id>` | `PROGRESS#<n>` |

Units are written in `BatchWriteItem`s of 25, with unprocessed items sent again.
"""

from __future__ import annotations

import time
import zlib
from typing import Any

from botocore.exceptions import ClientError

from contact_archive.ledger.encoding import from_item, to_attribute, to_item
from contact_archive.ledger.errors import InvalidCursor
from contact_archive.ledger.job_records import JobRecord, JobStatus, UnitProgress
from contact_archive.ledger.store.table import ConditionFailed, Key, Table

JOB_TYPE = "job"
UNIT_TYPE = "job_unit"
PROGRESS_TYPE = "job_progress"
# A job's items expire (TTL) this long after it is created: bulk jobs are operations, not records
# (the contacts' own history keeps what each change was).
JOB_RETENTION_SECONDS = 90 * 24 * 3600


def jobs_pk(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}#JOBS"


def job_key(tenant_id: str, job_id: str) -> Key:
    return {"pk": {"S": jobs_pk(tenant_id)}, "sk": {"S": f"JOB#{job_id}"}}


def job_pk(tenant_id: str, job_id: str) -> str:
    return f"TENANT#{tenant_id}#JOB#{job_id}"


def unit_key(tenant_id: str, job_id: str, unit: int) -> Key:
    return {"pk": {"S": job_pk(tenant_id, job_id)}, "sk": {"S": f"UNIT#{unit:06d}"}}


def pack(names: Any) -> bytes:
    """A unit's names as stored: compressed JSON (10,000 emails stay far below 400 KB)."""
    import json

    return zlib.compress(json.dumps(names, separators=(",", ":")).encode(), 6)


def unpack(blob: bytes) -> Any:
    import json

    return json.loads(zlib.decompress(blob))


def _unit_item(tenant_id: str, job_id: str, unit: int, names: bytes) -> dict[str, Any]:
    return {
        **unit_key(tenant_id, job_id, unit),
        "type": {"S": UNIT_TYPE},
        "names": {"B": names},
        "expires_at": {"N": str(int(time.time()) + JOB_RETENTION_SECONDS)},
    }


class JobFinished(Exception):
    """The job had finished: it cannot be cancelled or changed any more."""

    def __init__(self, record: JobRecord) -> None:
        super().__init__(record.job_id)
        self.record = record


class JobStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    # -- the job -------------------------------------------------------------------------------

    def create(self, record: JobRecord, units: list[bytes]) -> None:
        """The job and its work units (each the packed names it acts on); the job is written
        last, so that a job never names units that are not there."""
        self.batch_put(
            [
                _unit_item(record.tenant_id, record.job_id, number, names)
                for number, names in enumerate(units)
            ]
        )
        expires = int(time.time()) + JOB_RETENTION_SECONDS
        item = {**record.model_dump(mode="json"), "type": JOB_TYPE, "expires_at": expires}
        self._table.put(
            Item={**job_key(record.tenant_id, record.job_id), **to_item(item)},
            ConditionExpression="attribute_not_exists(pk)",
        )

    def get(self, tenant_id: str, job_id: str) -> JobRecord | None:
        item = self._table.get(job_key(tenant_id, job_id), ConsistentRead=True)
        return JobRecord.model_validate(from_item(item)) if item else None

    def list_page(
        self, tenant_id: str, *, limit: int, after: str | None
    ) -> tuple[list[JobRecord], str | None]:
        """A tenant's jobs, newest first; `after` is the job id the previous page ended at."""
        query: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :job)",
            "ExpressionAttributeValues": {
                ":pk": {"S": jobs_pk(tenant_id)},
                ":job": {"S": "JOB#"},
            },
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if after is not None:
            query["ExclusiveStartKey"] = job_key(tenant_id, after)
        try:
            response = self._table.query(**query)
        except ClientError as error:
            if after is not None and error.response["Error"]["Code"] == "ValidationException":
                raise InvalidCursor("it does not fit this query") from None
            raise
        jobs = [JobRecord.model_validate(from_item(item)) for item in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        return jobs, (jobs[-1].job_id if last and jobs else None)

    def set_units(self, tenant_id: str, job_id: str, units: int, total: int, now: str) -> None:
        """A filter's selection is cut: the job now knows its units and how many contacts."""
        self._table.update(
            Key=job_key(tenant_id, job_id),
            UpdateExpression="SET units = :units, counts.#total = :total, updated_at = :now",
            ExpressionAttributeNames={"#total": "total"},
            ExpressionAttributeValues={
                ":units": {"N": str(units)},
                ":total": {"N": str(total)},
                ":now": {"S": now},
            },
        )

    def start(self, tenant_id: str, job_id: str, now: str) -> None:
        """Queued to running, once; a job in any other status stays as it is."""
        try:
            self._table.update(
                Key=job_key(tenant_id, job_id),
                UpdateExpression="SET #status = :running, updated_at = :now",
                ConditionExpression="#status = :queued",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":running": {"S": JobStatus.RUNNING.value},
                    ":queued": {"S": JobStatus.QUEUED.value},
                    ":now": {"S": now},
                },
            )
        except ConditionFailed:
            return

    def cancel(self, tenant_id: str, job_id: str, now: str) -> JobRecord | None:
        """Cancelled unless it had finished (`JobFinished`); None when there is no such job."""
        try:
            response = self._table.update(
                Key=job_key(tenant_id, job_id),
                UpdateExpression="SET #status = :cancelled, updated_at = :now, finished_at = :now",
                ConditionExpression="attribute_exists(pk) AND #status IN (:queued, :running)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":cancelled": {"S": JobStatus.CANCELLED.value},
                    ":queued": {"S": JobStatus.QUEUED.value},
                    ":running": {"S": JobStatus.RUNNING.value},
                    ":now": {"S": now},
                },
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ConditionFailed as refused:
            if not refused.item:
                return None
            raise JobFinished(JobRecord.model_validate(from_item(refused.item))) from None
        return JobRecord.model_validate(from_item(response["Attributes"]))

    def save_counts(self, record: JobRecord, *, status: JobStatus, now: str) -> None:
        """The counts summed over the units, and the status they lead to. Only a job still
        running takes them (a cancelled one keeps its status, and takes the counts)."""
        values = {
            ":counts": record.counts.model_dump(),
            ":vendor_counts": {v: t.model_dump() for v, t in record.vendor_counts.items()},
            ":failures": [failure.model_dump() for failure in record.failures],
            ":now": now,
            ":status": status.value,
            ":finished_at": now if status.finished else None,
            ":settled": record.counts.total - record.counts.pending,
        }
        counts_only = "counts = :counts, vendor_counts = :vendor_counts, failures = :failures"
        typed = {k: to_attribute(v) for k, v in values.items()}
        running = {":queued": to_attribute("queued"), ":running": to_attribute("running")}
        try:
            self._table.update(
                Key=job_key(record.tenant_id, record.job_id),
                UpdateExpression=(
                    f"SET {counts_only}, updated_at = :now, #status = :status, "
                    "finished_at = :finished_at, settled = :settled"
                ),
                # Two workers summing at once: the one that saw more settled wins.
                ConditionExpression=(
                    "#status IN (:queued, :running) AND "
                    "(attribute_not_exists(settled) OR settled <= :settled)"
                ),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=typed | running,
            )
        except ConditionFailed:
            pass
        else:
            return
        # Cancelled: the units already started still settle, and their counts are kept.
        try:
            self._table.update(
                Key=job_key(record.tenant_id, record.job_id),
                UpdateExpression=f"SET {counts_only}, updated_at = :now, settled = :settled",
                ConditionExpression=(
                    "#status = :cancelled AND "
                    "(attribute_not_exists(settled) OR settled <= :settled)"
                ),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    k: typed[k]
                    for k in (":counts", ":vendor_counts", ":failures", ":now", ":settled")
                }
                | {":cancelled": to_attribute(JobStatus.CANCELLED.value)},
            )
        except ConditionFailed:
            return

    # -- units ---------------------------------------------------------------------------------

    def unit(self, tenant_id: str, job_id: str, unit: int) -> tuple[list[Any], Any] | None:
        """A unit's names, and what applying them came to (None until it is applied)."""
        item = self._table.get(unit_key(tenant_id, job_id, unit), ConsistentRead=True)
        if not item:
            return None
        applied = unpack(item["applied"]["B"]) if "applied" in item else None
        return unpack(item["names"]["B"]), applied

    def put_unit(self, tenant_id: str, job_id: str, unit: int, names: bytes) -> None:
        self.batch_put([_unit_item(tenant_id, job_id, unit, names)])

    def save_applied(
        self, tenant_id: str, job_id: str, unit: int, applied: Any, *, forget: int | None = None
    ) -> None:
        """What applying a unit came to (its contacts, and the names skipped with why): a
        redelivered message goes on from there instead of applying again. `forget`: the
        unit's names are dropped, their count (`forget`) kept: a job keeps no email it was
        given past applying it."""
        update = "SET applied = :applied"
        values: dict[str, Any] = {":applied": {"B": pack(applied)}}
        if forget is not None:
            update += ", #names = :forgotten"
            values[":forgotten"] = {"B": pack([None] * forget)}
        self._table.update(
            Key=unit_key(tenant_id, job_id, unit),
            UpdateExpression=update,
            ExpressionAttributeValues=values,
            **({"ExpressionAttributeNames": {"#names": "names"}} if forget is not None else {}),
        )

    def save_progress(self, tenant_id: str, job_id: str, progress: UnitProgress) -> None:
        item = {
            "pk": job_pk(tenant_id, job_id),
            "sk": f"PROGRESS#{progress.unit:06d}",
            "type": PROGRESS_TYPE,
            "expires_at": int(time.time()) + JOB_RETENTION_SECONDS,
            **progress.as_item(),
        }
        self._table.put(Item=to_item(item))

    def progress(self, tenant_id: str, job_id: str) -> list[UnitProgress]:
        """Every unit's progress written so far (small items: one page holds thousands)."""
        found: list[UnitProgress] = []
        query: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :progress)",
            "ExpressionAttributeValues": {
                ":pk": {"S": job_pk(tenant_id, job_id)},
                ":progress": {"S": "PROGRESS#"},
            },
            "ConsistentRead": True,
        }
        while True:
            response = self._table.query(**query)
            found += [UnitProgress.model_validate(from_item(i)) for i in response["Items"]]
            if "LastEvaluatedKey" not in response:
                return found
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    # -- batches -------------------------------------------------------------------------------

    def batch_put(self, items: list[dict[str, Any]]) -> None:
        """Put `items` (DynamoDB-typed) in batches (`Table.batch_write`)."""
        self._table.batch_write([{"PutRequest": {"Item": item}} for item in items])
