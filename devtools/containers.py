"""Warm Lambda containers for the local stack: one child process per function, as Lambda keeps
one execution environment per concurrent invocation.

Each container is started with the function's own environment (nothing else's leaks in, as in
Lambda), imports its handler once (a cold start), then runs one event at a time. Containers of
different functions run at once, on the machine's other cores: a 15-minute job unit, a stream
batch and an API request no longer wait for each other, and the layer's once-per-container
state (`get_settings`, the store, the vendor clients) is each function's own.

The parent sends an event as one JSON line on the child's stdin; the child answers on a pipe of
its own (the handler's result as JSON, or its error's type and message, the traceback printed on
its stderr as Lambda logs it). The handler's stdout and stderr are relayed line by line to the
runner's (`make run`'s terminal, a test's capture). Run as `python -m devtools.containers` by
`FunctionContainer` only.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any, TextIO

from devtools import REPO_ROOT

STOP_SECONDS = 5.0
PARENT_CHECK_SECONDS = 1.0

Handler = Callable[[dict[str, Any], Any], Any]


class FunctionError(Exception):
    """The handler raised (its type and message as Lambda reports them), or its container died."""

    def __init__(self, logical_id: str, error_type: str, message: str) -> None:
        super().__init__(f"{logical_id}: {error_type}: {message}")
        self.logical_id = logical_id
        self.error_type = error_type


def error_type(error: Exception) -> str:
    """What failed, for a log line: the handler's own error type when it came from one."""
    return error.error_type if isinstance(error, FunctionError) else type(error).__name__


@dataclass(frozen=True)
class FunctionSpec:
    """What a container needs to load its function: where its code is, and how Lambda calls it."""

    logical_id: str
    code_dir: str  # the template's CodeUri, relative to the repository
    handler: str  # the template's Handler: `module.attribute`
    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: int


class FunctionContainer:
    """One function's warm container: started on first use, one event at a time, started again
    after it died (as Lambda replaces a crashed execution environment)."""

    def __init__(
        self,
        spec: FunctionSpec,
        environment: dict[str, str],
        *,
        stdout: Callable[[], TextIO] = lambda: sys.stdout,
        stderr: Callable[[], TextIO] = lambda: sys.stderr,
        command: list[str] | None = None,
        cwd: Path = REPO_ROOT,
    ) -> None:
        """`command`: what runs the container (the answers' file descriptor is appended), by
        default this module; another speaks the same protocol (`devtools/lambda_bootstrap.py`)."""
        self.spec = spec
        self._command = command or [sys.executable, "-m", "devtools.containers"]
        self._cwd = cwd
        self._environment = environment
        self._stdout = stdout
        self._stderr = stderr
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._answers: IO[str] | None = None
        self._relays: list[threading.Thread] = []
        self.cold_starts = 0

    def start(self) -> None:
        """Start the container and load the handler, unless it is running; `FunctionError` if
        the handler does not load."""
        with self._lock:
            self._ensure_started()

    def invoke(self, event: Any, request_id: str) -> Any:
        with self._lock:
            self._ensure_started()
            assert self._process is not None and self._process.stdin is not None
            try:
                self._process.stdin.write(json.dumps({"event": event, "request_id": request_id}))
                self._process.stdin.write("\n")
                self._process.stdin.flush()
            except (BrokenPipeError, OSError):
                self._stop_process()
                raise FunctionError(self.spec.logical_id, "ContainerExited", "it died") from None
            return self._answer()

    def stop(self) -> None:
        with self._lock:
            self._stop_process()

    def _ensure_started(self) -> None:
        if self._process is not None and self._process.poll() is None:
            return
        self._stop_process()
        read_end, write_end = os.pipe()
        try:
            self._process = subprocess.Popen(  # noqa: S603 - this interpreter, fixed module
                [*self._command, str(write_end)],
                cwd=self._cwd,
                env=self._environment,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                pass_fds=(write_end,),
            )
        finally:
            os.close(write_end)
        self._answers = os.fdopen(read_end, encoding="utf-8")
        self.cold_starts += 1
        process = self._process
        assert process.stdin is not None and process.stdout is not None
        self._relays = [
            _relay(process.stdout, self._stdout, f"{self.spec.logical_id}-stdout"),
            _relay(process.stderr, self._stderr, f"{self.spec.logical_id}-stderr"),
        ]
        process.stdin.write(json.dumps(asdict(self.spec)) + "\n")
        process.stdin.flush()
        self._answer()  # {"result": null} once the handler is loaded

    def _answer(self) -> Any:
        assert self._answers is not None
        line = self._answers.readline()
        if not line:
            self._stop_process()
            raise FunctionError(self.spec.logical_id, "ContainerExited", "it died")
        answer = json.loads(line)
        if "error" in answer:
            error = answer["error"]
            raise FunctionError(self.spec.logical_id, error["type"], error["message"])
        return answer["result"]

    def _stop_process(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            if process.stdin is not None:
                with contextlib.suppress(OSError):
                    process.stdin.close()  # the container's loop ends at end of input
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_SECONDS)
        for relay in self._relays:
            relay.join(timeout=STOP_SECONDS)
        self._relays = []
        if self._answers is not None:
            self._answers.close()
            self._answers = None


