"""(l) for `make bench`: a bulk job of 10,000 contacts against a loop of single archive calls,
over HTTP against `make run`'s server, each timed until every link is settled.

The server runs in a child process (`running_local_api`: DynamoDB Local, the jobs queue, the
table's stream feeding SyncFunction, the four vendor sandboxes on loopback ports, each function
in warm containers of its own) and is filled as `make seed` fills it: `devtools/seed.py`'s people,
in the sandboxes through their back door, in the ledger as registering them writes it (in
batches, `devtools/bulk_register.py`). Then, in turn: one job archives 10,000 of them (`POST
/jobs` with their ids, through the operator CLI's client), timed until `GET /jobs/{id}` says it
succeeded; and a sample of others is archived with `POST /contacts/{id}/archive`, one request
after another, timed until the ledger shows every one of their links archived. The same again
for restore. The local schedules (reconcile, sweep) are off, so that only this work runs.

Run alone (prints the section): `.venv/bin/python -m benchmarks.jobs_http`.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "shared") not in sys.path:
    sys.path.insert(0, str(ROOT / "shared"))

from benchmarks.jobs import wait_until_settled  # noqa: E402
from contact_archive.ledger.models import ChangeAction  # noqa: E402
from contact_archive.ledger.store import LedgerStore  # noqa: E402
from devtools.bulk_register import register_new_contacts  # noqa: E402
from devtools.local_process import running_local_api  # noqa: E402
from devtools.local_state import STATE_DIR_VARIABLE, StackState, read_state  # noqa: E402
from devtools.seed import ledger_store, register_command, seed_sandboxes  # noqa: E402
from devtools.seed_people import people  # noqa: E402
from devtools.seed_progress import PlainProgress  # noqa: E402
from operator_cli.api import Connection, Job, JobsApi  # noqa: E402

JOB_CONTACTS = int(os.environ.get("BENCH_JOB_CONTACTS", "10000"))
# One call at a time is held to the vendors' pacing (Constant Contact's 4 requests a second
# above all): a sample large enough to be steady, small enough to take a few minutes.
LOOP_CONTACTS = int(os.environ.get("BENCH_LOOP_CONTACTS", "200"))
TARGET_RATIO = 10
BARRIERS = 4  # one before each timed run
TABLE = "contact-archive-bench-jobs-http"
SEED_WORKERS = 4
POLL_SECONDS = 1.0
JOB_TIMEOUT_SECONDS = 1_800


@dataclass(frozen=True)
class WallTime:
    action: ChangeAction
    path: str  # what carried it
    contacts: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.contacts / self.seconds


@dataclass(frozen=True)
class HttpRun:
    seed_seconds: float
    times: list[WallTime]  # a job, then the loop, for each action
    job_links: dict[str, int]  # the job's links per vendor


def measure(dynamodb_endpoint: str) -> HttpRun:
    with tempfile.TemporaryDirectory() as state_dir:
        environment = {
            "TABLE_NAME": TABLE,
            STATE_DIR_VARIABLE: state_dir,  # the stack's state file, away from the developer's
            "LOCAL_RECONCILE_SECONDS": "0",
            "LOCAL_SWEEP_SECONDS": "0",
        }
        with running_local_api(dynamodb_endpoint, environment) as process:
            port = int(process.url.rsplit(":", 1)[1])
            state = read_state(port, Path(state_dir))
            assert state is not None and state.sandboxes, "the local API published no sandboxes"
            store = ledger_store(state, SEED_WORKERS)
            started = time.perf_counter()
            in_job, in_loop, barriers = _seed(state, store)
            seed_seconds = time.perf_counter() - started
            times: list[WallTime] = []
            links: dict[str, int] = {}
            with JobsApi(Connection(api_url=state.api_url)) as jobs:
                for action in (ChangeAction.ARCHIVE, ChangeAction.RESTORE):
                    _see_stream_through(state, store, barriers.pop())
                    seconds, job = _timed_job(jobs, action, in_job)
                    links = links or {v: c.total or 0 for v, c in job.vendors_counts.items()}
                    times.append(WallTime(action, "a job (`POST /jobs`)", len(in_job), seconds))
                    _see_stream_through(state, store, barriers.pop())
                    seconds = _timed_loop(state, store, action, in_loop)
                    path = f"one call each (`POST /contacts/{{id}}/{action.value}`)"
                    times.append(WallTime(action, path, len(in_loop), seconds))
    return HttpRun(seed_seconds, times, links)


def _seed(state: StackState, store: LedgerStore) -> tuple[list[str], list[str], list[str]]:
    """`make seed`'s people: the contact ids of the job's, the loop's and the barriers'."""
    persons = people(JOB_CONTACTS + LOOP_CONTACTS + BARRIERS)
    with httpx.Client(timeout=120) as http:
        seed_sandboxes(http, state.sandboxes, persons, PlainProgress(sys.stderr))
    register_new_contacts(store, [register_command(state.tenant, person) for person in persons])
    contact_ids = [person.contact_id for person in persons]
    loop_end = JOB_CONTACTS + LOOP_CONTACTS
    return contact_ids[:JOB_CONTACTS], contact_ids[JOB_CONTACTS:loop_end], contact_ids[loop_end:]


def _see_stream_through(state: StackState, store: LedgerStore, barrier_id: str) -> None:
    """Until the stream has handled every record written so far: a job's last records (a settle
    per link) are still queued when it succeeds, and what comes next is not to wait behind them.
    The stream is read in order, so once a contact archived now has its links settled, all
    that came before it has been handled."""
    _timed_loop(state, store, ChangeAction.ARCHIVE, [barrier_id])


def _timed_job(jobs: JobsApi, action: ChangeAction, contact_ids: list[str]) -> tuple[float, Job]:
    body = {"action": action.value, "contact_ids": contact_ids}
    started = time.perf_counter()
    job = jobs.submit(body, idempotency_key=f"bench-{uuid.uuid4()}").job  # a new job every run
    deadline = time.monotonic() + JOB_TIMEOUT_SECONDS
    while not job.finished and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        job = jobs.get(job.job_id)
    seconds = time.perf_counter() - started
    if not job.clean:
        raise RuntimeError(f"job {job.job_id} {job.status}: {job.counts}, {job.failures[:5]}")
    return seconds, job


def _timed_loop(
    state: StackState, store: LedgerStore, action: ChangeAction, contact_ids: list[str]
) -> float:
    started = time.perf_counter()
    with httpx.Client(base_url=state.api_url, timeout=30) as http:
        for contact_id in contact_ids:
            http.post(f"/contacts/{contact_id}/{action.value}", json={}).raise_for_status()
    wait_until_settled(store, state.tenant, contact_ids, action)
    return time.perf_counter() - started


def render(run: HttpRun) -> list[str]:
    links = ", ".join(f"{vendor} {count:,}" for vendor, count in sorted(run.job_links.items()))
    lines = [
        f"## (l) A job of {JOB_CONTACTS:,} against single calls over HTTP (wall time)",
        "",
        "`make run`'s server in a child process (DynamoDB Local, the jobs queue, SyncFunction on "
        "the table's stream, the four sandboxes on loopback ports, each function in warm "
        f"containers), seeded with {JOB_CONTACTS + LOOP_CONTACTS + BARRIERS:,} of `make seed`'s "
        "people in "
        f"{run.seed_seconds:.0f} s (the job's links: {links}). One job of {JOB_CONTACTS:,} is "
        "timed from `POST /jobs` until `GET /jobs/{id}` says succeeded; "
        f"{LOOP_CONTACTS} other contacts are changed one request after another and timed until "
        "the ledger shows all their links settled. Before each timed run the stream is seen "
        "through (a contact archived alone until its links settle), since a job's last records "
        "are still queued when it succeeds. Reconcile and sweep schedules off; the vendor "
        "clients' pacing is real (Constant Contact 4 requests a second, Sequence 1,500 a minute), "
        "and so are the Constant Contact sandbox's activity delays.",
        "",
        "| | contacts | wall time | contacts/s |",
        "| --- | ---: | ---: | ---: |",
    ]
    for row in run.times:
        lines.append(
            f"| {row.action.value}: {row.path} | {row.contacts:,} "
            f"| {row.seconds:,.1f} s | {row.rate:,.1f} |"
        )
    lines.append("")
    for job, loop in zip(run.times[::2], run.times[1::2], strict=True):
        ratio = job.rate / loop.rate
        verdict = "met" if ratio >= TARGET_RATIO else "missed"
        lines.append(
            f"- {job.action.value}: the job handles {ratio:.1f}x the contacts per second of "
            f"single calls (target ≥ {TARGET_RATIO}x: {verdict})."
        )
    lines.append("")
    return lines


if __name__ == "__main__":
    from devtools.dynamodb_local import DynamoDBLocal

    with DynamoDBLocal() as database:
        print("\n".join(render(measure(database.endpoint_url))))
