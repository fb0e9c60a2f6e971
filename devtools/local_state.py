"""Where a running `make run` says what it serves, for other processes (`make seed`).

`make run` writes `.local/stack-<port>.json` once it listens and removes it when it stops: the
API's URL and tenant, the DynamoDB endpoint and table it uses, the vendor sandboxes' base URLs
(none when it uses credentials of the developer's own), and its event bus and SQS endpoints. One file per API port, so a stack a test
starts on a free port never overwrites the developer's. `LOCAL_STATE_DIR` moves the folder (the
tests keep theirs in a temporary one). No secret goes in it: the sandboxes' credentials are
rebuilt from `SandboxStack`'s defaults by whoever needs them.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from devtools import REPO_ROOT

STATE_DIR_VARIABLE = "LOCAL_STATE_DIR"


@dataclass(frozen=True)
class StackState:
    pid: int
    api_url: str
    tenant: str
    dynamodb_endpoint: str
    table_name: str
    sandboxes: dict[str, str] = field(default_factory=dict)  # vendor -> base URL
    # The stand-ins `sam local` is pointed at too (`devtools/env_vars.py`): EventBridge and SQS.
    event_bus_url: str = ""
    sqs_endpoint: str = ""


def state_dir() -> Path:
    configured = os.environ.get(STATE_DIR_VARIABLE)
    return Path(configured) if configured else REPO_ROOT / ".local"


def state_path(port: int, directory: Path | None = None) -> Path:
    return (directory or state_dir()) / f"stack-{port}.json"


@contextlib.contextmanager
def published(port: int, state: StackState) -> Iterator[Path]:
    """`state` in its file for the `with` block; removed after, unless another process has
    written its own there meanwhile."""
    path = state_path(port)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(asdict(state), indent=2) + "\n", encoding="utf-8")
    partial.replace(path)  # readers never see half a file
    try:
        yield path
    finally:
        current = read_state(port)
        if current is not None and current.pid == state.pid:
            path.unlink(missing_ok=True)


def read_state(port: int, directory: Path | None = None) -> StackState | None:
    """What the stack on `port` published (in `directory`, by default `state_dir()`), or None
    when no file is there (or it is unreadable)."""
    try:
        raw = json.loads(state_path(port, directory).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(raw, Mapping):
        return None
    try:
        return StackState(
            pid=int(raw["pid"]),
            api_url=str(raw["api_url"]),
            tenant=str(raw["tenant"]),
            dynamodb_endpoint=str(raw["dynamodb_endpoint"]),
            table_name=str(raw["table_name"]),
            sandboxes={str(k): str(v) for k, v in dict(raw.get("sandboxes") or {}).items()},
            event_bus_url=str(raw.get("event_bus_url") or ""),
            sqs_endpoint=str(raw.get("sqs_endpoint") or ""),
        )
    except (KeyError, TypeError, ValueError):
        return None


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True
