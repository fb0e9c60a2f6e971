"""Section (b): cold starts, plain and restored from a SnapStart snapshot, against a bare handler.

Every measurement is a fresh Python process (`cold_start_child.py`), and the runs go round-robin
over all subjects, so that the machine's drift hits each alike. Run alone, it rewrites (b) in
docs/benchmarks.md: `.venv/bin/python -m benchmarks.cold_starts [RESULTS.json]` (BENCH_COLD_RUNS
runs; `--render RESULTS.json` writes (b) again from a run's figures).
"""

from __future__ import annotations

import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Protocol

from benchmarks.report import COLD_RUNS
from tests.support import load_event

ROOT = Path(__file__).resolve().parent.parent
PLAIN_TARGET = 1.5  # plain cold start against the bare handler's cold start
RESTORED_TARGET = 1.2  # first request after a restore against the bare handler's warm call

COLD_FUNCTIONS = [
    ("ArchiveFunction", "archive", "archive_contact"),
    ("RestoreFunction", "restore", "restore_contact"),
    ("ListFunction", "list", "list_contacts"),
    ("RegisterFunction", "register", "register_contact"),
    ("JobsFunction", "jobs", "list_jobs"),
]

IMPORT_GROUPS = {
    "botocore": "botocore (boto3 pays it too)",
    "urllib3": "botocore (boto3 pays it too)",
    "dateutil": "botocore (boto3 pays it too)",
    "jmespath": "botocore (boto3 pays it too)",
    "aws_lambda_powertools": "aws_lambda_powertools (Logger, Metrics, event handler)",
    "pydantic": "pydantic (request validation, models)",
    "pydantic_core": "pydantic (request validation, models)",
    "annotated_types": "pydantic (request validation, models)",
    "typing_extensions": "pydantic (request validation, models)",
    "typing_inspection": "pydantic (request validation, models)",
    "contact_archive": "contact_archive (this layer)",
    "app": "contact_archive (this layer)",
}


class Serving(Protocol):
    """What (b) needs of the bench: the contact put where a cold invoke changes it, and the
    DynamoDB requests a function's request makes."""

    def prepare_cold(self, function_dir: str) -> None: ...

    def captured_calls(self, function_dir: str, event: dict[str, Any]) -> list[dict[str, Any]]: ...


def without_key(name: str) -> dict[str, Any]:
    """A sample event without its Idempotency-Key: one DynamoDB request, as the baseline's."""
    event = load_event(name)
    event["headers"].pop("Idempotency-Key", None)
    event["multiValueHeaders"].pop("Idempotency-Key", None)
    return event


def measure(bench: Serving, workdir: Path) -> dict[str, Any]:
    """Per round: the bare handler (cold, then warm), then per function a plain cold start (its
    code from source, and compiled), a restored first request, and a bare handler making the
    function's own DynamoDB requests, each in its own process."""
    env = dict(os.environ)
    compiled_env = env | {"BENCH_CODE_ROOT": str(compiled_copy(workdir / "compiled"))}
    subjects: list[tuple[str, str, list[str], dict[str, str]]] = [
        ("bare", "", ["--bare", "bare"], env)
    ]
    calls: list[tuple[str, list[str]]] = []
    for logical_id, function_dir, event_name in COLD_FUNCTIONS:
        event_file = workdir / f"{event_name}.json"
        event_file.write_text(json.dumps(without_key(event_name)))
        captured = bench.captured_calls(function_dir, without_key(event_name))
        calls.append((logical_id, [call["operation"] for call in captured]))
        calls_file = workdir / f"{event_name}.calls.json"
        calls_file.write_text(json.dumps(captured))
        args = [function_dir, str(event_file)]
        subjects += [
            (logical_id, function_dir, args, env),
            (f"{logical_id} compiled", function_dir, args, compiled_env),
            (f"{logical_id} restored", function_dir, ["--restored", *args], env),
            (f"{logical_id} bare same", function_dir, ["--bare-same", str(calls_file)], env),
        ]
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _, _, _ in subjects}
    for _ in range(COLD_RUNS):
        for name, function_dir, args, child_env in subjects:
            if function_dir:
                bench.prepare_cold(function_dir)
            runs[name].append(_child(args, child_env))
    bare = runs.pop("bare")
    warm_keys = ("warm_seconds", "warm_cpu_seconds")
    return {
        "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "bare": _median(bare),
        "bare_warm": _median(bare, keys=warm_keys),
        "plain": [(logical_id, _median(runs[logical_id])) for logical_id, _, _ in COLD_FUNCTIONS],
        "plain_compiled": [
            (logical_id, _median(runs[f"{logical_id} compiled"]))
            for logical_id, _, _ in COLD_FUNCTIONS
        ],
        "calls": calls,
        "bare_same": [
            (logical_id, _median(runs[f"{logical_id} bare same"], keys=warm_keys))
            for logical_id, _, _ in COLD_FUNCTIONS
        ],
        "restored": [
            (logical_id, _median(runs[f"{logical_id} restored"]))
            for logical_id, _, _ in COLD_FUNCTIONS
        ],
        "warm": [
            (
                logical_id,
                _median(runs[f"{logical_id} restored"], keys=warm_keys),
            )
            for logical_id, _, _ in COLD_FUNCTIONS
        ],
        "imports": import_breakdown("archive"),
    }


