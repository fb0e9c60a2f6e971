"""Progress for `make seed`: rich's bars on a terminal, plain lines elsewhere (a pipe, a test, or
no rich installed)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol, TextIO

Advance = Callable[[int], None]  # called from any thread with how many more are done
PLAIN_STEPS = 10  # a plain task reports every tenth of the way


class Progress(Protocol):
    def task(self, description: str, total: int) -> AbstractContextManager[Advance]: ...

    def say(self, line: str) -> None: ...


class PlainProgress:
    """A line when a task starts, at every tenth of it, and when it ends."""

    def __init__(self, stream: TextIO = sys.stdout) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def say(self, line: str) -> None:
        with self._lock:
            print(line, file=self._stream, flush=True)

    @contextmanager
    def task(self, description: str, total: int) -> Iterator[Advance]:
        done = 0
        reported = 0
        step = max(1, total // PLAIN_STEPS)

        def advance(count: int) -> None:
            nonlocal done, reported
            with self._lock:
                done += count
                if done - reported >= step and done < total:
                    reported = done
                    print(f"  {description}: {done:,}/{total:,}", file=self._stream, flush=True)

        self.say(f"  {description}: {total:,} to seed")
        yield advance
        self.say(f"  {description}: {done:,}/{total:,} done")


class RichProgress:
    """One bar a task, with its count, rate and time left."""

    def __init__(self) -> None:
        from rich.console import Console

        self._console = Console()

    def say(self, line: str) -> None:
        self._console.print(line, highlight=False, markup=False, soft_wrap=True)

    @contextmanager
    def task(self, description: str, total: int) -> Iterator[Advance]:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as Bars

        with Bars(
            TextColumn("{task.description:<24}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self._console,
        ) as bars:
            task = bars.add_task(description, total=total)
            yield lambda count: bars.advance(task, count)


def make_progress() -> Progress:
    """Bars when rich is installed and the output is a terminal."""
    if sys.stdout.isatty():
        try:
            return RichProgress()
        except ImportError:
            pass
    return PlainProgress()
