"""Least privilege, proven: each function's whole effective policy (template.yaml through the SAM
translator, the managed policies SAM attaches included) against the AWS calls its code makes,
recorded while its handler runs on moto (least_privilege_scenarios.py for the functions behind
the API, least_privilege_event_scenarios.py for the others). For every function: no action
granted that neither the code nor the function's trigger uses, none used that is not granted,
and no `Resource: "*"` where IAM knows a narrower one, except those named below with why.

`pytest -rP tests/integration/test_least_privilege.py` prints the counts per function that
docs/reliability.md reports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters

from contact_archive import dependencies
from contact_archive.config import get_settings
from contact_archive.ledger.store import LedgerStore
from contact_archive.vendors import signing_secrets
from contact_archive.vendors.registry import VendorClients
from devtools.sandboxes.stack import SandboxStack
from tests.iam_calls import Call, Recorder
from tests.iam_policies import ACCOUNT, REGION, Deployment, effective_policies
from tests.iam_policies import translated as translated_template
from tests.integration.least_privilege_event_scenarios import EVENT_SCENARIOS
from tests.integration.least_privilege_scenarios import API_SCENARIOS, World
from tests.ledger_helpers import TENANT, no_wait
from tests.support import API_TENANT, Functions

PREFIX = "contact-archive/vendors"
SYNC_FUNCTION = "contact-archive-SyncFunction"
SCENARIOS = {**API_SCENARIOS, **EVENT_SCENARIOS}
LOGS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents")
# What Lambda itself does with every function's role: its logs, and with Tracing PassThrough the
# segments of requests an upstream caller sampled.
PLATFORM = (*LOGS, "xray:PutTraceSegments", "xray:PutTelemetryRecords")
# What a trigger does with the role: (action, logical id of the resource) by function.
TRIGGERS: dict[str, tuple[tuple[str, str], ...]] = {
    # The stream's event source mapping reads the stream; its OnFailure destination gets the
    # failed batch's coordinates.
    "SyncFunction": (
        ("dynamodb:DescribeStream", "LedgerTable.StreamArn"),
        ("dynamodb:GetRecords", "LedgerTable.StreamArn"),
        ("dynamodb:GetShardIterator", "LedgerTable.StreamArn"),
        ("dynamodb:ListStreams", "LedgerTable.StreamArn"),
        ("sqs:SendMessage", "SyncDeadLetterQueue.Arn"),
    ),
    # EventBridge invokes them asynchronously: a command that failed every retry goes to their
    # dead-letter queue, sent with their role (SAM's DeadLetterQueue grants it).
    "ArchiveFunction": (("sqs:SendMessage", "CommandDeadLetterQueue.Arn"),),
    "RestoreFunction": (("sqs:SendMessage", "CommandDeadLetterQueue.Arn"),),
    # The queue's event source mapping receives and deletes the messages.
    "JobWorkerFunction": (
        ("sqs:ReceiveMessage", "JobQueue.Arn"),
        ("sqs:DeleteMessage", "JobQueue.Arn"),
        ("sqs:GetQueueAttributes", "JobQueue.Arn"),
    ),
}
# Granted and never used: AWSXrayWriteOnlyAccess, which SAM attaches for Tracing, also lets the
# X-Ray SDK read sampling rules; on Lambda the SDK (in the layer, for Tracing=Active) never does
# (Lambda decides the sampling), and SAM offers no way to leave them out short of a role of our own.
SAM_EXTRAS = (
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:GetSamplingStatisticSummaries",
)
# Resource "*" where nothing narrower exists, or where only SAM's managed policy has it.
STAR = {
    # X-Ray has no resource-level permissions; the logs actions have (a log group), but SAM's
    # AWSLambdaBasicExecutionRole grants them on "*" and only a role of our own would narrow it.
    **dict.fromkeys((*PLATFORM, *SAM_EXTRAS), "X-Ray: none narrower; logs: SAM's managed policy"),
    "secretsmanager:ListSecrets": "no resource-level permissions",
    # The managed policies SAM attaches for the triggers grant these on "*"; the inline
    # statements (LedgerStream, JobWork) grant the same on the one stream or queue.
    **dict.fromkeys((a for a, _ in TRIGGERS["SyncFunction"][:4]), "SAM's managed policy"),
    **dict.fromkeys((a for a, _ in TRIGGERS["JobWorkerFunction"]), "SAM's managed policy"),
}


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    with Recorder().installed() as installed:
        yield installed


@pytest.fixture
def world(
    recorder: Recorder, store: LedgerStore, stack: SandboxStack, monkeypatch: pytest.MonkeyPatch
) -> Iterator[World]:
    """The template's resources in moto, the functions' environment pointing at them, and the
    vendor clients reading their credentials from Secrets Manager."""
    secrets, sqs, events = (boto3.client(name) for name in ("secretsmanager", "sqs", "events"))
    cursor_arn = secrets.create_secret(Name="cursor-signing", SecretString="k" * 64)["ARN"]
    erasure_arn = secrets.create_secret(Name="erasure-key", SecretString="e" * 64)["ARN"]
    for tenant in (API_TENANT, TENANT):
        for vendor, document in stack.credentials(tenant)[tenant].items():
            secrets.create_secret(
                Name=f"{PREFIX}/{tenant}/{vendor}", SecretString=json.dumps(document)
            )
    # The webhook signing secrets, apart from the vendor credentials (as deployed)
    signing = {"intercom": stack.intercom.webhook_secret, "sequence": stack.sequence.webhook_secret}
    secrets.create_secret(Name=f"{PREFIX}/{API_TENANT}/webhooks", SecretString=json.dumps(signing))
    events.create_event_bus(Name="contact-archive-test")
    queues = {
        name: sqs.create_queue(QueueName=name)["QueueUrl"]
        for name in ("JobQueue", "SyncDeadLetterQueue")
    }
    for name, value in {
        "CURSOR_SECRET_ARN": cursor_arn,
        "ERASURE_SECRET_ARN": erasure_arn,
        "VENDOR_SECRET_PREFIX": PREFIX,
        "EVENT_BUS_NAME": "contact-archive-test",
        "JOB_QUEUE_URL": queues["JobQueue"],
        "JOB_CHECK_SECONDS": "0",
        "DEAD_LETTER_QUEUE_URL": queues["SyncDeadLetterQueue"],
        "SYNC_FUNCTION_NAME": SYNC_FUNCTION,
        # moto answers the regional endpoints, not the account-based ones (DynamoDB Streams)
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CURSOR_SIGNING_KEY")
    monkeypatch.delenv("ERASURE_KEY")
    get_settings.cache_clear()
    parameters.clear_caches()
    for cached in (
        dependencies.get_credential_source,
        dependencies.get_event_publisher,
        dependencies.secrets_manager_signing_secrets,
    ):
        cached.cache_clear()
    monkeypatch.setattr(signing_secrets, "CACHE", signing_secrets.SecretCache())

    def vendor_clients() -> VendorClients:
        # The real credential source (Secrets Manager); the sandboxes' transports for HTTP.
        return VendorClients(
            dependencies.get_credential_source(),
            transports=stack.transports(),
            sleep=no_wait,
            accounts=store.vendor_accounts,
        )

    monkeypatch.setattr(dependencies, "get_vendor_clients", vendor_clients)
    monkeypatch.setattr("contact_archive.api.register_routes.get_vendor_clients", vendor_clients)
    functions = Functions(*{scenario.__name__.rstrip("_") for scenario in SCENARIOS.values()})
    yield World(recorder, functions, store, stack, sqs, queues)
    dependencies.secrets_manager_signing_secrets.cache_clear()  # it holds this test's cache


def deployment(world: World) -> Deployment:
    """The physical ids of the template's resources as `world` made them."""
    table = world.store.client.describe_table(TableName=get_settings().table_name)["Table"]
    queue_arns = {
        name: f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
        for name in ("JobQueue", "SyncDeadLetterQueue", "CommandDeadLetterQueue")
    }
    return Deployment(
        attributes={
            "LedgerTable": {"Arn": table["TableArn"], "StreamArn": table["LatestStreamArn"]},
            "CursorSigningSecret": {"Ref": get_settings().cursor_secret_arn or ""},
            "ErasureKeySecret": {"Ref": get_settings().erasure_secret_arn or ""},
            "ContactArchiveBus": {
                "Arn": f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/contact-archive-test"
            },
            "SyncFunction": {"Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{SYNC_FUNCTION}"},
            **{name: {"Arn": arn} for name, arn in queue_arns.items()},
        },
        parameters={"VendorSecretPrefix": PREFIX},
    )