def compiled_copy(destination: Path) -> Path:
    """`shared/` and `functions/` copied with their bytecode compiled: the functions' code as a
    layer that ships .pyc files gives it (the checkout's is compiled again by every process,
    since PYTHONDONTWRITEBYTECODE keeps it from being written)."""
    for folder in ("shared", "functions"):
        shutil.copytree(
            ROOT / folder, destination / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
        compileall.compile_dir(destination / folder, quiet=1)
    return destination


def _child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    started = time.perf_counter()
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.cold_start_child", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    wall = time.perf_counter() - started
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    assert result["status"] < 300, result
    result["process_seconds"] = wall
    return result


def _median(
    runs: list[dict[str, Any]], keys: tuple[str, str] = ("seconds", "cpu_seconds")
) -> dict[str, Any]:
    seconds, cpu = keys
    values = [run[seconds] for run in runs]
    return {
        "seconds": statistics.median(values),
        "cpu_seconds": statistics.median(run[cpu] for run in runs),
        "process_seconds": statistics.median(run["process_seconds"] for run in runs),
        "peak_mib": statistics.median(run["peak_mib"] for run in runs),
        "spread": (min(values), max(values)),
    }


def import_breakdown(function_dir: str) -> list[tuple[str, float]]:
    """Import time of a handler by top-level package (`python -X importtime`), median of runs."""
    script = (
        "import importlib.util, sys; sys.path.insert(0, 'shared'); "
        f"spec = importlib.util.spec_from_file_location('app', 'functions/{function_dir}/app.py'); "
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)"
    )
    runs: list[dict[str, float]] = []
    for _ in range(COLD_RUNS):
        stderr = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", script],
            cwd=ROOT,
            env=dict(os.environ),
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stderr
        runs.append(_charge_by_importer(stderr))
    groups = sorted({group for run in runs for group in run})
    medians = [(group, statistics.median(run.get(group, 0.0) for run in runs)) for group in groups]
    return sorted(medians, key=lambda item: -item[1])


def _charge_by_importer(importtime: str) -> dict[str, float]:
    """Self import times summed by package; a module no package owns is charged to its importer.

    `-X importtime` prints a module after the modules it imported, indented one level deeper, so
    a module's importer is the next line printed with less indentation.
    """
    rows: list[tuple[int, str, float]] = []
    for line in importtime.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        head, _, name = line.split("|")
        self_us = head.split(":", 1)[1].strip()
        if self_us.isdigit():
            depth = (len(name) - len(name.lstrip(" "))) // 2
            rows.append((depth, name.strip(), int(self_us) / 1e6))
    totals: dict[str, float] = {}
    for position, (depth, name, seconds) in enumerate(rows):
        group = IMPORT_GROUPS.get(name.split(".")[0])
        level = depth
        for later_depth, later_name, _ in rows[position + 1 :]:
            if group:
                break
            if later_depth < level:
                group = IMPORT_GROUPS.get(later_name.split(".")[0])
                level = later_depth
        group = group or "Python start-up and other modules"
        totals[group] = totals.get(group, 0.0) + seconds
    return totals


def main(argv: list[str]) -> None:
    """(b) alone: DynamoDB Local, the bench's table and contacts, then (b) into the report.

    With a JSON file named, the run's figures are kept there too; `--render FILE` writes (b)
    again from them, without measuring.
    """
    import tempfile

    from benchmarks.report import render_cold_starts

    if argv[:1] == ["--render"]:
        results = json.loads(Path(argv[1]).read_text())
    else:
        from benchmarks.__main__ import Bench
        from devtools.dynamodb_local import DynamoDBLocal

        with DynamoDBLocal() as server, tempfile.TemporaryDirectory() as workdir:
            results = measure(Bench(server.endpoint_url), Path(workdir))
        if argv:
            Path(argv[0]).write_text(json.dumps(results))
    section = "\n".join(render_cold_starts(results)) + "\n"
    report = ROOT / "docs" / "benchmarks.md"
    text = report.read_text()
    start, end = text.index("## (b) "), text.index("## (c) ")
    report.write_text(text[:start] + section + text[end:])
    print(section)


if __name__ == "__main__":
    main(sys.argv[1:])
