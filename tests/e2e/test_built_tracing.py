"""Tracing from the built artifacts: with `Tracing=Active`'s environment, the built layer's
Powertools Tracer and aws_xray_sdk send X-Ray what Lambda's daemon would receive, and each vendor
call is a subsegment `## vendor <name>` annotated with its vendor and method, with no email and no
vendor id in any document. Off (the default), nothing is sent and aws_xray_sdk is not imported.

As on Lambda: `LAMBDA_TASK_ROOT` (the built runner sets it) puts aws_xray_sdk in its Lambda mode,
`_X_AMZN_TRACE_ID` carries the invocation's sampled trace, and `AWS_XRAY_DAEMON_ADDRESS` names the
daemon's UDP address: here a socket of this test's, on loopback. SyncFunction archives Ada at her
vendors (the sandboxes) from the story's `sync_stream` sample, after her register and archive.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from devtools.built import BuiltFunctionRunner, ensure_built, runtime_path
from devtools.lambda_bootstrap import MODULES_REQUEST
from tests.e2e.built_stack import built_stack
from tests.samples import SAMPLES
from tests.support import EVENTS

TRACE_ID = "1-6751e988-bd862e3fe1be46a994272793"
TRACE_HEADER = f"Root={TRACE_ID};Parent=53995c3f42cd8ad8;Sampled=1"
STORY = ("register_contact", "archive_contact", "sync_stream")
VENDORS = {"sequence", "routera", "intercom", "constant_contact"}


class Daemon:
    """X-Ray's daemon as the SDK sees it: a UDP socket on loopback; keeps every document."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.settimeout(0.2)
        self.datagrams: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._receive, daemon=True)

    @property
    def address(self) -> str:
        host, port = self.socket.getsockname()
        return f"{host}:{port}"

    def _receive(self) -> None:
        while not self._stop.is_set():
            try:
                self.datagrams.append(self.socket.recv(65535))
            except TimeoutError:
                continue

    def documents(self) -> list[dict[str, Any]]:
        """Each datagram's document (after the SDK's `{"format": "json", "version": 1}` line)."""
        time.sleep(0.5)  # the last datagrams in flight
        found = []
        for datagram in list(self.datagrams):
            header, _, body = datagram.decode().partition("\n")
            assert json.loads(header) == {"format": "json", "version": 1}
            found.append(json.loads(body))
        return found

    def __enter__(self) -> Daemon:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.socket.close()


def _sample(event: str) -> Any:
    (sample,) = [sample for sample in SAMPLES if sample.event == event]
    return sample


def _tell_the_story(runner: BuiltFunctionRunner) -> None:
    for event in STORY:
        sample = _sample(event)
        assert sample.check(runner.invoke(sample.function, sample.load())) is None, event


def _secrets_of_the_story() -> set[str]:
    """Ada's email and every vendor id (and Sequence's customer) the samples hold."""
    text = "".join((EVENTS / f"{event}.json").read_text() for event in STORY)
    found = set(re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", text))
    found |= set(re.findall(r'"(?:vendor_id|scope)": \{\s*"S": "([^"]+)"', text))
    return found


def _subsegments(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield document
    for inner in document.get("subsegments", []):
        yield from _subsegments(inner)


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Any:
    ensure_built()
    return runtime_path(tmp_path_factory.mktemp("lambda-runtime"))


def test_on_each_vendor_call_is_a_subsegment_and_no_document_names_the_contact(
    runtime: Any,
) -> None:
    secrets = _secrets_of_the_story()
    assert "ada@example.com" in secrets
    assert {"rt-77", "seq-contact-1"} <= secrets

    # Given the built functions with Tracing=Active's environment, a sampled trace, and the daemon
    with Daemon() as daemon:
        traced = {
            "POWERTOOLS_TRACE_DISABLED": "false",
            "_X_AMZN_TRACE_ID": TRACE_HEADER,
            "AWS_XRAY_DAEMON_ADDRESS": daemon.address,
        }
        with built_stack(runtime, traced) as runner:
            # When Ada is registered, archived, and SyncFunction archives her at her vendors
            _tell_the_story(runner)
            modules = runner.invoke("SyncFunction", MODULES_REQUEST)
        documents = daemon.documents()

    # Then the layer's aws_xray_sdk recorded them
    assert "aws_xray_sdk" in modules
    assert documents
    assert all(document["trace_id"] == TRACE_ID for document in documents)
    # And each vendor call is a subsegment of the invocation's trace, named by its vendor, with
    # the vendor and the method as annotations
    calls = [
        segment
        for document in documents
        for segment in _subsegments(document)
        if segment["name"].startswith("## vendor ")
    ]
    assert calls
    for call in calls:
        vendor = call["name"].removeprefix("## vendor ")
        assert vendor in VENDORS
        assert call["annotations"]["vendor"] == vendor
        assert call["annotations"]["method"] in {"GET", "POST", "PUT", "PATCH", "DELETE"}
        assert set(call["annotations"]) <= {"vendor", "method", "error"}
        assert "exception" not in json.dumps(call.get("cause", {}))
    assert len({call["name"] for call in calls}) >= 2  # Ada's links at several vendors
    # And the AWS calls are recorded too (botocore patched), the ledger's among them
    assert any(
        segment.get("namespace") == "aws" and segment["name"] == "dynamodb"
        for document in documents
        for segment in _subsegments(document)
    )
    # And no document holds her email or a vendor id: no path, no body, no error message
    sent = json.dumps(documents)
    assert [secret for secret in sorted(secrets) if secret in sent] == []


def test_off_nothing_is_sent_and_the_xray_sdk_is_not_imported(runtime: Any) -> None:
    # Given the built functions with the default environment (tracing off), but a daemon to send
    # to and a sampled trace, as Lambda gives a PassThrough function called by a traced caller
    with Daemon() as daemon:
        untraced = {
            "POWERTOOLS_TRACE_DISABLED": "true",
            "_X_AMZN_TRACE_ID": TRACE_HEADER,
            "AWS_XRAY_DAEMON_ADDRESS": daemon.address,
        }
        with built_stack(runtime, untraced) as runner:
            # When the same story runs
            _tell_the_story(runner)
            modules = runner.invoke("SyncFunction", MODULES_REQUEST)
        documents = daemon.documents()

    # Then nothing was sent, and the SDK was never loaded
    assert documents == []
    assert [name for name in modules if name.startswith("aws_xray_sdk")] == []
