"""Tracing you can turn on: off by default and then free (nothing of the Tracer imported), on with
the template's `Tracing=Active`, every vendor call a subsegment named by its vendor."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aws_lambda_powertools
import httpx
import pytest

from contact_archive.ledger.models import Vendor
from contact_archive.observability import tracing
from contact_archive.vendors.http import VendorHttp
from devtools.template import function_environment, load_template

ROOT = Path(__file__).resolve().parents[2]


class FakeSubsegment:
    def __init__(self, name: str) -> None:
        self.name = name
        self.annotations: dict[str, str] = {}
        self.fault = False
        self.exceptions: list[BaseException] = []  # what X-Ray would record, message and all

    def put_annotation(self, key: str, value: str) -> None:
        self.annotations[key] = value

    def add_fault_flag(self) -> None:
        self.fault = True


class FakeProvider:
    def __init__(self) -> None:
        self.subsegments: list[FakeSubsegment] = []

    @contextmanager
    def in_subsegment(self, name: str) -> Iterator[FakeSubsegment]:
        subsegment = FakeSubsegment(name)
        self.subsegments.append(subsegment)
        try:
            yield subsegment
        except Exception as error:  # as aws_xray_sdk's context manager records it
            subsegment.exceptions.append(error)
            raise


class FakeTracer:
    """Powertools' Tracer as the helper uses it: made with patch_modules, a provider's
    `in_subsegment`. (The real one needs X-Ray's Lambda context to record anything.)"""

    made: list[FakeTracer] = []

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.provider = FakeProvider()
        FakeTracer.made.append(self)


@pytest.fixture
def fresh_tracer() -> Iterator[None]:
    tracing.active_tracer.cache_clear()
    FakeTracer.made.clear()
    yield
    tracing.active_tracer.cache_clear()


def _client() -> VendorHttp:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    return VendorHttp(
        Vendor.ROUTERA,
        httpx.Client(transport=transport, base_url="https://vendor.test"),
        error_text=lambda body: None,
    )


def test_off_unless_the_environment_turns_it_on(
    monkeypatch: pytest.MonkeyPatch, fresh_tracer: None
) -> None:
    monkeypatch.delenv(tracing.TRACE_DISABLED_ENV, raising=False)
    assert not tracing.tracing_enabled()
    for value in ("true", "True", "1"):
        monkeypatch.setenv(tracing.TRACE_DISABLED_ENV, value)
        assert not tracing.tracing_enabled()
    monkeypatch.setenv(tracing.TRACE_DISABLED_ENV, "false")
    assert tracing.tracing_enabled()


def test_off_a_vendor_call_imports_nothing_of_tracing() -> None:
    """aws_xray_sdk (with its patching of botocore and httpx) is what costs: never loaded.
    (Powertools' own `tracing` package comes with `import aws_lambda_powertools`, X-Ray
    lazily.)"""
    code = (
        "import sys, httpx\n"
        "from contact_archive.ledger.models import Vendor\n"
        "from contact_archive.vendors.http import VendorHttp\n"
        "t = httpx.MockTransport(lambda r: httpx.Response(200, json={}))\n"
        "c = VendorHttp(Vendor.SEQUENCE, httpx.Client(transport=t, base_url='https://v.test'),"
        " error_text=lambda b: None)\n"
        "c.request('GET', '/x')\n"
        "print(sorted(m for m in sys.modules if m.startswith('aws_xray_sdk')))\n"
    )
    env = {"PYTHONPATH": f"{ROOT / 'shared'}", "POWERTOOLS_TRACE_DISABLED": "true"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_on_every_vendor_call_is_a_subsegment_named_by_its_vendor(
    monkeypatch: pytest.MonkeyPatch, fresh_tracer: None
) -> None:
    monkeypatch.setenv(tracing.TRACE_DISABLED_ENV, "false")
    monkeypatch.setattr(aws_lambda_powertools, "Tracer", FakeTracer)
    client = _client()
    client.request("GET", "/contacts/1")
    client.create_once("/contacts", json={}, created=lambda r: r.status_code, find=lambda: None)
    (tracer,) = FakeTracer.made  # one per container
    # AWS calls patched (their subsegments beneath the vendor's), httpx not: its subsegments
    # would record every URL, vendor ids in the path
    assert tracer.options == {"patch_modules": ("botocore",)}
    segments = tracer.provider.subsegments
    assert [s.name for s in segments] == ["## vendor routera"] * 2
    assert [s.annotations for s in segments] == [
        {"vendor": "routera", "method": "GET"},
        {"vendor": "routera", "method": "POST"},
    ]


def test_on_a_failed_call_is_a_fault_with_its_errors_type_and_not_its_message(
    monkeypatch: pytest.MonkeyPatch, fresh_tracer: None
) -> None:
    monkeypatch.setenv(tracing.TRACE_DISABLED_ENV, "false")
    monkeypatch.setattr(aws_lambda_powertools, "Tracer", FakeTracer)

    # When a vendor call fails with an error whose message names the contact
    class VendorRefused(Exception):
        pass

    with (
        pytest.raises(VendorRefused, match=r"ada@example\.com"),
        tracing.vendor_subsegment("intercom", "PUT"),
    ):
        raise VendorRefused("no contact ada@example.com")

    # Then the caller gets the error, and the subsegment only its type
    (subsegment,) = FakeTracer.made[0].provider.subsegments
    assert subsegment.fault
    assert subsegment.annotations == {
        "vendor": "intercom",
        "method": "PUT",
        "error": "VendorRefused",
    }
    assert subsegment.exceptions == []


def test_the_template_switches_lambda_the_api_and_the_tracer_together() -> None:
    template = load_template()
    parameter = template["Parameters"]["Tracing"]
    assert parameter["Default"] == "PassThrough"
    assert set(parameter["AllowedValues"]) == {"Active", "PassThrough"}
    assert template["Conditions"]["TracingActive"] == {"Fn::Equals": [{"Ref": "Tracing"}, "Active"]}
    assert template["Globals"]["Function"]["Tracing"] == {"Ref": "Tracing"}
    api = template["Resources"]["LedgerApi"]["Properties"]
    assert api["TracingEnabled"] == {"Fn::If": ["TracingActive", True, False]}
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables[tracing.TRACE_DISABLED_ENV] == {"Fn::If": ["TracingActive", "false", "true"]}
    # Locally (the runner, the tests) the condition is not resolved: the variable is left out,
    # which is off.
    assert tracing.TRACE_DISABLED_ENV not in function_environment(template, "SyncFunction")
