"""A built function's container, as the Lambda runtime loads it: run by `devtools/built.py` as
`python -I -S lambda_bootstrap.py TASK_ROOT LAYER RUNTIME FD`, so that nothing of this machine's
Python is importable but the standard library (-I: no PYTHON* variables, no user site, no script
directory; -S: no site-packages), then on `sys.path`, in Lambda's order, the built function's own
directory (/var/task), the built layer's `python/` (/opt/python), and the packages the Lambda
runtime provides (boto3 and its dependencies).

`devtools/built.py` runs it with -B too: Lambda's /var/task and /opt are read-only, so a module
whose bytecode is not in the build is compiled again at every cold start, and never cached.

It speaks `devtools/containers.py`'s protocol (the spec, then one event a line, each answered on
FD), with two additions for the tests: the event `{"__bootstrap__": "modules"}` is answered with
the file of every module loaded so far, to show where each came from, and
`{"__bootstrap__": "compiled"}` with every module's source the import system compiled so far
(`SourceFileLoader.source_to_code`, which it calls only when it found no bytecode it could use;
not every `compile`: anyio parses its own source into an AST at import). Standard library only:
it must not import anything it could find only in the repository.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
import uuid
from importlib.machinery import SourceFileLoader
from typing import Any

MODULES_REQUEST = {"__bootstrap__": "modules"}
COMPILED_REQUEST = {"__bootstrap__": "compiled"}
COMPILED: list[str] = []


def _record_compiles() -> None:
    """Note the path of every module source the import system compiles from now on."""
    compile_source = SourceFileLoader.source_to_code

    def source_to_code(self: SourceFileLoader, data: Any, path: Any, **kwargs: Any) -> Any:
        COMPILED.append(os.fsdecode(path))
        return compile_source(self, data, path, **kwargs)

    SourceFileLoader.source_to_code = source_to_code  # type: ignore[assignment,method-assign]


class LambdaContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    def __init__(self, spec: dict[str, Any], request_id: str) -> None:
        self.function_name = spec["function_name"]
        self.memory_limit_in_mb = spec["memory_limit_in_mb"]
        self.function_version = "$LATEST"
        self.aws_request_id = request_id or str(uuid.uuid4())
        self.invoked_function_arn = (
            f"arn:aws:lambda:us-east-1:000000000000:function:{self.function_name}"
        )
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = f"local/[$LATEST]{self.aws_request_id[:8]}"
        self._deadline = time.monotonic() + spec["timeout_seconds"]

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def main(task_root: str, layer: str, runtime: str, answer_fd: int) -> int:
    _record_compiles()
    sys.path[:0] = [task_root, layer]
    sys.path.append(runtime)
    answers = os.fdopen(answer_fd, "w", encoding="utf-8")

    def answer(payload: dict[str, Any]) -> None:
        answers.write(json.dumps(payload, separators=(",", ":"), default=str) + "\n")
        answers.flush()

    spec = json.loads(sys.stdin.readline())
    module_name, _, attribute = spec["handler"].rpartition(".")
    try:
        handler = getattr(importlib.import_module(module_name), attribute)
    except Exception as error:  # noqa: BLE001 - reported to the runner, which raises it
        traceback.print_exc()
        answer({"error": {"type": type(error).__name__, "message": str(error)}})
        return 1
    answer({"result": None})
    for line in sys.stdin:
        request = json.loads(line)
        if request["event"] == MODULES_REQUEST:
            files = {
                name: getattr(module, "__file__", None) for name, module in sys.modules.items()
            }
            answer({"result": {name: path for name, path in files.items() if path}})
            continue
        if request["event"] == COMPILED_REQUEST:
            answer({"result": list(COMPILED)})
            continue
        try:
            result = handler(request["event"], LambdaContext(spec, request["request_id"]))
            payload = {"result": result}
        except Exception as error:  # noqa: BLE001 - Lambda reports any error of the handler
            traceback.print_exc()
            payload = {"error": {"type": type(error).__name__, "message": str(error)}}
        sys.stdout.flush()
        sys.stderr.flush()
        answer(payload)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
