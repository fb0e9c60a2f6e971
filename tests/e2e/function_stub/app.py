"""A handler for the local runner's own tests (`tests/e2e/test_function_containers.py`): it does
what the event asks, so that a test can see what a container gives its function."""

from __future__ import annotations

import os
from typing import Any


def lambda_handler(event: dict[str, Any], context: Any) -> Any:
    action = event["action"]
    if action == "environment":
        return {name: os.environ.get(name) for name in event["names"]}
    if action == "context":
        return {
            "function_name": context.function_name,
            "request_id": context.aws_request_id,
            "time_left": context.get_remaining_time_in_millis() > 0,
        }
    if action == "print":
        print(event["text"])
        return None
    if action == "raise":
        raise ValueError(event["message"])
    if action == "die":
        os._exit(3)
    if action == "read_fifo":  # blocks until another container writes to it
        with open(event["path"], encoding="utf-8") as fifo:
            return fifo.read()
    if action == "write_fifo":
        with open(event["path"], "w", encoding="utf-8") as fifo:
            fifo.write(event["text"])
        return None
    raise ValueError(f"no such action: {action}")
