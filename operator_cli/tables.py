"""The tables the CLI prints: a job's summary (counts, per vendor link, failures) and a list of jobs."""

from __future__ import annotations

from rich.console import Group, JustifyMethod, RenderableType
from rich.table import Table
from rich.text import Text

from operator_cli.api import Counts, Job
from operator_cli.progress import counted

FAILURES_SHOWN = 20


def job_summary(job: Job, failures_shown: int = FAILURES_SHOWN) -> RenderableType:
    """The counts, all and per vendor link, then the first failures and how many more there are."""
    counts = Table(title=f"{job.action} job {job.job_id}: {job.status}", title_justify="left")
    counts.add_column("")
    for name in ("total", "done", "succeeded", "failed", "skipped", "pending"):
        counts.add_column(name, justify="right")
    counts.add_row("all", *_count_cells(job.counts))
    for vendor, vendor_counts in sorted(job.vendors_counts.items()):
        counts.add_row(vendor, *_count_cells(vendor_counts))
    parts: list[RenderableType] = [counts]
    failures_total = max(job.counts.failed, len(job.failures))
    if failures_total:
        parts.append(_failures(job, failures_shown, failures_total))
    parts.append(verdict(job))
    return Group(*parts)


def verdict(job: Job) -> Text:
    """One line saying whether the job did what was asked."""
    if not job.finished:
        return Text(f"Job {job.job_id} is {job.status}.", style="yellow")
    if job.clean:
        return Text(f"Job {job.job_id} succeeded: nothing failed.", style="green")
    if job.status == "succeeded":
        return Text(f"Job {job.job_id} succeeded, but {job.counts.failed:,} failed.", style="red")
    failed = f": {job.counts.failed:,} failed" if job.counts.failed else ""
    return Text(f"Job {job.job_id} {job.status}{failed}.", style="red")


def jobs_table(jobs: list[Job]) -> Table:
    """Jobs newest first, as `GET /jobs` lists them."""
    table = Table(title="Jobs", title_justify="left")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("job", "left"),
        ("action", "left"),
        ("status", "left"),
        ("selector", "left"),
        ("done", "right"),
        ("failed", "right"),
        ("created", "left"),
    )
    for name, justify in columns:
        table.add_column(name, justify=justify)
    for job in jobs:
        table.add_row(
            job.job_id,
            job.action,
            job.status,
            _selector(job),
            f"{counted(job.counts.done)}/{counted(job.counts.total)}",
            counted(job.counts.failed),
            job.created_at or "",
        )
    return table


def _count_cells(counts: Counts) -> list[str]:
    return [
        counted(counts.total),
        counted(counts.done),
        counted(counts.succeeded),
        counted(counts.failed),
        counted(counts.skipped),
        counted(counts.pending),
    ]


def _failures(job: Job, shown: int, total: int) -> RenderableType:
    table = Table(title=f"Failures ({total:,})", title_justify="left")
    table.add_column("contact")
    table.add_column("vendor")
    table.add_column("reason")
    for failure in job.failures[:shown]:
        table.add_row(failure.contact_id, failure.vendor or "", failure.reason)
    rest = total - min(shown, len(job.failures))
    if rest <= 0:
        return table
    more = Text(f"... and {rest:,} more failures not shown", style="red")
    return Group(table, more)


def _selector(job: Job) -> str:
    if job.selector_filter:
        return "filter " + ",".join(f"{k}={v}" for k, v in sorted(job.selector_filter.items()))
    if job.selector_kind:
        return f"{job.selector_kind} ({counted(job.selector_size)})"
    return ""
