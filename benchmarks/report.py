"""The report `make bench` writes (docs/benchmarks.md): sections (a) to (c) rendered here, the
others' lines as their modules render them (`vendor_lines`)."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path
from typing import Any

from contact_archive.ledger.store.history import HISTORY_INLINE_MAX

COLD_RUNS = int(os.environ.get("BENCH_COLD_RUNS", "11"))
WARM_RUNS = int(os.environ.get("BENCH_WARM_RUNS", "200"))
TARGET_RATIO = 1.5


def _spread(result: dict[str, Any]) -> str:
    fastest, slowest = result["spread"]
    return f"{fastest * 1000:.0f} to {slowest * 1000:.0f} ms"


def _machine() -> str:
    cpu = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor() or "unknown CPU",
        )
        if Path("/proc/cpuinfo").exists()
        else platform.processor()
    )
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, {cpu}; Python {platform.python_version()}"


def render(
    counts: list[tuple[str, dict[str, int]]],
    bare: dict[str, Any],
    cold: list[tuple[str, dict[str, Any]]],
    warm: list[tuple[str, float, str, float]],
    imports: list[tuple[str, float]],
    vendor_lines: list[str],
) -> str:
    ms = 1000
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m benchmarks`); do not edit by hand.",
        f"Machine: {_machine()}. DynamoDB Local (the npm package's jar, on Java 17) on 127.0.0.1. "
        f"Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        "## (a) DynamoDB requests per operation",
        "",
        "Counted with botocore's `before-call` event hook on the store's client, one operation at a time, "
        "through the real handlers and the `events/` samples.",
        "",
        "| operation | requests | calls |",
        "| --- | ---: | --- |",
    ]
    for label, calls in counts:
        detail = ", ".join(f"{name} {number}" for name, number in sorted(calls.items()))
        lines.append(f"| {label} | {sum(calls.values())} | {detail} |")
    lines += [
        "",
        "Archive, restore, get, history and a list page take one request each: the contact item carries its "
        "history and its changes, so a change of every link is one conditional `UpdateItem` returning the "
        "new contact, and a refused one explains itself through `ReturnValuesOnConditionCheckFailure`. "
        "A change of some links reads the contact first (to work out the status the links leave) and "
        "writes conditional on the version it read: two requests. Naming the contact by email or a "
        "vendor's id adds one lookup (a `Query` on the email index, a `GetItem` of the vendor-id ref). "
        "Register reads first (it diffs vendor links) then writes contact and vendor-id items in one "
        "transaction. An `Idempotency-Key` adds a claim and a completion write to the first request; a "
        "replay is one request (the claim's conditional put fails and returns the stored response). "
        f"Once a contact has more than {HISTORY_INLINE_MAX} events on its item, the change that crosses "
        "the line also moves the older ones to a history page (one transaction), and reading that "
        "history takes a second request.",
        "",
        f"## (b) Cold start and peak memory (median of {COLD_RUNS} fresh processes)",
        "",
        "Each run is a new Python process that imports the handler and serves one sample event (without "
        "its Idempotency-Key, so that it makes one DynamoDB request, as the baseline does) against "
        "DynamoDB Local. *Init + first invoke* is measured inside the process from its first import to "
        "the response (*CPU time* is the same span in CPU seconds, which the machine's other load "
        "disturbs less); *process* adds interpreter start-up, measured from outside. Runs go round-robin "
        "over the baseline and the four functions. The baseline is a bare "
        "handler that imports boto3, creates a client and makes one `UpdateItem`.",
        "",
        "| function | init + first invoke | fastest to slowest | ratio to bare | CPU time | CPU ratio "
        "| process | peak RSS | target |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        f"| bare boto3 `UpdateItem` | {bare['seconds'] * ms:.0f} ms | {_spread(bare)} | 1.00x "
        f"| {bare['cpu_seconds'] * ms:.0f} ms | 1.00x "
        f"| {bare['process_seconds'] * ms:.0f} ms | {bare['peak_mib']:.1f} MiB | |",
    ]
    for logical_id, result in cold:
        ratio = result["seconds"] / bare["seconds"]
        target = ""
        if logical_id != "RegisterFunction":
            target = "met" if ratio <= TARGET_RATIO else f"missed by {ratio - TARGET_RATIO:.2f}x"
        cpu_ratio = result["cpu_seconds"] / bare["cpu_seconds"]
        lines.append(
            f"| {logical_id} | {result['seconds'] * ms:.0f} ms | {_spread(result)} | {ratio:.2f}x | "
            f"{result['cpu_seconds'] * ms:.0f} ms | {cpu_ratio:.2f}x | "
            f"{result['process_seconds'] * ms:.0f} ms | {result['peak_mib']:.1f} MiB | {target} |"
        )
    lines += [
        "",
        "Where ArchiveFunction's import time goes (`python -X importtime`, self time summed by package; "
        f"a standard-library module counts for the package that imported it; median of {COLD_RUNS}):",
        "",
        "| package | import time |",
        "| --- | ---: |",
    ]
    lines += [f"| {group} | {seconds * ms:.0f} ms |" for group, seconds in imports]
    lines += [
        "",
        "The bare handler pays for botocore too (boto3 adds s3transfer on top, which the layer avoids by "
        "creating its client with botocore directly). What a handler pays beyond it is Powertools and "
        "pydantic: importing any Powertools resolver runs `aws_lambda_powertools.event_handler/__init__`, "
        "which imports every resolver it ships, and its AppSync resolver alone brings in `asyncio` "
        "(about 60 ms here); `APIGatewayRestResolver(enable_validation=True)` needs pydantic (about 95 ms "
        "with its dependencies). The layer's own modules are a small share, and its pydantic models are "
        "built on first use (`defer_build`). Closing the rest of the gap would mean dropping validation or "
        "the Powertools resolver, which this project requires; deployed, Lambda SnapStart for Python "
        "would take the import cost out of the request path.",
        "",
        f"## (c) Warm invoke (median of {WARM_RUNS})",
        "",
        "The handler in-process (API Gateway event in, proxy response out) against the bare call it wraps: "
        "the very DynamoDB request the handler made (captured with botocore's `provide-client-params` hook), "
        "replayed with a plain boto3 client on the same DynamoDB Local. Archive and restore alternate, so "
        "every timed call, ours or bare, is a real change.",
        "",
        "| operation | handler | bare call | bare | ratio | target |",
        "| --- | ---: | --- | ---: | ---: | --- |",
    ]
    for label, ours, bare_name, bare_seconds in warm:
        ratio = ours / bare_seconds
        target = ""
        if label == "archive":
            target = "met" if ratio <= TARGET_RATIO else f"missed by {ratio - TARGET_RATIO:.2f}x"
        lines.append(
            f"| {label} | {ours * ms:.2f} ms | `{bare_name}` | {bare_seconds * ms:.2f} ms | {ratio:.2f}x | {target} |"
        )
    lines += ["", *vendor_lines]
    lines += [
        "## Reproduce",
        "",
        "```",
        "make bench            # BENCH_COLD_RUNS / BENCH_WARM_RUNS / BENCH_WEBHOOK_RUNS / BENCH_LIST_RUNS change the run counts",
        ".venv/bin/python -m benchmarks.webhooks   # section (h) alone, printed",
        ".venv/bin/python -m benchmarks.jobs       # section (k) alone (BENCH_JOBS_SAMPLE)",
        ".venv/bin/python -m benchmarks.jobs_http  # section (l) alone "
        "(BENCH_JOB_CONTACTS / BENCH_LOOP_CONTACTS)",
        ".venv/bin/python -m benchmarks.list_pages   # section (m) alone, printed",
        "```",
        "",
    ]
    return "\n".join(lines)
