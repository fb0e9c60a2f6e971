"""Run the template's Lambda handlers locally, with the environment Lambda would give them.

Used by the local API (`make run`) and by `make invoke`. Each function runs in a warm container of
its own (`devtools/containers.py`: a child process with only its environment, the handler imported
once from `functions/<dir>/` with `shared/`, the layer, on `sys.path`), one event at a time, while
other functions' containers run theirs.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from devtools import REPO_ROOT
from devtools.containers import FunctionContainer, FunctionError, FunctionSpec
from devtools.template import function_code, function_environment, functions

LAYER_DIR = REPO_ROOT / "shared"
LOCAL_TABLE_NAME = "contact-archive-local"
LOCAL_DATA_DIR = REPO_ROOT / ".local" / "dynamodb"
LOCAL_DYNAMODB_PORT = 8000
# Signs list cursors locally (CURSOR_SIGNING_KEY wins over CURSOR_SECRET_ARN). Not a secret:
# deployed functions read theirs from Secrets Manager.
LOCAL_CURSOR_SIGNING_KEY = "local-development-cursor-signing-key-not-secret"
# Keys the erased emails' hashes locally (ERASURE_KEY wins over ERASURE_SECRET_ARN).
LOCAL_ERASURE_KEY = "local-development-erasure-key-not-secret"
REGION = "us-east-1"


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int = 256
    timeout_seconds: int = 10
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:000000000000:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"local/[{self.function_version}]{self.aws_request_id[:8]}"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self.started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


def base_environment(endpoint_url: str, table_name: str = LOCAL_TABLE_NAME) -> dict[str, str]:
    """What every local function sees on top of its template environment."""
    return {
        "TABLE_NAME": table_name,
        "CURSOR_SIGNING_KEY": LOCAL_CURSOR_SIGNING_KEY,
        "ERASURE_KEY": LOCAL_ERASURE_KEY,
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint_url,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
    }


# Never let a local run reach a real account through the developer's own configuration.
_REMOVED = (
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "CURSOR_SECRET_ARN",
    "ERASURE_SECRET_ARN",
)


class FunctionRunner:
    """Invoke any function of the template in warm containers (`containers.py`), as Lambda
    does: one event at a time per container, another container started when every one of the
    function's is busy, several functions at once. `close()` stops them."""

    def __init__(
        self,
        template: dict[str, Any],
        endpoint_url: str,
        table_name: str = LOCAL_TABLE_NAME,
        extra_environment: dict[str, str] | None = None,
        *,
        output: TextIO | None = None,
    ) -> None:
        """`output`: where the handlers' stdout and stderr go (default: this process's own)."""
        self.template = template
        self.endpoint_url = endpoint_url
        self.table_name = table_name
        self.extra_environment = dict(extra_environment or {})
        self._output = output
        self._started: dict[str, list[FunctionContainer]] = {}  # every container, by function
        self._idle: dict[str, list[FunctionContainer]] = {}
        self._lock = threading.Lock()
        self._closed = False
        if str(LAYER_DIR) not in sys.path:
            sys.path.insert(0, str(LAYER_DIR))

    @property
    def function_ids(self) -> list[str]:
        return list(functions(self.template))

    def environment_for(self, logical_id: str) -> dict[str, str]:
        """The function's variables (template, local endpoints, the runner's extras)."""
        variables = function_environment(
            self.template, logical_id, {"LedgerTable": self.table_name}
        )
        variables.update(base_environment(self.endpoint_url, self.table_name))
        variables.update(self.extra_environment)
        return variables

    def cold_starts(self, logical_id: str) -> int:
        """How often the function's handler was loaded (a container started or replaced)."""
        with self._lock:
            return sum(container.cold_starts for container in self._started.get(logical_id, []))

    def warm(self, logical_ids: list[str]) -> dict[str, FunctionError]:
        """Start a container for each of these functions at once (their cold starts side by
        side); the errors of those whose handler did not load."""
        failed: dict[str, FunctionError] = {}

        def start(logical_id: str) -> None:
            container = self._take(logical_id)
            try:
                container.start()
            except FunctionError as error:
                failed[logical_id] = error
            finally:
                self._give_back(container)

        threads = [threading.Thread(target=start, args=(name,)) for name in logical_ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return failed

    def invoke(self, logical_id: str, event: Any, request_id: str | None = None) -> Any:
        """Call the handler with `event` in an idle container of the function (a new one if
        none is); its result, or `FunctionError` with what it raised."""
        container = self._take(logical_id)
        try:
            return container.invoke(event, request_id or str(uuid.uuid4()))
        finally:
            self._give_back(container)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            containers = [c for started in self._started.values() for c in started]
            self._idle.clear()
        for container in containers:
            container.stop()

    def __enter__(self) -> FunctionRunner:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _take(self, logical_id: str) -> FunctionContainer:
        with self._lock:
            if self._closed:
                raise FunctionError(logical_id, "RunnerClosed", "the local stack is stopping")
            idle = self._idle.setdefault(logical_id, [])
            if idle:
                return idle.pop()
            container = self._new_container(logical_id)
            self._started.setdefault(logical_id, []).append(container)
            return container

    def _give_back(self, container: FunctionContainer) -> None:
        with self._lock:
            if not self._closed:
                self._idle.setdefault(container.spec.logical_id, []).append(container)
                return
        container.stop()  # the stack stopped while it ran

    def _new_container(self, logical_id: str) -> FunctionContainer:
        code_dir, handler = function_code(self.template, logical_id)
        properties = functions(self.template)[logical_id]
        spec = FunctionSpec(
            logical_id=logical_id,
            code_dir=code_dir,
            handler=handler,
            function_name=f"contact-archive-local-{logical_id}",
            memory_limit_in_mb=int(properties.get("MemorySize", 128)),
            timeout_seconds=int(properties.get("Timeout", 3)),
        )
        # The machine's own variables (PATH, the interpreter's), less anything that could reach
        # a real account, then the function's.
        environment = {k: v for k, v in os.environ.items() if k not in _REMOVED}
        environment.update(self.environment_for(logical_id))
        output = self._output
        if output is None:
            return FunctionContainer(spec, environment)
        return FunctionContainer(spec, environment, stdout=lambda: output, stderr=lambda: output)


def function_ids(template: dict[str, Any]) -> list[str]:
    return list(functions(template))


def repo_path(path: str | Path) -> Path:
    """A path given on the command line, relative to the current directory or the repo."""
    candidate = Path(path)
    if candidate.exists() or candidate.is_absolute():
        return candidate
    return REPO_ROOT / candidate


@contextlib.contextmanager
def local_dynamodb(
    port: int | None = None, data_dir: Path = LOCAL_DATA_DIR, log: Callable[[str], None] = print
) -> Iterator[str]:
    """The endpoint of the local DynamoDB: `DYNAMODB_ENDPOINT` if set, else the one already
    answering on the local port (a running `make run`), else DynamoDB Local started here on that
    port with its data in `data_dir`, and stopped on exit."""
    from devtools.dynamodb_local import DynamoDBLocal, answers

    configured = os.environ.get("DYNAMODB_ENDPOINT")
    if configured:
        log(f"Using DynamoDB at {configured} (DYNAMODB_ENDPOINT)")
        yield configured
        return
    port = port or int(os.environ.get("DYNAMODB_PORT", LOCAL_DYNAMODB_PORT))
    running = f"http://127.0.0.1:{port}"
    if answers(running):
        log(f"Using the DynamoDB Local already answering on {running}")
        yield running
        return
    log(f"Starting DynamoDB Local on {running} (data in {_shown(data_dir)}) ...")
    try:
        with DynamoDBLocal(port=port, db_path=data_dir) as server:
            yield server.endpoint_url
    finally:
        log("DynamoDB Local stopped")


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)
