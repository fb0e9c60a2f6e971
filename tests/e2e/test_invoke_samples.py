"""`make invoke` works with every file in events/ out of the box: each sample, with its function,
through `python -m devtools.invoke` as a user runs it (a process of its own, nothing set but where
DynamoDB Local is), exits 0 with the answer the sample should get.

The samples run in one order on one ledger (`tests/samples.py`): a table of their own on one
DynamoDB Local shared by every call (DYNAMODB_ENDPOINT), so the run costs one Java start, not one
per call; those that touch nothing the others read run beside them. Each call starts what its
function needs itself (the sandboxes, the bus, the queues), as it does for a user.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from devtools import REPO_ROOT
from devtools.dynamodb_local import DynamoDBLocal
from devtools.template import load_template
from tests.samples import SAMPLES, Sample, route_function
from tests.support import EVENTS

CALL_SECONDS = 120  # a bound for one call gone wrong; a call takes seconds
# The developer's own settings must not change what the samples meet.
UNSET = ("VENDOR_CREDENTIALS", "VENDOR_CREDENTIALS_FILE", "DYNAMODB_PORT", "AWS_PROFILE")


@pytest.fixture(scope="module")
def dynamodb_endpoint() -> Iterator[str]:
    with DynamoDBLocal() as database:
        yield database.endpoint_url


def test_every_sample_has_its_function_once() -> None:
    # Given the event files and the samples' table
    files = sorted(path.stem for path in EVENTS.glob("*.json"))
    named = [sample.event for sample in SAMPLES]

    # Then each file is named once, and each API sample by the function its route names
    assert sorted(named) == files
    template = load_template()
    routed = {s.event: route_function(template, s.load()) for s in SAMPLES}
    wrong = {
        s.event: (s.function, routed[s.event])
        for s in SAMPLES
        if routed[s.event] not in (None, s.function)
    }
    assert wrong == {}


def test_make_invoke_answers_every_sample(dynamodb_endpoint: str) -> None:
    # Given a DynamoDB Local the calls share, and a table no other test uses
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env |= {"DYNAMODB_ENDPOINT": dynamodb_endpoint, "TABLE_NAME": f"samples-{uuid.uuid4().hex}"}

    # When every sample is invoked with its function, as `make invoke` does: the story in
    # order, and beside it the samples that touch nothing it reads (two lanes, two cores)
    def run(samples: list[Sample]) -> dict[str, str]:
        return {s.event: wrong for s in samples if (wrong := invoked(s, env)) is not None}

    story = [sample for sample in SAMPLES if not sample.aside]
    aside = [sample for sample in SAMPLES if sample.aside]
    with ThreadPoolExecutor(2) as lanes:
        problems = {k: v for lane in lanes.map(run, [story, aside]) for k, v in lane.items()}

    # Then each exited 0 with the answer it should get
    assert problems == {}


def invoked(sample: Sample, env: dict[str, str]) -> str | None:
    """What is wrong with `python -m devtools.invoke`'s answer to the sample, or None."""
    done = subprocess.run(
        [sys.executable, "-m", "devtools.invoke", sample.function, sample.path],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=CALL_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        return f"exit {done.returncode}: {done.stderr[-1500:]}"
    return sample.check(json.loads(done.stdout))
