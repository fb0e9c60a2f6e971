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

# What (b)'s two latest changes bought, each measured by an A/B run of fresh processes, the
# code before and after the change interleaved (medians), on the same machine as (b).
LAZY_STORES = (
    "importing ArchiveFunction's handler takes 20 to 46 ms less CPU from source, in two A/B runs "
    "of 21, and 13 ms less compiled"
)
WARM_UP_AB = (
    "That bought 0.8 to 1.7 ms of CPU per first request (an A/B run against the earlier warm-up, "
    "median of 15: ArchiveFunction 8.3 to 7.5 ms, RestoreFunction 8.9 to 7.5 ms, ListFunction 6.4 "
    "to 4.7 ms)."
)


def _spread(result: dict[str, Any], digits: int = 0) -> str:
    fastest, slowest = result["spread"]
    return f"{fastest * 1000:.{digits}f} to {slowest * 1000:.{digits}f} ms"


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
    cold: dict[str, Any],
    warm: list[tuple[str, float, str, float]],
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
    ]
    lines += render_cold_starts(cold)
    lines += [
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
        ".venv/bin/python -m benchmarks.cold_starts  # section (b) alone, written into this file",
        ".venv/bin/python -m benchmarks.webhooks   # section (h) alone, printed",
        ".venv/bin/python -m benchmarks.jobs       # section (k) alone (BENCH_JOBS_SAMPLE)",
        ".venv/bin/python -m benchmarks.jobs_http  # section (l) alone "
        "(BENCH_JOB_CONTACTS / BENCH_LOOP_CONTACTS)",
        ".venv/bin/python -m benchmarks.list_pages   # section (m) alone, printed",
        "```",
        "",
    ]
    return "\n".join(lines)


def _target(ratio: float, target: float) -> str:
    if ratio <= target:
        return "met"
    return f"missed by {ratio - target:.2f}x" if ratio - target >= 0.005 else "missed by < 0.01x"


