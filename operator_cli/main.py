"""`contact-archive`: the operator's command line for bulk jobs (typer).

    contact-archive jobs archive --file ids.csv [--reason R] [--vendors v1,v2] [--no-watch]
    contact-archive jobs restore --file ids.csv | --filter status=archived,vendor=sequence
    contact-archive jobs status|watch|cancel JOB_ID
    contact-archive jobs list [--limit N]
    contact-archive keys create --tenant T [--json] | list [--tenant T] | revoke KEY_ID

Exit codes: 0 the job succeeded and nothing failed; 1 something failed, or the job failed or was
cancelled; 2 a usage or API error (a 4xx shows its code and message); 3 the API cannot be reached;
130 watching was interrupted (the job goes on). Tests pass a `Runtime` as click's `obj` to answer
the HTTP calls in-process and to sleep without waiting.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console

from operator_cli.api import (
    DEFAULT_API_URL,
    ApiError,
    ApiUnreachable,
    Connection,
    Job,
    JobsApi,
)
from operator_cli.files import InputProblem
from operator_cli.keys import keys
from operator_cli.progress import JobProgress
from operator_cli.submission import job_requests
from operator_cli.tables import job_summary, jobs_table

# Polls that may fail in a row (API unreachable, 429, 5xx) before a watch gives up.
POLL_RETRIES = 5


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    UNREACHABLE = 3
    INTERRUPTED = 130  # the shell's code for Ctrl-C: the job itself goes on


@dataclass(frozen=True)
class Runtime:
    """What the commands take from outside the process; tests pass their own."""

    transport: httpx.BaseTransport | None = None
    sleep: Callable[[float], None] = time.sleep


@dataclass(frozen=True)
class Session:
    """One invocation: the runtime, the API's connection and the two consoles."""

    runtime: Runtime
    connection: Connection
    out: Console
    err: Console

    def api(self) -> JobsApi:
        return JobsApi(self.connection, transport=self.runtime.transport)

    def resume_command(self, job_id: str) -> str:
        """How to watch a job again, with the options that found this API (never the key)."""
        options = []
        if self.connection.api_url != DEFAULT_API_URL:
            options.append(f"--api-url {self.connection.shown_url}")
        if self.connection.tenant:
            options.append(f"--tenant {self.connection.tenant}")
        return " ".join(["contact-archive", *options, "jobs watch", job_id])

    @contextmanager
    def reported_errors(self) -> Iterator[None]:
        """The errors an operator can act on become a message and an exit code, not a traceback."""
        try:
            yield
        except InputProblem as problem:
            self.err.print(f"error: {problem}", soft_wrap=True)
            raise typer.Exit(ExitCode.USAGE) from None
        except ApiError as error:
            self.err.print(
                f"error: the API answered {error.status} {error.code}: {error.message}",
                soft_wrap=True,
            )
            raise typer.Exit(ExitCode.USAGE) from None
        except ApiUnreachable as error:
            self.err.print(f"error: {error}; is the API running (`make run`)?", soft_wrap=True)
            raise typer.Exit(ExitCode.UNREACHABLE) from None


app = typer.Typer(
    name="contact-archive",
    help="Operate contact-archive: bulk archive and restore jobs, API keys.",
    no_args_is_help=True,
    add_completion=False,
    # A traceback's locals would show the API key.
    pretty_exceptions_show_locals=False,
)
jobs = typer.Typer(help="Bulk archive and restore jobs.", no_args_is_help=True)
app.add_typer(jobs, name="jobs")
app.add_typer(keys, name="keys")


@app.callback()
def connect(
    ctx: typer.Context,
    api_url: Annotated[
        str, typer.Option(envvar="CONTACT_ARCHIVE_API_URL", help="The contact-archive API.")
    ] = DEFAULT_API_URL,
    tenant: Annotated[
        str | None,
        typer.Option(envvar="CONTACT_ARCHIVE_TENANT", help="Sent as X-Tenant-Id (local API)."),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            envvar="CONTACT_ARCHIVE_API_KEY",
            help="Sent as `Authorization: Bearer <key>`; never printed.",
            show_default=False,
        ),
    ] = None,
) -> None:
    if not api_url.startswith(("http://", "https://")):
        raise typer.BadParameter("give an http:// or https:// URL", param_hint="--api-url")
    runtime = ctx.obj if isinstance(ctx.obj, Runtime) else Runtime()
    ctx.obj = Session(
        runtime=runtime,
        connection=Connection(api_url=api_url.rstrip("/"), tenant=tenant, api_key=api_key),
        out=Console(markup=False, highlight=False),
        err=Console(stderr=True, markup=False, highlight=False),
    )