def platform_calls(function: str, deployed: Deployment) -> list[Call]:
    """What Lambda and the function's triggers do with its role, as calls."""
    log_group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/{function}:*"
    calls = [Call(function, action, log_group if action in LOGS else "*") for action in PLATFORM]
    for action, resource in TRIGGERS.get(function, ()):
        logical_id, attribute = resource.split(".")
        calls.append(Call(function, action, deployed.attributes[logical_id][attribute]))
    return calls


@pytest.fixture(scope="module")
def translated() -> dict[str, Any]:
    return translated_template()


@dataclass
class Verdict:
    """A function's effective policy against its calls (the code's, Lambda's, its trigger's)."""

    granted: set[str]
    called: set[str]  # by the code
    missing: list[tuple[str, str]]  # (action, resource) called and not allowed
    unused: list[tuple[str, str]]  # (statement, action) allowing no call
    unscoped: list[tuple[str, str]]  # (statement, action) on "*" where IAM knows narrower

    def line(self, function: str) -> str:
        return (
            f"{function}: granted {len(self.granted)}, called by the code {len(self.called)}"
            f" ({', '.join(sorted(self.called))}), unused {len(self.unused)},"
            f" missing {len(self.missing)}, unscoped {len(self.unscoped)}"
        )


def verdict(function: str, world: World, translated: dict[str, Any]) -> Verdict:
    deployed = deployment(world)
    statements = effective_policies(translated, deployed)[function]
    SCENARIOS[function](world)
    code_calls = world.recorder.by_function(function)
    calls = code_calls + platform_calls(function, deployed)
    return Verdict(
        granted={action for s in statements for action in s.actions},
        called={c.action for c in code_calls},
        missing=sorted(
            {
                (c.action, c.resource)
                for c in calls
                if not any(s.allows(c.action, c.resource, c.keys) for s in statements)
            }
        ),
        unused=sorted(
            {
                (s.source, action)
                for s in statements
                for action in s.actions
                if action not in SAM_EXTRAS
                and not any(
                    c.action == action and s.allows(action, c.resource, c.keys) for c in calls
                )
            }
        ),
        unscoped=sorted(
            {
                (s.source, action)
                for s in statements
                if "*" in s.resources
                for action in s.actions
                if action not in STAR
            }
        ),
    )


@pytest.mark.parametrize("function", sorted(SCENARIOS))
def test_every_call_is_granted_and_no_resource_is_wider_than_iam_allows(
    function: str, world: World, translated: dict[str, Any]
) -> None:
    # Given the function's effective policy, resolved against the resources in moto
    # When its handler runs on its samples and its tests' paths
    found = verdict(function, world, translated)
    print(found.line(function))
    # Then every call (the code's, Lambda's, the trigger's) is allowed by a statement
    assert found.missing == []
    # and "*" stands only where nothing narrower exists, or where SAM's managed policy has it
    assert found.unscoped == []


@pytest.mark.parametrize("function", sorted(SCENARIOS))
def test_every_grant_is_used(function: str, world: World, translated: dict[str, Any]) -> None:
    # Given the function's effective policy; When its handler runs on its scenario
    found = verdict(function, world, translated)
    print(found.line(function), found.unused)
    # Then every action of every statement allows one of its calls (SAM's X-Ray extras named)
    assert found.unused == []
