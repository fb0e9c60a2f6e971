"""Every metric the dashboard and the alarms of template.yaml name in the service's namespace is one
the code emits, with the same namespace and dimensions.

What the code emits is known two ways: an inventory of the layer's metric calls (their names, or
the patterns their f-strings make), which covers every name; and the real emitters run, their
Embedded Metric Format output read back, which proves the namespace and dimensions."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from contact_archive.ledger.models import Vendor
from contact_archive.observability import count, count_for_vendor, metrics, milliseconds
from contact_archive.vendors.errors import PermanentVendorError, TransientVendorError
from contact_archive.vendors.http import VendorHttp
from contact_archive.vendors.retry import RetryPolicy
from devtools.template import load_template

LAYER = Path(__file__).resolve().parents[2] / "shared" / "contact_archive"
# The emitting helpers of contact_archive.observability, and the dimensions each gives.
EMITTERS = {
    "count": ("service",),
    "milliseconds": ("service",),
    "count_for_vendor": ("service", "vendor"),
}


@dataclass(frozen=True)
class Named:
    """A metric as the dashboard or an alarm names it."""

    where: str
    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Emitted:
    """A metric call of the layer: its name, or the pattern of names an f-string makes."""

    where: str
    pattern: str
    dimensions: tuple[str, ...]


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="module")
def environment(template: dict[str, Any]) -> dict[str, Any]:
    variables: dict[str, Any] = template["Globals"]["Function"]["Environment"]["Variables"]
    return variables


def dashboard_metrics(template: dict[str, Any]) -> list[Named]:
    """The dashboard's metric rows, each written out in full: `[namespace, name, dimension,
    value, ..., {options}]` (no `"..."` shorthand, which would hide a row's names)."""
    body = template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    # ${...} only inside strings (a test below holds it to that): any stand-in keeps it JSON.
    document = json.loads(re.sub(r"\$\{[^}]+\}", "substituted", body))
    found = []
    for widget in document["widgets"]:
        for row in widget["properties"].get("metrics", []):
            fields = [field for field in row if not isinstance(field, dict)]
            assert "..." not in fields, row
            namespace, name, *pairs = fields
            assert len(pairs) % 2 == 0, row
            dimensions = tuple(zip(pairs[::2], pairs[1::2], strict=True))
            title = widget["properties"].get("title", "")
            found.append(Named(f"dashboard: {title}", namespace, name, dimensions))
    return found


def alarm_metrics(template: dict[str, Any]) -> list[Named]:
    found = []
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        properties = resource["Properties"]
        dimensions = tuple(
            (dimension["Name"], dimension["Value"]) for dimension in properties["Dimensions"]
        )
        found.append(
            Named(logical_id, properties["Namespace"], properties["MetricName"], dimensions)
        )
    return found


def _module_dict_values(tree: ast.Module) -> dict[str, list[str]]:
    """Module-level `NAME = {key: "Metric", ...}`: the names a `NAME[key]` or `NAME.get(...)`
    call emits."""
    tables: dict[str, list[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            values = [v.value for v in node.value.values if isinstance(v, ast.Constant)]
            for target in node.targets:
                if isinstance(target, ast.Name) and all(isinstance(v, str) for v in values):
                    tables[target.id] = [str(value) for value in values]
    return tables


def _patterns(node: ast.expr, tables: dict[str, list[str]]) -> Iterator[str]:
    """The names (as regular expressions) an argument can be."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield re.escape(node.value)
    elif isinstance(node, ast.JoinedStr):
        yield "".join(
            re.escape(str(part.value)) if isinstance(part, ast.Constant) else "[A-Za-z]+"
            for part in node.values
        )
    elif isinstance(node, ast.IfExp):
        yield from _patterns(node.body, tables)
        yield from _patterns(node.orelse, tables)
    else:
        # LEDGER_METRICS[action], ANNOUNCED_METRICS.get(...): a table of the module, imported
        # or its own.
        table = next((name for name in tables if name in ast.unparse(node)), None)
        if table is None:
            raise AssertionError(f"a metric name the inventory cannot read: {ast.unparse(node)}")
        yield from (re.escape(value) for value in tables[table])


def emitted_by_the_layer() -> list[Emitted]:
    modules = {path: ast.parse(path.read_text()) for path in sorted(LAYER.rglob("*.py"))}
    tables: dict[str, list[str]] = {}
    for tree in modules.values():
        tables.update(_module_dict_values(tree))
    found = []
    for path, tree in modules.items():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id not in EMITTERS or not node.args:
                continue
            where = f"{path.relative_to(LAYER)}:{node.lineno}"
            for pattern in _patterns(node.args[0], tables):
                found.append(Emitted(where, pattern, EMITTERS[node.func.id]))
    return found


def test_the_inventory_sees_every_metric_call_of_the_layer() -> None:
    emitted = emitted_by_the_layer()
    names = {e.pattern for e in emitted}
    assert {"ContactArchived", "ContactRestored", "ContactArchiveSettled"} <= names
    assert {"SyncLag", "VendorThrottled", "VendorCallFailed", "WebhookAccepted"} <= names
    # Nothing emits through Metrics directly but observability itself: one place, one shape.
    direct = [
        path
        for path in LAYER.rglob("*.py")
        if "add_metric(" in path.read_text() and path.parent.name != "observability"
    ]
    assert direct == []


def test_ledger_and_settled_changes_are_distinct_metrics() -> None:
    by_name: dict[str, set[str]] = {}
    for emitted in emitted_by_the_layer():
        by_name.setdefault(emitted.pattern, set()).add(emitted.where.split("/")[0])
    # The ledger's changes (API, commands) and the vendors' settling (the stream) never share
    # a name: a graph of one is not the sum of both.
    assert "sync" not in by_name["ContactArchived"] | by_name["ContactRestored"]
    assert by_name["ContactArchiveSettled"] == {"sync"}
    assert by_name["ContactRestoreSettled"] == {"sync"}


def test_the_dashboard_body_is_json_with_substitutions_only_inside_strings(
    template: dict[str, Any],
) -> None:
    body = template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    for match in re.finditer(r"\$\{[^}]+\}", body):
        assert body[match.start() - 1] == '"' or body[match.end()] == '"', match.group()
    assert len(dashboard_metrics(template)) > 20


def test_every_service_metric_named_is_one_the_code_emits(
    template: dict[str, Any], environment: dict[str, Any]
) -> None:
    namespace = environment["POWERTOOLS_METRICS_NAMESPACE"]
    service = environment["POWERTOOLS_SERVICE_NAME"]
    emitted = emitted_by_the_layer()
    named = [*dashboard_metrics(template), *alarm_metrics(template)]
    ours = [metric for metric in named if not metric.namespace.startswith("AWS/")]
    assert ours, "the dashboard shows none of the service's own metrics"
    vendors = {vendor.value for vendor in Vendor}
    for metric in ours:
        assert metric.namespace == namespace, metric
        dimensions = dict(metric.dimensions)
        assert dimensions.get("service") == service, metric
        if "vendor" in dimensions:
            assert dimensions["vendor"] in vendors, metric
        matching = [
            e
            for e in emitted
            if re.fullmatch(e.pattern, metric.name) and set(e.dimensions) == set(dimensions)
        ]
        assert matching, f"{metric.where}: no code emits {metric.name} with {sorted(dimensions)}"


# --- the emitters, run: what CloudWatch will read from their output -------------------------


def _emf(printed: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in printed.splitlines() if line.startswith('{"_aws"')]


def _metrics_of(blobs: list[dict[str, Any]]) -> dict[str, tuple[str, tuple[str, ...]]]:
    """{name: (namespace, dimension names)} over Embedded Metric Format blobs."""
    found = {}
    for blob in blobs:
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            (dimensions,) = directive["Dimensions"]
            for metric in directive["Metrics"]:
                found[metric["Name"]] = (directive["Namespace"], tuple(sorted(dimensions)))
    return found


def test_the_emitters_write_the_namespace_and_dimensions_the_inventory_assumes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(metrics, "default_dimensions", {})
    namespace = "ContactArchiveTest"  # tests/conftest.py's, as the template's is deployed
    metrics.clear_metrics()  # what an earlier test in this process left unflushed is not ours
    capsys.readouterr()
    count("ContactArchived")
    milliseconds("SyncLag", 1500.0)
    count_for_vendor("VendorThrottled", Vendor.ROUTERA.value)
    metrics.flush_metrics()
    blobs = _emf(capsys.readouterr().out)
    assert _metrics_of(blobs) == {
        "ContactArchived": (namespace, ("service",)),
        "SyncLag": (namespace, ("service",)),
        "VendorThrottled": (namespace, ("service", "vendor")),
    }
    assert {blob.get("vendor") for blob in blobs} == {None, "routera"}
    for name, dimensions in EMITTERS.items():
        assert dimensions == tuple(sorted(dimensions)), name


def _vendor_http(*responses: httpx.Response) -> VendorHttp:
    answers = iter(responses)
    transport = httpx.MockTransport(lambda request: next(answers))
    return VendorHttp(
        Vendor.SEQUENCE,
        httpx.Client(transport=transport, base_url="https://vendor.test"),
        error_text=lambda body: None,
        retry=RetryPolicy(max_attempts=2),
        sleep=lambda seconds: None,
    )


def test_a_vendors_429_and_failures_are_counted_per_vendor(
    capsys: pytest.CaptureFixture[str],
) -> None:
    capsys.readouterr()
    client = _vendor_http(
        httpx.Response(429, headers={"Retry-After": "0"}), httpx.Response(503), httpx.Response(200)
    )
    with pytest.raises(TransientVendorError):
        client.request("GET", "/contacts/1")
    assert client.request("GET", "/contacts/1").status_code == 200
    client = _vendor_http(httpx.Response(400))
    with pytest.raises(PermanentVendorError):
        client.request("GET", "/contacts/1")
    blobs = _emf(capsys.readouterr().out)
    seen = [(next(iter(_metrics_of([blob]))), blob["vendor"]) for blob in blobs]
    assert sorted(seen) == [
        ("VendorCallFailed", "sequence"),  # the 429
        ("VendorCallFailed", "sequence"),  # the 503
        ("VendorCallFailed", "sequence"),  # the 400
        ("VendorThrottled", "sequence"),
    ]


def test_outside_a_function_a_vendor_failure_writes_no_metric_and_raises_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(metrics, "namespace", None)  # a script: no POWERTOOLS_METRICS_NAMESPACE
    capsys.readouterr()
    count_for_vendor("VendorThrottled", Vendor.INTERCOM.value)
    assert _emf(capsys.readouterr().out) == []


def test_sync_lag_runs_from_the_request_and_never_stops_a_sync(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from contact_archive.ledger.models import ChangeAction, iso, new_change, utc_now
    from contact_archive.sync import stream

    metrics.clear_metrics()  # what an earlier test in this process left unflushed is not ours
    capsys.readouterr()
    for requested_at in (iso(utc_now() - timedelta(seconds=90)), "t", ""):
        change = new_change(ChangeAction.ARCHIVE, requested_at)
        monkeypatch.setattr(stream, "latest_change", lambda contact, change=change: change)
        stream.record_sync_lag(object())  # type: ignore[arg-type]  # only its latest change is read
    metrics.flush_metrics()
    (blob,) = _emf(capsys.readouterr().out)
    (lag,) = blob["SyncLag"] if isinstance(blob["SyncLag"], list) else [blob["SyncLag"]]
    assert 90_000 <= lag < 100_000