FileOption = Annotated[
    Path | None,
    typer.Option(
        "--file",
        exists=True,
        dir_okay=False,
        help="A CSV with a header: contact_id (or id), email, or vendor and vendor_id.",
    ),
]
FilterOption = Annotated[
    str | None,
    typer.Option(
        "--filter",
        help="Instead of a file: status=archived,vendor=sequence,email_domain=x.com,scope=c1",
    ),
]
ReasonOption = Annotated[str | None, typer.Option(help="Why: kept in every contact's history.")]
VendorsOption = Annotated[
    str | None,
    typer.Option(help="Only these vendors or links, comma-separated (sequence:<customer>)."),
]
WatchOption = Annotated[bool, typer.Option(help="Watch the job until it ends.")]
IntervalOption = Annotated[float, typer.Option(min=0.1, help="Seconds between polls.")]
KeyOption = Annotated[
    str | None,
    typer.Option(
        help="Use this Idempotency-Key instead of the one derived from the file and options "
        "(another key starts another job for the same contacts)."
    ),
]


@jobs.command("archive")
def archive(
    ctx: typer.Context,
    file: FileOption = None,
    filter_text: FilterOption = None,
    reason: ReasonOption = None,
    vendors: VendorsOption = None,
    watch: WatchOption = True,
    interval: IntervalOption = 1.0,
    idempotency_key: KeyOption = None,
) -> None:
    """Archive the contacts a CSV names (or a filter selects), as one job per 10,000."""
    _submit(
        ctx.obj, "archive", file, filter_text, reason, vendors, watch, interval, idempotency_key
    )


@jobs.command("restore")
def restore(
    ctx: typer.Context,
    file: FileOption = None,
    filter_text: FilterOption = None,
    reason: ReasonOption = None,
    vendors: VendorsOption = None,
    watch: WatchOption = True,
    interval: IntervalOption = 1.0,
    idempotency_key: KeyOption = None,
) -> None:
    """Restore the contacts a CSV names or a filter selects, as one job per 10,000."""
    _submit(
        ctx.obj, "restore", file, filter_text, reason, vendors, watch, interval, idempotency_key
    )


@jobs.command("erase")
def erase(
    ctx: typer.Context,
    file: FileOption = None,
    filter_text: FilterOption = None,
    reason: ReasonOption = None,
    watch: WatchOption = True,
    interval: IntervalOption = 1.0,
    idempotency_key: KeyOption = None,
) -> None:
    """Erase for good the contacts a CSV names or a filter selects (their data leaves the
    ledger, Intercom deletes them, the other vendors archive them), as one job per 10,000."""
    _submit(ctx.obj, "erase", file, filter_text, reason, None, watch, interval, idempotency_key)


@jobs.command("watch")
def watch_job(ctx: typer.Context, job_id: str, interval: IntervalOption = 1.0) -> None:
    """Watch a job's progress until it ends (Ctrl-C stops watching, not the job)."""
    session: Session = ctx.obj
    with session.reported_errors(), session.api() as api:
        code = _watch_all(session, api, [job_id], interval)
    raise typer.Exit(code)


@jobs.command("status")
def status(ctx: typer.Context, job_id: str) -> None:
    """Print a job's summary once; exits like `watch` once the job has ended."""
    session: Session = ctx.obj
    with session.reported_errors(), session.api() as api:
        job = api.get(job_id)
    session.out.print(job_summary(job))
    raise typer.Exit(ExitCode.FAILED if job.finished and not job.clean else ExitCode.OK)


