"""The local stack's schedules, as EventBridge runs them deployed: ReconcileFunction invoked with
`events/reconcile_schedule.json` every `LOCAL_RECONCILE_SECONDS`, SweepFunction with
`events/sweep_schedule.json` every `LOCAL_SWEEP_SECONDS` (each default 60; 0 turns it off).

What a run did is printed: one line per tenant and vendor that found drift or stopped early, one
line per sweep that drove links; the `ContactDriftDetected` events reconciliation announces show
up with the local event bus's.
"""

from __future__ import annotations

import json
import os
import threading
import traceback
from collections.abc import Callable
from typing import Any

from devtools import REPO_ROOT

DEFAULT_INTERVAL_SECONDS = 60.0
QUIET_STOPS = frozenset({"pass_complete", "max_pages"})


def report_reconcile(answer: Any) -> None:
    for pair in (answer or {}).get("pairs", []):
        if pair.get("drifts") or pair.get("stopped") not in QUIET_STOPS:
            print(
                f"reconcile {pair['tenant_id']}/{pair['vendor']}: {pair['drifts']} drift,"
                f" {pair['checked']} checked, stopped: {pair['stopped']}",
                flush=True,
            )


def report_sweep(answer: Any) -> None:
    if (answer or {}).get("links") or (answer or {}).get("erased"):
        print(
            f"sweep: {answer['links']} links driven on {answer['contacts']} contacts,"
            f" {answer['waiting']} waiting, {answer.get('erased', 0)} erased (retention)",
            flush=True,
        )


# The scheduled functions: their sample event, the variable that sets their interval, and what
# of a run's answer is printed.
SCHEDULES: dict[str, tuple[str, str, Callable[[Any], None]]] = {
    "ReconcileFunction": ("reconcile_schedule", "LOCAL_RECONCILE_SECONDS", report_reconcile),
    "SweepFunction": ("sweep_schedule", "LOCAL_SWEEP_SECONDS", report_sweep),
}


def interval_from_environment(function: str = "ReconcileFunction") -> float:
    value = os.environ.get(SCHEDULES[function][1], "")
    return float(value) if value else DEFAULT_INTERVAL_SECONDS


class LocalSchedule:
    """Calls `invoke(event)` every `interval` seconds on a daemon thread, until stopped."""

    def __init__(
        self,
        invoke: Callable[[dict[str, Any]], Any],
        interval: float,
        function: str = "ReconcileFunction",
    ) -> None:
        self._invoke = invoke
        self._interval = interval
        self._function = function
        event_name, self._variable, self._report = SCHEDULES[function]
        self._event = REPO_ROOT / "events" / f"{event_name}.json"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LocalSchedule:
        if self._interval > 0:
            print(
                f"{self._function} runs every {self._interval:g} s"
                f" ({self._variable}; 0 turns it off)",
                flush=True,
            )
            self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def run_once(self) -> Any:
        event = json.loads(self._event.read_text(encoding="utf-8"))
        answer = self._invoke(event)
        self._report(answer)
        return answer

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - a failed run is shown; the next one comes anyway
                print(f"{self._function} failed:", flush=True)
                traceback.print_exc()
