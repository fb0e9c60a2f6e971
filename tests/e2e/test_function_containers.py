"""The local stack's functions each run in a warm container of their own (`devtools/containers.py`,
through `FunctionRunner`): their own environment, one event at a time, several functions at once,
a handler's error reported as Lambda reports it, a dead container replaced."""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devtools.containers import FunctionError
from devtools.runtime import FunctionRunner

STUB_DIR = "tests/e2e/function_stub/"
WAIT_SECONDS = 60  # a bound for a test gone wrong, never reached when it passes


def stub_function(name: str) -> dict[str, Any]:
    return {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "CodeUri": STUB_DIR,
            "Handler": "app.lambda_handler",
            "Timeout": 30,
            "Environment": {"Variables": {"STUB_NAME": name}},
        },
    }


TEMPLATE = {"Resources": {"StubOne": stub_function("one"), "StubTwo": stub_function("two")}}


@pytest.fixture
def output() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def runner(output: io.StringIO) -> Iterator[FunctionRunner]:
    with FunctionRunner(
        TEMPLATE,
        "http://127.0.0.1:9",
        "ledger-stub",
        {"EXTRA_SETTING": "extra"},
        output=output,
    ) as runner:
        yield runner


def test_each_function_sees_its_own_environment_and_nothing_that_reaches_an_account(
    runner: FunctionRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a developer's shell holding a session token and a profile
    monkeypatch.setenv("AWS_SESSION_TOKEN", "a-developer-session")
    monkeypatch.setenv("AWS_PROFILE", "production")
    names = ["STUB_NAME", "TABLE_NAME", "EXTRA_SETTING", "AWS_SESSION_TOKEN", "AWS_PROFILE"]

    # When each function says what its environment holds
    one = runner.invoke("StubOne", {"action": "environment", "names": names})
    two = runner.invoke("StubTwo", {"action": "environment", "names": names})

    # Then each has its own template variables, the local ones and the runner's extras, and
    # none of the developer's credentials
    assert one == {
        "STUB_NAME": "one",
        "TABLE_NAME": "ledger-stub",
        "EXTRA_SETTING": "extra",
        "AWS_SESSION_TOKEN": None,
        "AWS_PROFILE": None,
    }
    assert two["STUB_NAME"] == "two"


def test_a_function_is_called_with_a_lambda_context(runner: FunctionRunner) -> None:
    # When a function is invoked with a request id
    answer = runner.invoke("StubOne", {"action": "context"}, request_id="request-1")

    # Then its handler was given Lambda's context for it
    assert answer == {
        "function_name": "contact-archive-local-StubOne",
        "request_id": "request-1",
        "time_left": True,
    }


def read_and_write_at_once(runner: FunctionRunner, fifo: Path, reading: str, writing: str) -> Any:
    """One function's handler waiting for what another writes to it (it could not, were the
    first one holding it back); what the first read, or None when either did not finish."""
    os.mkfifo(fifo)
    answers: list[Any] = []
    reader = threading.Thread(
        target=lambda: answers.append(
            runner.invoke(reading, {"action": "read_fifo", "path": str(fifo)})
        )
    )
    writer = threading.Thread(
        target=runner.invoke,
        args=(writing, {"action": "write_fifo", "path": str(fifo), "text": "hello"}),
    )
    reader.start()
    writer.start()
    writer.join(WAIT_SECONDS)
    reader.join(WAIT_SECONDS)
    return None if writer.is_alive() or reader.is_alive() else answers[0]


def test_two_functions_run_at_once(runner: FunctionRunner, tmp_path: Path) -> None:
    # When one function waits for what another writes to it
    read = read_and_write_at_once(runner, tmp_path / "pipe", "StubOne", "StubTwo")

    # Then both ran through, each in its own container
    assert read == "hello"
    assert (runner.cold_starts("StubOne"), runner.cold_starts("StubTwo")) == (1, 1)


def test_a_function_busy_with_an_event_gets_a_second_container_for_another(
    runner: FunctionRunner, tmp_path: Path
) -> None:
    # When a function's event waits for what another event of the same function writes
    read = read_and_write_at_once(runner, tmp_path / "pipe", "StubOne", "StubOne")

    # Then both ran through, in two containers (one event at a time each)
    assert read == "hello"
    assert runner.cold_starts("StubOne") == 2


def test_a_handler_error_is_reported_by_type_and_the_container_serves_on(
    runner: FunctionRunner,
) -> None:
    # Given a function whose handler raises
    with pytest.raises(FunctionError) as raised:
        runner.invoke("StubOne", {"action": "raise", "message": "refused"})

    # Then the error says the handler's error type and message, as Lambda reports them
    assert raised.value.error_type == "ValueError"
    assert str(raised.value) == "StubOne: ValueError: refused"
    # and the same warm container answers the next event
    assert runner.invoke("StubOne", {"action": "context"})["time_left"] is True
    assert runner.cold_starts("StubOne") == 1


def test_a_container_that_died_is_replaced_by_a_new_one(runner: FunctionRunner) -> None:
    # Given a function whose container dies in the middle of an event
    with pytest.raises(FunctionError) as raised:
        runner.invoke("StubOne", {"action": "die"})
    assert raised.value.error_type == "ContainerExited"

    # When it is invoked again
    answer = runner.invoke("StubOne", {"action": "environment", "names": ["STUB_NAME"]})

    # Then a new container (a second cold start) answers
    assert answer == {"STUB_NAME": "one"}
    assert runner.cold_starts("StubOne") == 2


def test_what_a_handler_prints_reaches_the_runners_output(
    runner: FunctionRunner, output: io.StringIO
) -> None:
    # When a handler prints
    runner.invoke("StubOne", {"action": "print", "text": "a line of the handler"})
    runner.close()

    # Then the line is in the runner's output once the containers stopped
    assert "a line of the handler\n" in output.getvalue()


def test_a_handler_that_does_not_load_is_reported_when_warming() -> None:
    # Given a template naming a handler module that does not exist
    broken = {"Resources": {"Broken": stub_function("broken")}}
    broken["Resources"]["Broken"]["Properties"]["Handler"] = "missing.lambda_handler"

    # When its container is started ahead of use
    with FunctionRunner(broken, "http://127.0.0.1:9", output=io.StringIO()) as runner:
        failed = runner.warm(["Broken"])

    # Then the runner says it did not load, and why
    assert list(failed) == ["Broken"]
    assert failed["Broken"].error_type == "FileNotFoundError"
