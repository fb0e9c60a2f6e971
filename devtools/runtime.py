"""Run the template's Lambda handlers in this process, with the environment Lambda would give them.

Used by the local API (`make run`) and by `make invoke`. A handler module is imported once per
process (like a warm container) from `functions/<dir>/<module>.py` under a unique module name, with
`shared/` (the layer) on `sys.path`. Each call runs with the function's own environment variables
and under one lock, since the environment is process-wide.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from devtools import REPO_ROOT
from devtools.template import function_code, function_environment, functions

LAYER_DIR = REPO_ROOT / "shared"
LOCAL_TABLE_NAME = "contact-archive-local"
LOCAL_DATA_DIR = REPO_ROOT / ".local" / "dynamodb"
LOCAL_DYNAMODB_PORT = 8000
# Signs list cursors locally (CURSOR_SIGNING_KEY wins over CURSOR_SECRET_ARN). Not a secret:
# deployed functions read theirs from Secrets Manager.
LOCAL_CURSOR_SIGNING_KEY = "local-development-cursor-signing-key-not-secret"
REGION = "us-east-1"

Handler = Callable[[dict[str, Any], Any], Any]


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
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint_url,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
    }


# Never let a local run reach a real account through the developer's own configuration.
_REMOVED = ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "CURSOR_SECRET_ARN")


@contextlib.contextmanager
def environment(variables: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    try:
        for name in _REMOVED:
            os.environ.pop(name, None)
        os.environ.update(variables)
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class FunctionRunner:
    """Invoke any function of the template in-process, one call at a time."""

    def __init__(
        self,
        template: dict[str, Any],
        endpoint_url: str,
        table_name: str = LOCAL_TABLE_NAME,
        extra_environment: dict[str, str] | None = None,
    ) -> None:
        self.template = template
        self.endpoint_url = endpoint_url
        self.table_name = table_name
        self.extra_environment = dict(extra_environment or {})
        self._handlers: dict[str, Handler] = {}
        self._lock = threading.RLock()
        if str(LAYER_DIR) not in sys.path:
            sys.path.insert(0, str(LAYER_DIR))

    @property
    def function_ids(self) -> list[str]:
        return list(functions(self.template))

    def environment_for(self, logical_id: str) -> dict[str, str]:
        variables = function_environment(
            self.template, logical_id, {"LedgerTable": self.table_name}
        )
        variables.update(base_environment(self.endpoint_url, self.table_name))
        variables.update(self.extra_environment)
        return variables

    def handler(self, logical_id: str) -> Handler:
        """The function's handler, imported on first use (under the function's environment)."""
        with self._lock:
            if logical_id not in self._handlers:
                with environment(self.environment_for(logical_id)):
                    self._handlers[logical_id] = _import_handler(self.template, logical_id)
            return self._handlers[logical_id]

    def invoke(self, logical_id: str, event: Any, request_id: str | None = None) -> Any:
        """Call the handler with `event` and a Lambda-like context; exceptions propagate."""
        properties = functions(self.template)[logical_id]
        context = LambdaContext(
            function_name=f"contact-archive-local-{logical_id}",
            memory_limit_in_mb=int(properties.get("MemorySize", 128)),
            timeout_seconds=int(properties.get("Timeout", 3)),
            aws_request_id=request_id or str(uuid.uuid4()),
        )
        with self._lock:
            handler = self.handler(logical_id)
            with environment(self.environment_for(logical_id)):
                return handler(event, context)


def _import_handler(template: dict[str, Any], logical_id: str) -> Handler:
    code_dir, handler_path = function_code(template, logical_id)
    module_name, _, attribute = handler_path.rpartition(".")
    directory = (REPO_ROOT / code_dir).resolve()
    source = directory / (module_name.replace(".", "/") + ".py")
    if not source.is_file():
        raise FileNotFoundError(f"{logical_id}: handler module {source} does not exist")
    unique = f"local_function_{logical_id}_{module_name.replace('.', '_')}"
    spec = importlib.util.spec_from_file_location(unique, source)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {source}")
    module: ModuleType = importlib.util.module_from_spec(spec)
    sys.modules[unique] = module
    # The function's own directory is importable while its module loads, as in Lambda.
    sys.path.insert(0, str(directory))
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(unique, None)
        raise
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(str(directory))
    handler = getattr(module, attribute, None)
    if not callable(handler):
        raise AttributeError(f"{source} has no callable {attribute!r}")
    return handler  # type: ignore[no-any-return]


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