def _relay(source: IO[str] | None, target: Callable[[], TextIO], name: str) -> threading.Thread:
    """Copy a container's output line by line to `target()` (looked up at each line, so that a
    redirected or captured stream receives it)."""

    def copy() -> None:
        assert source is not None
        with contextlib.suppress(ValueError, OSError):  # closed under us: the container stopped
            for line in source:
                stream = target()
                stream.write(line)
                stream.flush()

    thread = threading.Thread(target=copy, name=name, daemon=True)
    thread.start()
    return thread


# -- inside the container ------------------------------------------------------------------------


def serve(answer_fd: int) -> int:
    """The container's loop: the spec, then one event a line, each answered on `answer_fd`."""
    answers = os.fdopen(answer_fd, "w", encoding="utf-8")
    _exit_with_parent()

    def answer(payload: dict[str, Any]) -> None:
        answers.write(json.dumps(payload, separators=(",", ":")) + "\n")
        answers.flush()

    spec = FunctionSpec(**json.loads(sys.stdin.readline()))
    try:
        handler = load_handler(spec.code_dir, spec.handler)
    except Exception as error:  # noqa: BLE001 - reported to the runner, which raises it
        traceback.print_exc()
        answer({"error": {"type": type(error).__name__, "message": str(error)}})
        return 1
    answer({"result": None})
    from devtools.runtime import LambdaContext

    for line in sys.stdin:
        request = json.loads(line)
        context = LambdaContext(
            function_name=spec.function_name,
            memory_limit_in_mb=spec.memory_limit_in_mb,
            timeout_seconds=spec.timeout_seconds,
            aws_request_id=request["request_id"],
        )
        try:
            result = handler(request["event"], context)
            payload = {"result": result}
            encoded = json.dumps(payload, separators=(",", ":"))
        except Exception as error:  # noqa: BLE001 - Lambda reports any error of the handler
            traceback.print_exc()
            encoded = json.dumps(
                {"error": {"type": type(error).__name__, "message": str(error)}},
                separators=(",", ":"),
            )
        sys.stdout.flush()
        sys.stderr.flush()
        answers.write(encoded + "\n")
        answers.flush()
    return 0


def load_handler(code_dir: str, handler_path: str) -> Handler:
    """Import the handler module from `functions/<dir>/` with the layer on `sys.path`, as the
    Lambda runtime does."""
    from devtools.runtime import LAYER_DIR

    if str(LAYER_DIR) not in sys.path:
        sys.path.insert(0, str(LAYER_DIR))
    module_name, _, attribute = handler_path.rpartition(".")
    directory = (REPO_ROOT / code_dir).resolve()
    source = directory / (module_name.replace(".", "/") + ".py")
    if not source.is_file():
        raise FileNotFoundError(f"handler module {_shown(source)} does not exist")
    # The function's own directory is importable, as in Lambda (its task root).
    sys.path.insert(0, str(directory))
    spec = importlib.util.spec_from_file_location(module_name, source)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {_shown(source)}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    handler = getattr(module, attribute, None)
    if not callable(handler):
        raise AttributeError(f"{_shown(source)} has no callable {attribute!r}")
    return handler  # type: ignore[no-any-return]


def _exit_with_parent() -> None:
    """A container whose runner is gone exits (at the latest a second later), busy or not."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_SECONDS)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C on `make run` reaches the whole group
        sys.exit(serve(int(sys.argv[1])))
    sys.exit(130)