def render_cold_starts(cold: dict[str, Any]) -> list[str]:
    """Section (b), from `cold_starts.measure`."""
    from benchmarks.cold_starts import PLAIN_TARGET, RESTORED_TARGET

    ms = 1000
    bare, bare_warm = cold["bare"], cold["bare_warm"]
    lines = [
        f"## (b) Cold start, plain and restored from a SnapStart snapshot (median of {COLD_RUNS} "
        "fresh processes)",
        "",
        "Each run is a new Python process that serves one sample event (without its Idempotency-Key, so "
        "that it makes one DynamoDB request, as the baseline does) against DynamoDB Local. Runs go "
        "round-robin over the baseline and, per function, a plain process (its code from source, then "
        "compiled), a restored process and a bare handler making its own DynamoDB requests, so that the "
        "machine's drift hits all alike; all figures below come from one such run "
        f"({cold.get('measured', 'with the rest of this file')}). The baseline is a bare "
        "handler that imports boto3, creates a client and makes one `UpdateItem`: *cold* is from its first "
        "import to its response, its *warm call* the median of 5 more calls in the same process. *CPU "
        "time* is the same span in CPU seconds, which the machine's other load disturbs less.",
        "",
        f"**Plain cold start** (a function without SnapStart, or `$LATEST`): from the process's first "
        f"import to the response; *process* adds interpreter start-up, measured from outside. Target: "
        f"at most {PLAIN_TARGET}x the bare handler's cold start.",
        "",
        f"| function | init + first invoke | fastest to slowest | ratio to bare cold | CPU time | CPU ratio "
        f"| process | peak RSS | target (≤ {PLAIN_TARGET}x) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        f"| bare boto3 `UpdateItem`, cold | {bare['seconds'] * ms:.0f} ms | {_spread(bare)} | 1.00x "
        f"| {bare['cpu_seconds'] * ms:.0f} ms | 1.00x "
        f"| {bare['process_seconds'] * ms:.0f} ms | {bare['peak_mib']:.1f} MiB | |",
    ]
    for logical_id, result in cold["plain"]:
        ratio = result["seconds"] / bare["seconds"]
        lines.append(
            f"| {logical_id} | {result['seconds'] * ms:.0f} ms | {_spread(result)} | {ratio:.2f}x | "
            f"{result['cpu_seconds'] * ms:.0f} ms | {result['cpu_seconds'] / bare['cpu_seconds']:.2f}x | "
            f"{result['process_seconds'] * ms:.0f} ms | {result['peak_mib']:.1f} MiB | "
            f"{_target(ratio, PLAIN_TARGET)} |"
        )
    lines += [
        "",
        "The same, with the functions' code compiled ahead: a copy of `shared/` and `functions/` with "
        "their `.pyc` files, as a layer that ships them gives it (the rows above compile the layer's "
        "code in every process: PYTHONDONTWRITEBYTECODE keeps the checkout's from being written, and "
        "Lambda's `/opt` is read-only).",
        "",
        f"| function | init + first invoke | fastest to slowest | ratio to bare cold | CPU time "
        f"| CPU ratio | target (≤ {PLAIN_TARGET}x) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for logical_id, result in cold["plain_compiled"]:
        ratio = result["seconds"] / bare["seconds"]
        lines.append(
            f"| {logical_id}, compiled | {result['seconds'] * ms:.0f} ms | {_spread(result)} "
            f"| {ratio:.2f}x | {result['cpu_seconds'] * ms:.0f} ms "
            f"| {result['cpu_seconds'] / bare['cpu_seconds']:.2f}x | {_target(ratio, PLAIN_TARGET)} |"
        )
    lines += [
        "",
        "**Restored first request** (SnapStart, on the published version behind the `live` alias): the "
        "process imports the handler and runs the before-snapshot hooks untimed, as Lambda runs them "
        "before it takes the snapshot (`shared/contact_archive/snapstart.py`: the store's client, the "
        "layer's deferred pydantic models, one synthetic request per route through its ordinary path, "
        "signed with throwaway keys and answered in-process where it would be sent, so that nothing "
        "is sent and no credentials are resolved; then init's objects "
        "collected and frozen); then the after-restore hooks (random reseeded, AWS credentials resolved afresh, "
        "connections closed, vendor clients and secrets dropped) and the first request are timed. "
        "Lambda's own restore of the snapshot's memory (its *Restore Duration*) happens outside the "
        f"process and is not measured here. Target: at most {RESTORED_TARGET}x the bare handler's "
        "warm call.",
        "",
        "| function | after-restore hooks + first request | fastest to slowest | ratio to bare warm call "
        f"| CPU time | CPU ratio | target (≤ {RESTORED_TARGET}x) | its own warm call | CPU time "
        "| first request to own warm (CPU) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |",
        f"| bare boto3 `UpdateItem`, warm call | {bare_warm['seconds'] * ms:.1f} ms "
        f"| {_spread(bare_warm, 1)} | 1.00x | {bare_warm['cpu_seconds'] * ms:.1f} ms | 1.00x | | | | |",
    ]
    for (logical_id, result), (_, own) in zip(cold["restored"], cold["warm"], strict=True):
        ratio = result["seconds"] / bare_warm["seconds"]
        cpu_ratio = result["cpu_seconds"] / bare_warm["cpu_seconds"]
        lines.append(
            f"| {logical_id} | {result['seconds'] * ms:.1f} ms | {_spread(result, 1)} | {ratio:.2f}x "
            f"| {result['cpu_seconds'] * ms:.1f} ms | {cpu_ratio:.2f}x | "
            f"{_target(ratio, RESTORED_TARGET)} | {own['seconds'] * ms:.1f} ms "
            f"| {own['cpu_seconds'] * ms:.1f} ms "
            f"| {result['cpu_seconds'] / own['cpu_seconds']:.2f}x |"
        )
    lines += [
        "",
        "The same first requests against a second baseline: a bare boto3 handler making the very "
        "DynamoDB requests the function's request makes (captured with botocore's "
        "`provide-client-params` event from the same sample event, from the same state, and replayed "
        "with their parameters; what they write put back, untimed, before each call), its warm call "
        "the median of 5. The target above stays judged on the one-`UpdateItem` baseline.",
        "",
        "| function | its DynamoDB requests | bare, same requests: warm call | CPU time | first request "
        "to it | CPU ratio |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    calls = dict(cold["calls"])
    for (logical_id, result), (_, same) in zip(cold["restored"], cold["bare_same"], strict=True):
        lines.append(
            f"| {logical_id} | {', '.join(calls[logical_id]) or '-'} | {same['seconds'] * ms:.1f} ms "
            f"| {same['cpu_seconds'] * ms:.1f} ms | {result['seconds'] / same['seconds']:.2f}x "
            f"| {result['cpu_seconds'] / same['cpu_seconds']:.2f}x |"
        )
    lines += [
        "",
        "Where ArchiveFunction's import time goes (`python -X importtime`, self time summed by package; "
        f"a standard-library module counts for the package that imported it; median of {COLD_RUNS}):",
        "",
        "| package | import time |",
        "| --- | ---: |",
    ]
    lines += [f"| {group} | {seconds * ms:.0f} ms |" for group, seconds in cold["imports"]]
    lines += ["", *_cold_start_notes(cold), ""]
    return lines


def _cold_start_notes(cold: dict[str, Any]) -> list[str]:
    """What (b)'s figures mean, with this run's ranges."""
    bare, bare_warm = cold["bare"], cold["bare_warm"]
    plain = [result["seconds"] / bare["seconds"] for _, result in cold["plain"]]
    plain_cpu = [result["cpu_seconds"] / bare["cpu_seconds"] for _, result in cold["plain"]]
    compiled = [result["seconds"] / bare["seconds"] for _, result in cold["plain_compiled"]]
    compiled_cpu = [r["cpu_seconds"] / bare["cpu_seconds"] for _, r in cold["plain_compiled"]]
    compile_cost = [
        source["cpu_seconds"] - built["cpu_seconds"]
        for (_, source), (_, built) in zip(cold["plain"], cold["plain_compiled"], strict=True)
    ]
    shed = [
        r["seconds"] - 1.5 * bare["seconds"]
        for _, r in cold["plain_compiled"]
        if r["seconds"] > 1.5 * bare["seconds"]
    ]
    restored = [result["seconds"] / bare_warm["seconds"] for _, result in cold["restored"]]
    pairs = list(zip(cold["restored"], cold["warm"], cold["bare_same"], strict=True))
    own = [result["cpu_seconds"] / warm["cpu_seconds"] for (_, result), (_, warm), _ in pairs]
    extra = [result["cpu_seconds"] - warm["cpu_seconds"] for (_, result), (_, warm), _ in pairs]
    same = [result["seconds"] / same["seconds"] for (_, result), _, (_, same) in pairs]
    same_cpu = [result["cpu_seconds"] / same["cpu_seconds"] for (_, result), _, (_, same) in pairs]
    own_vs_same = [warm["cpu_seconds"] / same["cpu_seconds"] for _, (_, warm), (_, same) in pairs]
    same_by_function = dict(cold["bare_same"])

    met = [
        logical_id
        for (logical_id, _), ratio in zip(cold["restored"], restored, strict=True)
        if ratio <= 1.2
    ]
    verdict = (
        f"met by {', '.join(met)} only, missed by the others" if met else "missed by every function"
    )
    plain_verdict = "met" if max(plain) <= 1.5 else "missed"
    compiled_met = [
        logical_id
        for (logical_id, _), ratio in zip(cold["plain_compiled"], compiled, strict=True)
        if ratio <= 1.5
    ]
    compiled_verdict = (
        "met"
        if len(compiled_met) == len(compiled)
        else f"met by {', '.join(compiled_met)} only compiled"
        if compiled_met
        else "missed compiled"
    )
    compile_costs = ", ".join(
        f"{logical_id} {cost * 1000:.0f} ms"
        for (logical_id, _), cost in zip(cold["plain"], compile_cost, strict=True)
    )

    def span(values: list[float]) -> str:
        return f"{min(values):.2f}x to {max(values):.2f}x"

    def span_ms(values: list[float]) -> str:
        return f"{min(values) * 1000:.1f} to {max(values) * 1000:.1f} ms"

    return [
        "**Plain cold start.** The bare handler pays for botocore too (boto3 adds s3transfer, "
        "`multiprocessing` and its docs modules on top, which the layer avoids by creating its clients "
        "with botocore directly; nor does the layer load botocore more expensively: "
        "`botocore.awsrequest`, urllib3 and the session's loaders are what `boto3.client` loads too, "
        "and its one DynamoDB client is made as boto3 makes it). What a function pays beyond it: "
        "pydantic (the first model built pays for its schema machinery, about 25 ms of CPU, and "
        "`APIGatewayRestResolver(enable_validation=True)` needs it; the settings model costs about 7 ms "
        "beyond that), Powertools (importing any resolver runs "
        "`aws_lambda_powertools.event_handler/__init__`, which imports every resolver it ships, "
        "AppSync's bringing in `asyncio`; the installed Powertools 3.37.0 has no lighter import path: "
        "its lazy loading covers pydantic when validation is off and the parser's envelopes, not the "
        "resolvers, and only replacing modules in `sys.modules` would avoid that `__init__`), and the "
        "layer's own modules. `LedgerStore` now builds the stores an API function does not use on "
        "first use (links, idempotency keys, deliveries, watermarks, tenant settings, API keys, due; "
        "before a SnapStart snapshot, all of them): "
        "ArchiveFunction, RestoreFunction and ListFunction no longer import 11 store and record "
        f"modules at init ({LAZY_STORES}; `tests/unit/test_import_boundaries.py` keeps them off that "
        "path). The first table compiles the layer's code in every process; with its `.pyc` files "
        f"a plain cold start took less CPU by {compile_costs} in this run (the second table; "
        "the run's noise is as wide as some of these differences: measured alone, with every module "
        "imported in turn, compiling the layer's code cost ArchiveFunction about 140 ms of CPU). "
        f"The plain cold start is {span(plain)} the bare handler's ({span(plain_cpu)} in CPU time), "
        f"{span(compiled)} compiled ({span(compiled_cpu)}): **the 1.5x target is {plain_verdict} from "
        f"source, and {compiled_verdict}.**"
        + (
            f" Compiled, the functions that miss it would need {span_ms(shed)} less, about what "
            "Powertools' event handler (its other resolvers) or pydantic's model machinery costs: "
            "validation without pydantic, or a resolver that does not import every other one."
            if shed
            else ""
        )
        + " Deployed, the API functions do not take this path: SnapStart "
        "restores every new container of the published version from its snapshot, and only a direct "
        "call of `$LATEST` starts plain.",
        "",
        "**Restored first request.** Before the snapshot, each route's synthetic request is now "
        "signed with throwaway keys and answered where it would be sent (botocore's `before-send`), "
        "through botocore's own response parser, instead of being answered before it is signed: "
        "signing, the send path and the parser are warmed, and still nothing is sent and no "
        f"credentials resolved. {WARM_UP_AB} A restored container's first request costs "
        f"{span_ms(extra)} of CPU more than its own warm call ({span(own)}, the last column): the "
        "after-restore hooks (about 0.2 ms), a new connection to DynamoDB (a restored container must "
        "not reuse the snapshot's sockets), its own credentials, and the parser's first walk of a "
        "real answer's shapes. Against the bare handler's warm call it is "
        f"{span(restored)} in wall time. **The 1.2x target is {verdict}.** Against a bare handler "
        f"making the same requests it is {span(same)} in wall time and {span(same_cpu)} in CPU time. "
        "Each function makes one request, the same operation as its baseline's or a read, but "
        "ArchiveFunction's and RestoreFunction's `UpdateItem` is a larger write than the baseline's: "
        "15 attributes set under a condition, the history event appended to a list, the item returned "
        "(`ALL_NEW`), and the keys of two indexes (`by_status`, `by_due`) and attributes projected "
        "into the contact's others changed, so DynamoDB Local rewrites several index entries; replayed "
        f"bare, it took {same_by_function['ArchiveFunction']['seconds'] * 1000:.1f} ms against the "
        f"one-`UpdateItem` baseline's {bare_warm['seconds'] * 1000:.1f} ms. What keeps the functions "
        "above 1.2x of the same requests is their own CPU per request (Powertools' resolver and "
        "validation, Logger and Metrics with an EMF line per request, the request body parsed and "
        f"the response's JSON written): their warm call takes {span(own_vs_same)} the CPU time of the "
        "same requests' bare warm call. Init's objects are collected and frozen (`gc.freeze()`) "
        "before the snapshot: without that, a restored container's first request paid a full garbage "
        "collection of everything init made (ArchiveFunction's first request took 11.1 ms of CPU in a "
        "run without it). Wall times here come from a machine shared with other work, so their spread "
        "is wide; the CPU columns are steadier.",
    ]
