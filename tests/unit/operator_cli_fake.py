"""A fake of the jobs API for the operator CLI's tests, answered in-process by httpx.MockTransport.

It keeps the contract's shapes (job body, error body, Idempotency-Key replay, 404, 409, 422) and
moves each job one scripted step per `GET /jobs/{id}`, so a watch sees it queue, run and end
without any clock. `interrupt_after` and `outages` make the sleeps and the polls misbehave.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner, Result

from operator_cli.main import Runtime, app

LOCAL_API = "http://127.0.0.1:3000"
SELECTORS = ("contact_ids", "emails", "vendor_ids", "filter")
# What the operator's shell might have set: the tests start from none of it.
CLI_ENVIRONMENT: dict[str, str | None] = {
    "CONTACT_ARCHIVE_API_URL": None,
    "CONTACT_ARCHIVE_TENANT": None,
    "CONTACT_ARCHIVE_API_KEY": None,
    "COLUMNS": "160",
}


@dataclass
class FakeJob:
    body: dict[str, Any]
    size: int | None  # the contacts it selects; a filter's are counted once it has selected
    polls: int = 0
    cancelled: bool = False
    final_status: str = "succeeded"


@dataclass
class FakeJobsApi:
    """The jobs API: `steps` polls take a job from queued to its end; `failing` contacts fail."""

    steps: int = 3
    failing: int = 0
    filter_matches: int = 25
    final_status: str = "succeeded"
    jobs: dict[str, FakeJob] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # Idempotency-Key -> job id
    requests: list[httpx.Request] = field(default_factory=list)
    # Answers (or errors) given instead of the fake's own, one per request, in order (None: its own).
    outages: list[httpx.Response | Exception | None] = field(default_factory=list)
    next_cursor: str | None = None

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def runtime(self, sleep: Callable[[float], None] | None = None) -> Runtime:
        return Runtime(transport=self.transport(), sleep=sleep or Sleeps())

    @property
    def submissions(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == "POST" and r.url.path.endswith("/jobs")]

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        outage = self.outages.pop(0) if self.outages else None
        if isinstance(outage, Exception):
            raise outage
        if outage is not None:
            return outage
        parts = request.url.path.strip("/").split("/")
        parts = parts[parts.index("jobs") :] if "jobs" in parts else parts  # after a stage path
        if request.method == "POST" and parts == ["jobs"]:
            return self._submit(request)
        if request.method == "GET" and parts == ["jobs"]:
            limit = int(request.url.params.get("limit", "20"))
            items = [self.body(job_id) for job_id in reversed(self.jobs)][:limit]
            return httpx.Response(200, json={"items": items, "next_cursor": self.next_cursor})
        if parts[:1] == ["jobs"] and len(parts) >= 2 and parts[1] not in self.jobs:
            return _error(404, "job_not_found", f"no job {parts[1]}")
        if request.method == "GET" and len(parts) == 2:
            self.jobs[parts[1]].polls += 1
            return httpx.Response(200, json=self.body(parts[1]))
        if request.method == "POST" and parts[2:] == ["cancel"]:
            return self._cancel(parts[1])
        return _error(404, "not_found", "no such route")

    def advance(self, job_id: str, polls: int) -> None:
        """Time passes for a job nobody is watching."""
        self.jobs[job_id].polls += polls

    def _submit(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        given = [name for name in SELECTORS if name in body]
        if len(given) != 1 or (given[0] != "filter" and len(body[given[0]]) > 10_000):
            return _error(422, "validation_error", "name the contacts with exactly one selector")
        key = request.headers.get("Idempotency-Key")
        if key in self.keys:
            job_id = self.keys[key]
            return httpx.Response(202, json=self.body(job_id), headers=_REPLAYED)
        job_id = f"job_{len(self.jobs) + 1:013x}"
        size = None if given[0] == "filter" else len(body[given[0]])
        self.jobs[job_id] = FakeJob(body=body, size=size, final_status=self.final_status)
        if key:
            self.keys[key] = job_id
        return httpx.Response(202, json=self.body(job_id))

    def _cancel(self, job_id: str) -> httpx.Response:
        job = self.jobs[job_id]
        if self.body(job_id)["status"] in ("succeeded", "failed", "cancelled"):
            return _error(409, "job_finished", f"job {job_id} has finished")
        job.cancelled = True
        return httpx.Response(200, json=self.body(job_id))

    def body(self, job_id: str) -> dict[str, Any]:
        """The job's body as the API would answer it now (without a poll passing)."""
        job = self.jobs[job_id]
        selecting = job.polls == 0 or (job.size is None and job.polls < 2)
        total = None if selecting else (job.size if job.size is not None else self.filter_matches)
        done = 0 if total is None else min(total, (job.polls - 1) * math.ceil(total / self.steps))
        if job.cancelled:
            status = "cancelled"
        elif job.polls == 0:
            status = "queued"
        elif total is not None and done == total and job.polls > 1:
            status = job.final_status
        else:
            status = "running"
        failed = min(done, self.failing)
        counts = _counts(total, done - failed, failed, 0 if total is None else total - done)
        return {
            "job_id": job_id,
            "action": job.body["action"],
            "status": status,
            "selector": _selector(job),
            "reason": job.body.get("reason"),
            "vendors": job.body.get("vendors"),
            "counts": counts,
            "vendors_counts": {
                "sequence": counts,
                "constant_contact": _counts(total, done, 0, 0 if total is None else total - done),
            },
            "failures": [
                {
                    "contact_id": f"c-{n}",
                    "vendor": "sequence",
                    "reason": "vendor refused: permanent",
                }
                for n in range(min(failed, 100))
            ],
            "created_at": "2026-01-05T10:00:00Z",
            "updated_at": "2026-01-05T10:00:01Z",
            "finished_at": "2026-01-05T10:00:02Z" if status != "running" else None,
        }


class Sleeps:
    """The watch's sleeps, recorded; Ctrl-C pressed during the `interrupt_at`-th one."""

    def __init__(self, interrupt_at: int | None = None) -> None:
        self.seconds: list[float] = []
        self.interrupt_at = interrupt_at

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        if len(self.seconds) == self.interrupt_at:
            raise KeyboardInterrupt


def invoke(runtime: Runtime, *args: str, env: Mapping[str, str | None] | None = None) -> Result:
    """Run `contact-archive ARGS` against the fake, from a clean environment."""
    return CliRunner().invoke(app, list(args), obj=runtime, env={**CLI_ENVIRONMENT, **(env or {})})


def write_csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def body_of(request: httpx.Request) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(request.content)
    return body


_REPLAYED = {"Idempotent-Replayed": "true"}


def _counts(total: int | None, succeeded: int, failed: int, pending: int) -> dict[str, Any]:
    return {
        "total": total,
        "succeeded": succeeded,
        "failed": failed,
        "skipped": 0,
        "pending": pending,
    }


def _selector(job: FakeJob) -> dict[str, Any]:
    kind = next(name for name in SELECTORS if name in job.body)
    return {"kind": kind, "size": job.size, "filter": job.body.get("filter")}


def _error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message}})
