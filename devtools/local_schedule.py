"""The local stack's schedule: ReconcileFunction invoked with `events/reconcile_schedule.json`
every `LOCAL_RECONCILE_SECONDS` (default 60; 0 turns it off), as EventBridge would deployed.

Each run's summary is printed, one line per tenant and vendor that found drift or stopped early;
the `ContactDriftDetected` events it announces show up with the local event bus's.
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
SCHEDULE_EVENT = REPO_ROOT / "events" / "reconcile_schedule.json"
QUIET_STOPS = frozenset({"pass_complete", "max_pages"})


def interval_from_environment() -> float:
    value = os.environ.get("LOCAL_RECONCILE_SECONDS", "")
    return float(value) if value else DEFAULT_INTERVAL_SECONDS


class LocalSchedule:
    """Calls `invoke(event)` every `interval` seconds on a daemon thread, until stopped."""

    def __init__(self, invoke: Callable[[dict[str, Any]], Any], interval: float) -> None:
        self._invoke = invoke
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LocalSchedule:
        if self._interval > 0:
            print(
                f"ReconcileFunction runs every {self._interval:g} s"
                " (LOCAL_RECONCILE_SECONDS; 0 turns it off)",
                flush=True,
            )
            self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def run_once(self) -> Any:
        event = json.loads(SCHEDULE_EVENT.read_text(encoding="utf-8"))
        answer = self._invoke(event)
        for pair in (answer or {}).get("pairs", []):
            if pair.get("drifts") or pair.get("stopped") not in QUIET_STOPS:
                print(
                    f"reconcile {pair['tenant_id']}/{pair['vendor']}: {pair['drifts']} drift,"
                    f" {pair['checked']} checked, stopped: {pair['stopped']}",
                    flush=True,
                )
        return answer

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - a failed run is shown; the next one comes anyway
                print("ReconcileFunction failed:", flush=True)
                traceback.print_exc()
