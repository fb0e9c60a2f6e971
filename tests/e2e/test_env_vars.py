"""`make env-vars` gives every function, as `sam local` resolves it, every variable its code reads
that it needs locally: checked with the SAM CLI's own code (its `--env-vars` resolution, run in
.venv-sam, offline: no Docker needed), since `sam local` silently drops what a template does not
declare.

What a function needs is read from the code and the template, not listed by hand: the variables
the layer reads are `config.Settings`' fields and any literal `os.environ` / `os.getenv` read in
shared/ or functions/; the AWS services it calls are those it creates clients for, each reached
through `AWS_ENDPOINT_URL_<service>`. A function needs, locally, each Settings variable the template
gives it (a secret's ARN or prefix by its local stand-in), and the endpoint of each service those
imply. A variable the layer reads that is neither needed by some function nor known as optional
fails the test, so a new one cannot be forgotten.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from contact_archive.config import Settings
from devtools import REPO_ROOT
from devtools.env_vars import local_variables, sam_env_vars
from devtools.local_process import LocalApiProcess
from devtools.local_state import StackState, read_state
from devtools.template import declared_variables, functions, load_template

SAM_PYTHON = REPO_ROOT / ".venv-sam" / "bin" / "python"
STATE = StackState(
    pid=1,
    api_url="http://127.0.0.1:3000",
    tenant="dev-tenant",
    dynamodb_endpoint="http://127.0.0.1:8000",
    table_name="contact-archive-local",
    sandboxes={
        "sequence": "http://127.0.0.1:40001/api",
        "routera": "http://127.0.0.1:40002",
        "intercom": "http://127.0.0.1:40003",
        "constant_contact": "http://127.0.0.1:40004/v3",
    },
    event_bus_url="http://127.0.0.1:40005",
    sqs_endpoint="http://127.0.0.1:40006",
)
QUEUES = (
    "http://127.0.0.1:40006/123456789012/contact-archive-local-jobs",
    "http://127.0.0.1:40006/123456789012/contact-archive-local-sync-dlq",
)
# Deployed configuration -> what stands in for it locally (the same setting, without AWS).
LOCAL_STAND_INS = {
    "CURSOR_SECRET_ARN": "CURSOR_SIGNING_KEY",
    "ERASURE_SECRET_ARN": "ERASURE_KEY",
    "VENDOR_SECRET_PREFIX": "VENDOR_CREDENTIALS",
}
# The AWS services a setting implies a function calls (`dependencies.py`).
SERVICES_OF = {
    "TABLE_NAME": ("dynamodb",),
    "EVENT_BUS_NAME": ("events",),
    "JOB_QUEUE_URL": ("sqs",),
    "DEAD_LETTER_QUEUE_URL": ("sqs", "dynamodbstreams"),
    "SYNC_FUNCTION_NAME": ("lambda",),
}
# Read, but needed by no function locally: tunables with defaults, the file form of
# VENDOR_CREDENTIALS, and Secrets Manager, which local credentials and keys replace.
OPTIONAL = {
    "CURSOR_TTL_SECONDS",
    "IDEMPOTENCY_TTL_HOURS",
    "VENDOR_CREDENTIALS_FILE",
    "RECONCILE_MAX_PAGES",
    "RECONCILE_PAGE_SIZE",
    "RECONCILE_TIME_RESERVE_SECONDS",
    "JOB_CHECK_SECONDS",
    "JOB_CHECK_MAX_SECONDS",
    "AWS_ENDPOINT_URL_SECRETS_MANAGER",
}
# Runs in .venv-sam: the SAM CLI's own resolution of each function's variables.
SAM_PROBE = """
import json, sys
from samcli.commands.local.lib.local_lambda import LocalLambdaRunner
from samcli.lib.providers.sam_function_provider import SamFunctionProvider
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider

stacks, _ = SamLocalStackProvider.get_stacks(sys.argv[1], parameter_overrides={})
runner = LocalLambdaRunner.__new__(LocalLambdaRunner)  # only its env-vars logic is used
with open(sys.argv[2]) as env_vars:
    runner.env_vars_values = json.load(env_vars)
runner._boto3_session_creds = None
runner._boto3_region = runner.aws_profile = runner.aws_region = runner.debug_context = None
resolved = {f.name: runner._make_env_vars(f).resolve() for f in SamFunctionProvider(stacks).get_all()}
print(json.dumps(resolved))
"""


def endpoint_variable(service: str) -> str:
    """botocore's `AWS_ENDPOINT_URL_<service id>` for a client name (`events` -> EVENTBRIDGE)."""
    model = botocore.session.get_session().get_service_model(service)
    return "AWS_ENDPOINT_URL_" + model.service_id.hyphenize().replace("-", "_").upper()


def variables_the_code_reads() -> set[str]:
    names = {name.upper() for name in Settings.model_fields}
    for folder in ("shared/contact_archive", "functions"):
        for path in (REPO_ROOT / folder).rglob("*.py"):
            names |= _environ_reads(ast.parse(path.read_text(encoding="utf-8")))
    clients = set()
    for path in (REPO_ROOT / "shared/contact_archive").rglob("*.py"):
        clients |= _client_names(ast.parse(path.read_text(encoding="utf-8")))
    return names | {endpoint_variable(service) for service in clients}


