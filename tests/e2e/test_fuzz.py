"""Fuzzing: schemathesis generates requests for every operation of `docs/openapi.json` and sends
them to the local API over HTTP; every answer must be no server error, in its operation's
documented statuses, and in the documented schema for that status.

A bounded run in `make test` (FUZZ_CASES, at least 500 cases over all operations); `make fuzz`
runs a long one. The cases are derived from a fixed seed, so a failure found once is found again.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from tests.support import ROOT

OPENAPI = ROOT / "docs" / "openapi.json"
CASES = int(os.environ.get("FUZZ_CASES", "500"))
OPERATIONS = sum(
    1
    for path in json.loads(OPENAPI.read_text())["paths"].values()
    for method in path
    if method in {"get", "head", "put", "post", "patch", "delete"}
)
# A tenant of its own (the local API's `X-Tenant-Id`): what the fuzzer creates stays out of the
# other e2e tests' way.
FUZZ_TENANT = {"X-Tenant-Id": "fuzz-tenant"}
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
schema = schemathesis.openapi.from_path(OPENAPI)
sent: Counter[str] = Counter()


@schema.parametrize()
@settings(
    max_examples=math.ceil(CASES / OPERATIONS),
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case: schemathesis.Case, local_api: str) -> None:
    sent[f"{case.operation.method.upper()} {case.operation.path}"] += 1
    case.call_and_validate(base_url=local_api, headers=FUZZ_TENANT, checks=CHECKS, timeout=30)


def test_the_run_sent_its_cases_to_every_operation() -> None:
    if not sent:
        pytest.fail("the fuzzing test did not run before this one (run the module whole)")
    assert len(sent) == OPERATIONS
    assert sum(sent.values()) >= CASES
    print(f"fuzz: {sum(sent.values()):,} cases over {len(sent)} operations, no failure")
