"""Run in a fresh interpreter: import one handler (or the bare boto3 baseline), serve one event.

Prints one JSON line: seconds (wall and CPU) from the first import to the response, and peak
RSS in MiB.
Usage: python -m benchmarks.cold_start_child (FUNCTION_DIR EVENT_FILE | --bare CONTACT_ID)
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()
STARTED_CPU = time.process_time()

import importlib.util  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402


def bare(contact_id: str) -> int:
    """The baseline: a handler that imports boto3 and makes one UpdateItem."""
    import boto3

    client = boto3.client("dynamodb")
    client.update_item(
        TableName=os.environ["TABLE_NAME"],
        Key={"pk": {"S": f"TENANT#bench#CONTACT#{contact_id}"}, "sk": {"S": "CONTACT"}},
        UpdateExpression="SET #s = :s, version = version + :one",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "archived"}, ":one": {"N": "1"}},
        ReturnValues="ALL_NEW",
    )
    return 200


def handler(function_dir: str, event_file: str) -> int:
    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root / "shared"))
    spec = importlib.util.spec_from_file_location(
        "app", root / "functions" / function_dir / "app.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    class Context:
        function_name = function_dir
        memory_limit_in_mb = 256
        invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_dir}"
        aws_request_id = "bench"

    event = json.loads(Path(event_file).read_text())
    response = module.lambda_handler(event, Context())
    return int(response.get("statusCode", 200))


if __name__ == "__main__":
    code = bare(sys.argv[2]) if sys.argv[1] == "--bare" else handler(sys.argv[1], sys.argv[2])
    elapsed = time.perf_counter() - STARTED
    cpu = time.process_time() - STARTED_CPU
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec.
    status = Path("/proc/self/status").read_text().splitlines()
    peak_mib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    print(
        json.dumps({"seconds": elapsed, "cpu_seconds": cpu, "peak_mib": peak_mib, "status": code})
    )