@jobs.command("list")
def list_jobs(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many jobs.")] = 20,
    cursor: Annotated[str | None, typer.Option(help="The page after a previous list.")] = None,
) -> None:
    """List the tenant's jobs, newest first."""
    session: Session = ctx.obj
    with session.reported_errors(), session.api() as api:
        page = api.list_page(limit, cursor)
    session.out.print(jobs_table(page.jobs))
    if page.next_cursor:
        session.out.print(
            f"More: contact-archive jobs list --limit {limit} --cursor {page.next_cursor}",
            soft_wrap=True,
        )


@jobs.command("cancel")
def cancel(ctx: typer.Context, job_id: str) -> None:
    """Cancel a job: what has not started will not; what is done stays done."""
    session: Session = ctx.obj
    with session.reported_errors(), session.api() as api:
        job = api.cancel(job_id)
    session.out.print(job_summary(job))


def _submit(
    session: Session,
    action: str,
    file: Path | None,
    filter_text: str | None,
    reason: str | None,
    vendors: str | None,
    watch: bool,
    interval: float,
    idempotency_key: str | None,
) -> None:
    with session.reported_errors():
        submission = job_requests(action, file, filter_text, reason, vendors, idempotency_key)
        for note in submission.notes:
            session.out.print(note)
        job_ids: list[str] = []
        parts = len(submission.requests)
        with session.api() as api:
            try:
                for part, request in enumerate(submission.requests, start=1):
                    submitted = api.submit(request.body, request.idempotency_key)
                    job_ids.append(submitted.job.job_id)
                    _print_submitted(session, submitted.job, submitted.replayed, part, parts)
            except KeyboardInterrupt:
                # The keys are the requests': the same command again finds what was submitted.
                session.out.print("Interrupted while submitting: run the same command again.")
                raise typer.Exit(ExitCode.INTERRUPTED) from None
            code = _watch_all(session, api, job_ids, interval) if watch else ExitCode.OK
    raise typer.Exit(code)


def _print_submitted(session: Session, job: Job, replayed: bool, part: int, parts: int) -> None:
    which = f" (part {part} of {parts})" if parts > 1 else ""
    if replayed:
        session.out.print(
            f"Found {job.action} job {job.job_id}{which}: submitted by an earlier run."
        )
    else:
        session.out.print(f"Submitted {job.action} job {job.job_id}{which}.")
    session.out.print(f"  watch it: {session.resume_command(job.job_id)}", soft_wrap=True)


def _watch_all(session: Session, api: JobsApi, job_ids: list[str], interval: float) -> ExitCode:
    """Watch each job to its end and print its summary; Ctrl-C says how to come back."""
    code = ExitCode.OK
    for index, job_id in enumerate(job_ids):
        try:
            job = _watch(session, api, job_id, interval)
        except KeyboardInterrupt:
            going_on = "the job goes on" if index == len(job_ids) - 1 else "the jobs go on"
            session.out.print(f"Stopped watching; {going_on}. Resume with:")
            for remaining in job_ids[index:]:
                session.out.print(f"  {session.resume_command(remaining)}", soft_wrap=True)
            return ExitCode.INTERRUPTED
        session.out.print(job_summary(job))
        code = max(code, ExitCode.OK if job.clean else ExitCode.FAILED)
    return code


def _watch(session: Session, api: JobsApi, job_id: str, interval: float) -> Job:
    """Poll the job into the live view until it has ended."""
    failed_polls = 0
    job: Job | None = None
    with JobProgress(session.out, job_id) as view:
        while True:
            try:
                job = api.get(job_id)
            except (ApiError, ApiUnreachable) as problem:
                # Once the job has been seen, a gateway's bad moment should not end the watch.
                transient = isinstance(problem, ApiUnreachable) or problem.transient
                failed_polls += 1
                if job is None or not transient or failed_polls > POLL_RETRIES:
                    raise
                view.note(f"poll failed: {problem}; trying again")
            else:
                failed_polls = 0
                view.show(job)
                if job.finished:
                    return job
            session.runtime.sleep(interval)


def main() -> None:
    """The console script `contact-archive`."""
    app()


if __name__ == "__main__":
    main()
