"""JobsFunction's routes: submit a bulk job, look at it, list a tenant's jobs, cancel one."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from contact_archive.api.job_schemas import JobOut, JobPageOut, JobRequestBody
from contact_archive.api.params import IdempotencyKeyHeader
from contact_archive.api.request import actor_of, json_response, tenant_of
from contact_archive.api.schemas import documented
from contact_archive.config import get_settings
from contact_archive.dependencies import get_cursor_codec, get_job_queue, get_store
from contact_archive.jobs.progress import summarize
from contact_archive.jobs.submit import JobRequest, submit_job
from contact_archive.jobs.views import job_body
from contact_archive.ledger.cursor import query_fingerprint
from contact_archive.ledger.errors import JobAlreadyFinished, JobNotFound
from contact_archive.ledger.idempotency import request_hash, run_once
from contact_archive.ledger.job_records import JobAction, JobRecord, JobStatus, SelectorKind
from contact_archive.ledger.models import iso, utc_now
from contact_archive.ledger.store.jobs import JobFinished
from contact_archive.observability import count

JOB_ID_PATTERN = r"^job_[0-9a-f]{13,32}$"
JobIdPath = Annotated[str, Path(pattern=JOB_ID_PATTERN, description="The job's id")]

router = APIGatewayRouter()


@router.post(
    "/jobs",
    summary="Archive or restore many contacts in one call (a bulk job)",
    description=(
        "Names the contacts by exactly one of `contact_ids`, `emails` (any case) or `vendor_ids` "
        "(up to 10,000 each), or a `filter` (`status`, `vendor`, `email_domain`, `scope`). "
        "Answers at once with the queued job; `GET /jobs/{job_id}` follows it. A selector that "
        "matches nobody is a job that succeeds with zero contacts. Vendors with bulk endpoints "
        "(Constant Contact) are called in bulk."
    ),
    responses=documented(JobOut, 400, 424, ok_statuses=(202,), body=True),
    tags=["jobs"],
)
def submit(
    body: Annotated[JobRequestBody, Body()],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[dict[str, Any]]:
    tenant_id = tenant_of(router)
    store = get_store()

    def operation() -> tuple[int, dict[str, object]]:
        selector, names = _selector(body)
        record = submit_job(
            store,
            get_job_queue(),
            JobRequest(
                tenant_id=tenant_id,
                action=JobAction(body.action),
                actor=actor_of(router),
                selector=selector,
                names=names,
                filter=body.filter.model_dump(exclude_none=True) if body.filter else None,
                reason=body.reason,
                vendors=body.vendors,
            ),
        )
        count("JobSubmitted")
        return 202, job_body(record)

    fingerprint = request_hash("jobs", body.model_dump(mode="json"))
    (status, payload), replayed = run_once(
        store,
        tenant_id,
        idempotency_key,
        fingerprint,
        operation,
        ttl_seconds=get_settings().idempotency_ttl_hours * 3600,
    )
    return json_response(status, payload, replayed=replayed)


@router.get(
    "/jobs",
    summary="A tenant's bulk jobs, newest first, one page at a time",
    responses=documented(JobPageOut, 400),
    tags=["jobs"],
)
def list_jobs(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
) -> Response[dict[str, Any]]:
    tenant_id = tenant_of(router)
    codec = get_cursor_codec()
    fingerprint = query_fingerprint(listing="jobs")
    after = codec.decode(cursor, tenant_id, fingerprint)["job_id"] if cursor else None
    jobs, last = get_store().jobs.list_page(tenant_id, limit=limit, after=after)
    next_cursor = codec.encode(tenant_id, fingerprint, {"job_id": last}) if last else None
    return json_response(
        200, {"items": [job_body(job) for job in jobs], "next_cursor": next_cursor}
    )


@router.get(
    "/jobs/<job_id>",
    summary="A bulk job: its status, counts (per vendor too) and first failures",
    responses=documented(JobOut, 404),
    tags=["jobs"],
)
def get_job(job_id: JobIdPath) -> Response[dict[str, Any]]:
    job = _job(tenant_of(router), job_id)
    if not job.status.finished or job.status is JobStatus.CANCELLED:
        # The units' counts, summed now (a cancelled job's started units still settle).
        job = summarize(get_store(), job, iso(utc_now()))
    return json_response(200, job_body(job))


@router.post(
    "/jobs/<job_id>/cancel",
    summary="Cancel a bulk job: the units not yet started are not started",
    description=(
        "Contacts already changed stay changed and their links still settle; a job that has "
        "finished answers 409 `job_finished`."
    ),
    responses=documented(JobOut, 404, 409, body=True),
    tags=["jobs"],
)
def cancel(job_id: JobIdPath) -> Response[dict[str, Any]]:
    tenant_id = tenant_of(router)
    try:
        job = get_store().jobs.cancel(tenant_id, job_id, iso(utc_now()))
    except JobFinished as finished:
        raise JobAlreadyFinished(job_id, finished.record.status.value) from None
    if job is None:
        raise JobNotFound(job_id)
    count("JobCancelled")
    return json_response(200, job_body(job))


def _job(tenant_id: str, job_id: str) -> JobRecord:
    job = get_store().jobs.get(tenant_id, job_id)
    if job is None:
        raise JobNotFound(job_id)
    return job


def _selector(body: JobRequestBody) -> tuple[SelectorKind, list[Any]]:
    if body.contact_ids is not None:
        return SelectorKind.CONTACT_IDS, list(body.contact_ids)
    if body.emails is not None:
        return SelectorKind.EMAILS, list(body.emails)
    if body.vendor_ids is not None:
        return SelectorKind.VENDOR_IDS, [[n.vendor.value, n.vendor_id] for n in body.vendor_ids]
    return SelectorKind.FILTER, []