def needed(template: dict[str, Any], logical_id: str) -> set[str]:
    """What the function needs locally, from what the template gives it deployed."""
    settings = {name.upper() for name in Settings.model_fields}
    given = set(declared_variables(template, logical_id)) & settings
    names = {LOCAL_STAND_INS.get(name, name) for name in given}
    for name in given:
        names |= {endpoint_variable(service) for service in SERVICES_OF.get(name, ())}
    return names


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """Each function's variables as `sam local` resolves them with `make env-vars`' file."""
    if not SAM_PYTHON.exists():
        pytest.fail(".venv-sam is missing: `make tools` installs the SAM CLI")
    document = sam_env_vars(load_template(), local_variables(STATE, QUEUES))
    path = tmp_path_factory.mktemp("env-vars") / "sam-env-vars.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    done = subprocess.run(
        [str(SAM_PYTHON), "-c", SAM_PROBE, str(REPO_ROOT / "template.yaml"), str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={"SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin"},
    )
    answer: dict[str, dict[str, str]] = json.loads(done.stdout.splitlines()[-1])
    return answer


def test_every_variable_the_code_reads_is_needed_somewhere_or_known_optional() -> None:
    template = load_template()
    needed_somewhere = set().union(*(needed(template, f) for f in functions(template)))
    covered = needed_somewhere | set(LOCAL_STAND_INS) | OPTIONAL  # deployed names: stood in for
    assert variables_the_code_reads() - covered == set()


def test_sam_local_gives_each_function_every_variable_it_needs(
    resolved: dict[str, dict[str, str]],
) -> None:
    # Given the file `make env-vars` writes, resolved by the SAM CLI for every function
    template = load_template()
    assert set(resolved) == set(functions(template))

    # Then each function has a value for every variable it needs, and none reaches for AWS
    missing = {
        function: sorted(name for name in needed(template, function) if not env.get(name))
        for function, env in resolved.items()
    }
    assert {function: names for function, names in missing.items() if names} == {}
    for env in resolved.values():
        assert env["AWS_ENDPOINT_URL_DYNAMODB"] == STATE.dynamodb_endpoint
        assert env["TABLE_NAME"] == STATE.table_name
        assert not env.get("CURSOR_SECRET_ARN") and not env.get("ERASURE_SECRET_ARN")


def test_vendor_credentials_point_at_the_sandboxes(resolved: dict[str, dict[str, str]]) -> None:
    credentials = json.loads(resolved["SyncFunction"]["VENDOR_CREDENTIALS"])
    urls = {vendor: found["base_url"] for vendor, found in credentials["dev-tenant"].items()}
    assert urls == STATE.sandboxes
    assert resolved["ReconcileFunction"]["AWS_ENDPOINT_URL_EVENTBRIDGE"] == STATE.event_bus_url
    assert resolved["JobsFunction"]["JOB_QUEUE_URL"] == QUEUES[0]
    assert resolved["RedriveFunction"]["DEAD_LETTER_QUEUE_URL"] == QUEUES[1]


def _environ_reads(tree: ast.AST) -> set[str]:
    """Literal names in `os.environ[...]`, `os.environ.get(...)`, `os.getenv(...)`."""
    names = set()
    for node in ast.walk(tree):
        target: ast.expr | None = None
        if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            target = node.slice
        elif isinstance(node, ast.Call) and node.args and _name(node) in ENVIRON_GETS:
            target = node.args[0]
        if isinstance(target, ast.Constant) and isinstance(target.value, str):
            names.add(target.value)
    return names


ENVIRON_GETS = ("os.environ.get", "os.getenv")


def _name(call: ast.Call) -> str:
    return ast.unparse(call.func)


def _client_names(tree: ast.AST) -> set[str]:
    """The service names given to `create_client(...)`, `boto3.client(...)` or the layer's own
    `new_client(...)` (dependencies.py: clients of the one shared session)."""
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and _called_name(node.func) in ("create_client", "client", "new_client")
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    }


def _called_name(function: ast.expr) -> str | None:
    if isinstance(function, ast.Attribute):
        return function.attr
    return function.id if isinstance(function, ast.Name) else None


def test_the_scan_finds_the_layer_s_clients() -> None:
    # The scan itself: it sees the clients dependencies.py creates.
    tree = ast.parse(Path(REPO_ROOT / "shared/contact_archive/dependencies.py").read_text())
    assert {"dynamodb", "events", "sqs", "lambda", "dynamodbstreams"} <= _client_names(tree)


def test_make_env_vars_points_at_the_running_stack(
    local_process: LocalApiProcess, tmp_path: Path
) -> None:
    # Given `make run`'s server, which publishes what it serves
    port = int(local_process.url.rsplit(":", 1)[1])
    state = read_state(port)
    assert state is not None

    # When the env-vars file is written from it, as `make env-vars` does
    output = tmp_path / "sam-env-vars.json"
    subprocess.run(
        [sys.executable, "-m", "devtools.env_vars", "--port", str(port), "--output", str(output)],
        cwd=REPO_ROOT,
        check=True,
        timeout=120,
    )

    # Then each function is pointed at its DynamoDB Local, its sandboxes, bus and jobs queue
    document = json.loads(output.read_text(encoding="utf-8"))
    assert {env["AWS_ENDPOINT_URL_DYNAMODB"] for env in document.values()} == {
        state.dynamodb_endpoint
    }
    credentials = json.loads(document["RegisterFunction"]["VENDOR_CREDENTIALS"])
    urls = {vendor: found["base_url"] for vendor, found in credentials[state.tenant].items()}
    assert urls == state.sandboxes
    assert document["SyncFunction"]["AWS_ENDPOINT_URL_EVENTBRIDGE"] == state.event_bus_url
    jobs_queue = document["JobsFunction"]["JOB_QUEUE_URL"]
    assert jobs_queue.startswith(state.sqs_endpoint)
    assert jobs_queue.endswith("/contact-archive-local-jobs")  # the one make run's worker polls
