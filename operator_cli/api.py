"""A small client of the jobs API (`POST /jobs`, `GET /jobs[/{id}]`, `POST /jobs/{id}/cancel`).

Answers become `Job` values; a 4xx or 5xx becomes `ApiError` (the API's error code and message),
and an API that cannot be reached becomes `ApiUnreachable` naming the URL. The API key is sent as a
header and never appears in either.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

DEFAULT_API_URL = "http://127.0.0.1:3000"
FINISHED_STATUSES = frozenset({"succeeded", "failed", "cancelled"})
# The statuses worth polling through: a gateway's hiccup should not end a long watch.
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})


class ApiError(Exception):
    """The API answered with an error: its status, and the code and message of its error body."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    @property
    def transient(self) -> bool:
        return self.status in TRANSIENT_STATUSES


class ApiUnreachable(Exception):
    """No answer came from the API (refused, unresolvable, timed out)."""

    def __init__(self, api_url: str, why: str) -> None:
        super().__init__(f"cannot reach the jobs API at {api_url} ({why})")
        self.api_url = api_url


@dataclass(frozen=True)
class Connection:
    """Where the API is and who the operator is to it."""

    api_url: str = DEFAULT_API_URL
    tenant: str | None = None
    api_key: str | None = field(default=None, repr=False)

    @property
    def shown_url(self) -> str:
        """The URL as it may be printed: without any user:password part."""
        parts = urlsplit(self.api_url)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))

    def headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": "contact-archive-cli"}
        if self.tenant:
            headers["X-Tenant-Id"] = self.tenant
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers


@dataclass(frozen=True)
class Counts:
    total: int | None = None
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    pending: int = 0

    @property
    def done(self) -> int:
        return self.succeeded + self.failed + self.skipped

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Self:
        total = body.get("total")
        return cls(
            total=int(total) if total is not None else None,
            succeeded=int(body.get("succeeded") or 0),
            failed=int(body.get("failed") or 0),
            skipped=int(body.get("skipped") or 0),
            pending=int(body.get("pending") or 0),
        )


@dataclass(frozen=True)
class Failure:
    contact_id: str
    vendor: str | None
    reason: str


@dataclass(frozen=True)
class Job:
    """The job body, the fields the CLI shows; anything else the API adds is ignored."""

    job_id: str
    action: str
    status: str
    counts: Counts
    vendors_counts: dict[str, Counts]
    failures: list[Failure]
    selector_kind: str | None = None
    selector_size: int | None = None
    selector_filter: dict[str, str] | None = None
    created_at: str | None = None
    finished_at: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def clean(self) -> bool:
        """Succeeded with nothing failed: the only outcome that exits 0."""
        return self.status == "succeeded" and self.counts.failed == 0

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Self:
        selector = body.get("selector") or {}
        return cls(
            job_id=str(body["job_id"]),
            action=str(body.get("action") or ""),
            status=str(body.get("status") or ""),
            counts=Counts.from_json(body.get("counts") or {}),
            vendors_counts={
                str(vendor): Counts.from_json(counts)
                for vendor, counts in (body.get("vendors_counts") or {}).items()
            },
            failures=[
                Failure(
                    contact_id=str(failure.get("contact_id") or ""),
                    vendor=failure.get("vendor"),
                    reason=str(failure.get("reason") or ""),
                )
                for failure in body.get("failures") or []
            ],
            selector_kind=selector.get("kind"),
            selector_size=selector.get("size"),
            selector_filter=selector.get("filter"),
            created_at=body.get("created_at"),
            finished_at=body.get("finished_at"),
        )


@dataclass(frozen=True)
class Submitted:
    job: Job
    replayed: bool  # the API answered a key it had seen: an earlier run's job


@dataclass(frozen=True)
class JobPage:
    jobs: list[Job]
    next_cursor: str | None


def derived_idempotency_key(body: dict[str, Any]) -> str:
    """The same request body gets the same key: re-running a command finds its earlier job."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "cli-" + hashlib.sha256(canonical.encode()).hexdigest()


class JobsApi:
    """One HTTP client for one command; `transport` lets tests answer in-process."""

    def __init__(
        self,
        connection: Connection,
        transport: httpx.BaseTransport | None = None,
        timeout_seconds: float = 30.0,
    ) -> None:
        self.connection = connection
        self._client = httpx.Client(
            base_url=connection.api_url,
            headers=connection.headers(),
            timeout=timeout_seconds,
            transport=transport,
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def submit(self, body: dict[str, Any], idempotency_key: str) -> Submitted:
        response = self._send(
            "POST", "/jobs", json=body, headers={"Idempotency-Key": idempotency_key}
        )
        replayed = response.headers.get("Idempotent-Replayed", "").lower() == "true"
        return Submitted(job=Job.from_json(response.json()), replayed=replayed)

    def get(self, job_id: str) -> Job:
        return Job.from_json(self._send("GET", f"/jobs/{_segment(job_id)}").json())

    def list_page(self, limit: int, cursor: str | None = None) -> JobPage:
        params: dict[str, str | int] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        body = self._send("GET", "/jobs", params=params).json()
        return JobPage(
            jobs=[Job.from_json(item) for item in body.get("items") or []],
            next_cursor=body.get("next_cursor"),
        )

    def cancel(self, job_id: str) -> Job:
        return Job.from_json(self._send("POST", f"/jobs/{_segment(job_id)}/cancel").json())

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise ApiUnreachable(self.connection.shown_url, "timed out") from None
        except httpx.TransportError as error:
            raise ApiUnreachable(self.connection.shown_url, type(error).__name__) from None
        if response.is_success:
            return response
        raise _error_of(response)


def _segment(job_id: str) -> str:
    """A job id as one path segment, whatever the operator typed."""
    return quote(job_id, safe="")


def _error_of(response: httpx.Response) -> ApiError:
    """The API's error body `{"error": {"code", "message"}}`, or the bare status without one."""
    try:
        error = response.json().get("error") or {}
        code, message = str(error["code"]), str(error.get("message") or "")
    except (ValueError, AttributeError, KeyError, TypeError):
        code, message = f"http_{response.status_code}", response.reason_phrase
    return ApiError(response.status_code, code, message)
