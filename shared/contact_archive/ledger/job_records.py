"""A bulk job as the ledger keeps it (`jobs/` does the work): the job itself, and the progress of
each of its work units. Plain values; `store/jobs.py` reads and writes them."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contact_archive.ledger.models import ChangeAction

# A job's failures kept for its callers: the first ones, per unit and per job.
FAILURES_KEPT = 100


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


class JobAction(StrEnum):
    ARCHIVE = "archive"
    RESTORE = "restore"
    ERASE = "erase"  # each contact erased for good (`contacts/erasure.py`)

    @property
    def change(self) -> ChangeAction | None:
        """The ledger change the job makes on each contact; None for an erasure."""
        return None if self is JobAction.ERASE else ChangeAction(self.value)


class SelectorKind(StrEnum):
    CONTACT_IDS = "contact_ids"
    EMAILS = "emails"
    VENDOR_IDS = "vendor_ids"
    FILTER = "filter"


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Tally(_Record):
    """Contacts (or, per vendor, links) of a job by outcome; what is left is pending."""

    total: int = 0
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def pending(self) -> int:
        return max(0, self.total - self.succeeded - self.failed - self.skipped)

    def plus(self, other: Tally) -> Tally:
        return Tally(
            total=self.total + other.total,
            succeeded=self.succeeded + other.succeeded,
            failed=self.failed + other.failed,
            skipped=self.skipped + other.skipped,
        )

    def body(self) -> dict[str, int]:
        return {**self.model_dump(), "pending": self.pending}


class JobFailure(_Record):
    contact_id: str | None
    vendor: str | None
    reason: str


class JobRecord(_Record):
    tenant_id: str
    job_id: str
    action: JobAction
    status: JobStatus
    selector_kind: SelectorKind
    selector_size: int | None  # the number of names given; None for a filter
    filter: dict[str, str] | None = None
    reason: str | None = None
    vendors: list[str] | None = None
    actor: str
    created_at: str
    updated_at: str
    finished_at: str | None = None
    # The work units, once the selection is cut into them (a filter's takes a while).
    units: int | None = None
    # The counts as a worker last summed them; `jobs/progress.py` sums them afresh for one job.
    counts: Tally = Field(default_factory=Tally)
    vendor_counts: dict[str, Tally] = Field(default_factory=dict)
    failures: list[JobFailure] = Field(default_factory=list)


class UnitState(StrEnum):
    APPLIED = "applied"  # the ledger changes are made; links may still be on their way
    SETTLED = "settled"  # every link of the unit's contacts settled
    CANCELLED = "cancelled"  # the job was cancelled before the unit started


class UnitProgress(_Record):
    """One work unit's outcome so far, written whole (never added to), so that a redelivered
    message writes the same numbers again rather than counting twice."""

    unit: int
    names: int  # the names the unit was given (its contacts may be more, or fewer)
    state: UnitState
    counts: Tally
    gave_up: bool = False  # the unit's work failed every delivery: its contacts count failed
    looks: int = 0  # the looks at the unit sent so far (`jobs/worker.py`: one chain of them)
    vendor_counts: dict[str, Tally] = Field(default_factory=dict)
    failures: list[JobFailure] = Field(default_factory=list)

    def as_item(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
