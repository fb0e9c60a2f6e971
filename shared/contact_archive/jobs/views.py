"""A job as its callers see it: the JSON of the jobs routes."""

from __future__ import annotations

from typing import Any

from contact_archive.ledger.job_records import JobRecord, Tally


def job_body(job: JobRecord) -> dict[str, Any]:
    return {
        "job_id": job.job_id,
        "action": job.action.value,
        "status": job.status.value,
        "selector": {
            "kind": job.selector_kind.value,
            "size": job.selector_size,
            "filter": job.filter,
        },
        "reason": job.reason,
        "vendors": job.vendors,
        "counts": _tally(job.counts, known=job.units is not None),
        "vendors_counts": {
            vendor: _tally(tally) for vendor, tally in sorted(job.vendor_counts.items())
        },
        "failures": [failure.model_dump() for failure in job.failures],
        "created_at": job.created_at,
        "updated_at": job.updated_at,
        "finished_at": job.finished_at,
    }


def _tally(tally: Tally, *, known: bool = True) -> dict[str, Any]:
    """A filter's job knows its total once its selection is cut (until then: null)."""
    body: dict[str, Any] = tally.body()
    if not known:
        body["total"] = None
    return body
