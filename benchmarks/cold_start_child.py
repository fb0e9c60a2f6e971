"""Run in a fresh interpreter: import one handler (or the bare boto3 baseline), serve one event.

Prints one JSON line: seconds (wall and CPU) from the first import to the response, and peak
RSS in MiB. Four modes:

- `--bare CONTACT_ID`: the baseline handler cold, then its warm call (`warm_seconds`, the median
  of WARM_CALLS further calls in the same process);
- `--bare-same CALLS_FILE`: a bare boto3 handler making the very DynamoDB requests a function's
  request made (captured from it), cold, then warm; the items they write are put back as they
  were before each call (untimed), so that every call makes the same change;
- `FUNCTION_DIR EVENT_FILE`: a plain cold start, init and first invoke;
- `--restored FUNCTION_DIR EVENT_FILE`: SnapStart's first request. The handler is imported and
  the before-snapshot hooks run untimed (Lambda runs them before it takes the snapshot); the
  after-restore hooks and the first request are timed, as a restored container pays them;
  then the same request warm (`warm_seconds`), as the bare handler's.

The functions' code is read from the checkout, or from BENCH_CODE_ROOT (a copy holding `shared/`
and `functions/` with their bytecode compiled, as a layer that ships .pyc files).
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()
STARTED_CPU = time.process_time()

import importlib.util  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

WARM_CALLS = 5


class Context:
    memory_limit_in_mb = 256
    aws_request_id = "bench"

    def __init__(self, function_dir: str) -> None:
        self.function_name = function_dir
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_dir}"


def bare(contact_id: str) -> dict[str, Any]:
    """The baseline: a handler that imports boto3 and makes one UpdateItem."""
    import boto3

    client = boto3.client("dynamodb")

    def handle() -> None:
        client.update_item(
            TableName=os.environ["TABLE_NAME"],
            Key={"pk": {"S": f"TENANT#bench#CONTACT#{contact_id}"}, "sk": {"S": "CONTACT"}},
            UpdateExpression="SET #s = :s, version = version + :one",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": {"S": "archived"}, ":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
        )

    handle()
    return {**_elapsed(STARTED, STARTED_CPU, 200), **_warm(handle)}


def bare_same(calls_file: str) -> dict[str, Any]:
    """The baseline making a function's own DynamoDB requests, replayed as they were captured."""
    import boto3

    client = boto3.client("dynamodb")
    calls = json.loads(Path(calls_file).read_text())
    reset = _resetting(client, calls)
    reset()

    def handle() -> None:
        for call in calls:  # each from the state it was captured in: none is refused
            client._make_api_call(call["operation"], call["params"])  # noqa: SLF001

    handle()  # as the bare handler's cold call: the operations' first use is not a warm call's
    # Only its warm call is compared (this span includes the reset's requests).
    result = {**_elapsed(STARTED, STARTED_CPU, 200), **_warm(handle, before_each=reset)}
    reset()
    return result


def _resetting(client: Any, calls: list[dict[str, Any]]) -> Any:
    """What puts the items the calls write back as they are now."""
    table, keys = os.environ["TABLE_NAME"], []
    for call in calls:
        if call["operation"] in ("UpdateItem", "PutItem", "DeleteItem"):
            params = call["params"]
            keys.append(params.get("Key") or {k: params["Item"][k] for k in ("pk", "sk")})
        elif call["operation"] not in ("GetItem", "Query", "BatchGetItem"):
            raise SystemExit(f"no reset for {call['operation']}")
    items = [
        (key, client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item"))
        for key in keys
    ]

    def reset() -> None:
        for key, item in items:
            if item is None:
                client.delete_item(TableName=table, Key=key)
            else:
                client.put_item(TableName=table, Item=item)

    return reset


def _warm(call: Any, before_each: Any = None) -> dict[str, float]:
    """The median of WARM_CALLS more calls, each timed alone."""
    warm, warm_cpu = [], []
    for _ in range(WARM_CALLS):
        if before_each is not None:
            before_each()
        started, started_cpu = time.perf_counter(), time.process_time()
        call()
        warm.append(time.perf_counter() - started)
        warm_cpu.append(time.process_time() - started_cpu)
    return {
        "warm_seconds": statistics.median(warm),
        "warm_cpu_seconds": statistics.median(warm_cpu),
    }


def handler(function_dir: str, event_file: str, *, restored: bool = False) -> dict[str, Any]:
    root = Path(os.environ.get("BENCH_CODE_ROOT") or Path(__file__).resolve().parent.parent)
    sys.path.insert(0, str(root / "shared"))
    spec = importlib.util.spec_from_file_location(
        "app", root / "functions" / function_dir / "app.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    event = json.loads(Path(event_file).read_text())
    started, started_cpu = STARTED, STARTED_CPU
    if restored:
        import snapshot_restore_py

        _run(snapshot_restore_py.get_before_snapshot())
        started, started_cpu = time.perf_counter(), time.process_time()
        _run(snapshot_restore_py.get_after_restore())
    response = module.lambda_handler(event, Context(function_dir))
    result = _elapsed(started, started_cpu, int(response.get("statusCode", 200)))
    if restored:
        # The same request again, warm (an archive again is a no-op: still one request).
        result |= _warm(lambda: module.lambda_handler(json.loads(json.dumps(event)), Context("")))
    return result


def _run(hooks: list[Any]) -> None:
    """As the runtime does: each registered hook with the arguments it was registered with."""
    for function, args, kwargs in hooks:
        function(*args, **kwargs)


def _elapsed(started: float, started_cpu: float, status: int) -> dict[str, Any]:
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - started_cpu,
        "status": status,
    }


if __name__ == "__main__":
    match sys.argv[1:]:
        case ["--bare", contact_id]:
            result = bare(contact_id)
        case ["--bare-same", calls_file]:
            result = bare_same(calls_file)
        case ["--restored", function_dir, event_file]:
            result = handler(function_dir, event_file, restored=True)
        case [function_dir, event_file]:
            result = handler(function_dir, event_file)
        case _:
            raise SystemExit(__doc__)
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec.
    status = Path("/proc/self/status").read_text().splitlines()
    result["peak_mib"] = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    result["peak_mib"] /= 1024
    print(json.dumps(result))
