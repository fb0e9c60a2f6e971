"""The live view of a job being watched: one progress bar and a line of counts per vendor link.

Done is succeeded + failed + skipped out of the job's total; while the job is still selecting its
contacts the total is unknown and the bar is indeterminate. The view only draws what it is shown
(`show`): polling is the caller's, so a test drives it with jobs of its own.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from operator_cli.api import Counts, Job


def counted(value: int | None) -> str:
    """A count, or `?` while the API does not know it yet."""
    return "?" if value is None else f"{value:,}"


class JobProgress:
    """A rich `Live` view of one job; use it as a context manager around the polling."""

    def __init__(self, console: Console, job_id: str) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]}", style="red"),
            TimeElapsedColumn(),
            console=console,
        )
        self._task: TaskID = self._progress.add_task(job_id, total=None, failed="")
        self._vendors: dict[str, Counts] = {}
        self._live = Live(
            console=console,
            get_renderable=self._render,
            refresh_per_second=4,
            transient=False,
        )

    def __enter__(self) -> Self:
        self._live.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # Stopping draws the last state once more, also where the output is not a terminal; there
        # rich leaves the line open.
        self._live.stop()
        if not self._live.console.is_terminal:
            self._live.console.line()

    @property
    def completed(self) -> float:
        return self._progress.tasks[0].completed

    @property
    def total(self) -> float | None:
        return self._progress.tasks[0].total

    def show(self, job: Job) -> None:
        counts = job.counts
        failed = f"{counts.failed:,} failed" if counts.failed else ""
        description = f"{job.action} {job.job_id} {job.status}"
        if counts.total is not None:
            # A total, once known, stays: rich's `update` cannot set it back to unknown.
            self._progress.update(self._task, total=counts.total)
        self._progress.update(
            self._task, completed=counts.done, description=description, failed=failed
        )
        self._vendors = dict(job.vendors_counts)
        self._live.refresh()

    def note(self, message: str) -> None:
        """A line above the live view (a poll that failed and will be tried again)."""
        self._live.console.print(message, markup=False, highlight=False)

    def _render(self) -> RenderableType:
        if not self._vendors:
            return self._progress
        lines = Table.grid(padding=(0, 2))
        for _ in range(5):
            lines.add_column(justify="right")
        lines.columns[0].justify = "left"
        for vendor, counts in sorted(self._vendors.items()):
            total = "?" if counts.total is None else counts.total  # plain, as the bar's M/N
            lines.add_row(
                f"  {vendor}",
                f"{counts.done}/{total} done",
                f"{counts.failed} failed",
                f"{counts.skipped} skipped",
                f"{counts.pending} pending",
            )
        return Group(self._progress, lines)
