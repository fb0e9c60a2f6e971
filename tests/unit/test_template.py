"""template.yaml: parses, and keeps the promises of docs/architecture.md (no AWS, no network)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from contact_archive.ledger import api_keys
from contact_archive.sync.redrive import REPLAY_RESERVE_SECONDS, SYNC_INVOKE_TIMEOUT_SECONDS
from devtools.template import (
    api_routes,
    function_environment,
    functions,
    load_template,
    table_definition,
    ttl_attribute,
)

ROOT = Path(__file__).resolve().parents[2]
ARCHITECTURE = ROOT / "docs" / "architecture.md"
FUNCTIONS = {
    "ArchiveFunction": "functions/archive",
    "RestoreFunction": "functions/restore",
    "ListFunction": "functions/list",
    "RegisterFunction": "functions/register",
    "SyncFunction": "functions/sync",
    "RedriveFunction": "functions/redrive",
    "ReconcileFunction": "functions/reconcile",
    "WebhookFunction": "functions/webhook",
    "SweepFunction": "functions/sweep",
    "JobsFunction": "functions/jobs",
    "JobWorkerFunction": "functions/job_worker",
    "AuthorizerFunction": "functions/authorizer",
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def _statements(properties: dict[str, Any]) -> list[dict[str, Any]]:
    statements = []
    for policy in properties.get("Policies") or []:
        assert isinstance(policy, dict), f"only inline policy documents are used, not {policy!r}"
        statements.extend(policy.get("Statement") or [])
    return statements


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_template_parses_with_short_tags(template: dict[str, Any]) -> None:
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    assert env["TABLE_NAME"] == {"Ref": "LedgerTable"}
    outputs = template["Outputs"]
    assert outputs["LedgerTableStreamArn"]["Value"] == {"Fn::GetAtt": ["LedgerTable", "StreamArn"]}


def test_globals_match_the_runtime(template: dict[str, Any]) -> None:
    function = template["Globals"]["Function"]
    assert function["Runtime"] == "python3.13"
    assert function["Architectures"] == ["arm64"]
    assert function["Layers"] == [{"Ref": "SharedLayer"}]
    layer = template["Resources"]["SharedLayer"]
    # shared/Makefile builds it (with bytecode), for the functions' architecture
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    assert layer["Metadata"]["BuildArchitecture"] == "arm64"
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    assert layer["Properties"]["ContentUri"] == "shared/"
    assert (ROOT / "shared" / "Makefile").is_file()


def test_every_function_is_declared_with_its_code(template: dict[str, Any]) -> None:
    found = functions(template)
    assert set(found) == set(FUNCTIONS)
    for logical_id, code_dir in FUNCTIONS.items():
        assert found[logical_id]["CodeUri"].rstrip("/") == code_dir
        assert found[logical_id]["Handler"] == "app.lambda_handler"
        assert (ROOT / code_dir / "requirements.txt").is_file()


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_every_function_has_a_log_group_with_retention(
    template: dict[str, Any], logical_id: str
) -> None:
    groups = [
        resource["Properties"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Logs::LogGroup"
        and resource["Properties"].get("LogGroupName")
        == {"Fn::Sub": f"/aws/lambda/${{{logical_id}}}"}
    ]
    assert len(groups) == 1, (
        f"{logical_id} needs exactly one log group /aws/lambda/${{{logical_id}}}"
    )
    assert groups[0]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_policies_are_least_privilege(template: dict[str, Any], logical_id: str) -> None:
    statements = _statements(template["Resources"][logical_id]["Properties"])
    assert statements, f"{logical_id} has no policy statements"
    for statement in statements:
        actions = _as_list(statement["Action"])
        resources = _as_list(statement["Resource"])
        assert statement["Effect"] == "Allow"
        if actions == ["secretsmanager:ListSecrets"]:
            continue  # supports no resource-level permissions: pinned in its own test
        assert "*" not in resources, f"{logical_id}: Resource '*' in {statement}"
        for action in actions:
            assert not action.endswith("*"), f"{logical_id}: wildcard action {action}"
        if any(action.startswith("dynamodb:") for action in actions):
            for item in resources:
                assert item in (
                    {"Fn::GetAtt": ["LedgerTable", "Arn"]},
                    {"Fn::Sub": "${LedgerTable.Arn}/index/*"},
                    {"Fn::Sub": "${LedgerTable.Arn}/index/by_email"},
                    {"Fn::Sub": "${LedgerTable.Arn}/index/by_external_id"},
                    {"Fn::Sub": "${LedgerTable.Arn}/index/by_tenant"},
                    {"Fn::Sub": "${LedgerTable.Arn}/index/by_due"},
                    *LINKED_WALKS,
                    {"Fn::GetAtt": ["LedgerTable", "StreamArn"]},
                ), f"{logical_id}: DynamoDB access beyond the ledger table: {item}"


def _grants(template: dict[str, Any], logical_id: str) -> dict[str, list[Any]]:
    """{action: [resources]} over a function's policy statements."""
    grants: dict[str, list[Any]] = {}
    for statement in _statements(template["Resources"][logical_id]["Properties"]):
        for action in _as_list(statement["Action"]):
            grants.setdefault(action, []).extend(_as_list(statement["Resource"]))
    return grants


# Reconciliation walks each vendor's linked contacts through these (keys only, id order).
LINKED_WALKS = [
    {"Fn::Sub": f"${{LedgerTable.Arn}}/index/ids_by_{vendor}"}
    for vendor in ("sequence", "routera", "intercom", "constant_contact")
]
# Archive and restore name a contact by email or external id through these two only.
RESOLVE_INDEXES = [
    {"Fn::Sub": "${LedgerTable.Arn}/index/by_email"},
    {"Fn::Sub": "${LedgerTable.Arn}/index/by_external_id"},
]


# WebhookFunction's only secrets: `<prefix>/<tenant_id>/webhooks`, with Secrets Manager's suffix.
SIGNING_SECRETS = {
    "Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}"
    ":secret:${VendorSecretPrefix}/*/webhooks-??????"
}


def test_queries_and_secrets_only_where_needed(template: dict[str, Any]) -> None:
    """Archive and restore query the email and external id indexes (a contact named so);
    ListFunction queries the indexes and signs list cursors; RegisterFunction (import) only
    matches by email, signs import cursors and reads (and, for rotated tokens, writes back) the
    tenants' vendor secrets; SyncFunction reads and writes back vendor secrets only. Erasure
    (RegisterFunction, SweepFunction's retention, erasure jobs) reads its key, and the erased
    contact's partition is queried on the table (RegisterFunction, SyncFunction, SweepFunction).
    Nobody scans."""
    vendor_secrets = {
        "Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}"
        ":secret:${VendorSecretPrefix}/*"
    }
    cursor_secret = {"Ref": "CursorSigningSecret"}
    erasure_key = {"Ref": "ErasureKeySecret"}
    table = {"Fn::GetAtt": ["LedgerTable", "Arn"]}
    expected: dict[str, dict[str, list[Any]]] = {
        "ArchiveFunction": {"dynamodb:Query": RESOLVE_INDEXES},
        "RestoreFunction": {"dynamodb:Query": RESOLVE_INDEXES},
        "ListFunction": {
            "dynamodb:Query": [
                {"Fn::GetAtt": ["LedgerTable", "Arn"]},
                {"Fn::Sub": "${LedgerTable.Arn}/index/*"},
            ],
            "secretsmanager:GetSecretValue": [cursor_secret],
        },
        "RegisterFunction": {
            "dynamodb:Query": [table, {"Fn::Sub": "${LedgerTable.Arn}/index/by_email"}],
            "secretsmanager:GetSecretValue": [erasure_key, cursor_secret, vendor_secrets],
            "secretsmanager:PutSecretValue": [vendor_secrets],
        },
        "SyncFunction": {
            "dynamodb:Query": [table],
            "secretsmanager:GetSecretValue": [vendor_secrets],
            "secretsmanager:PutSecretValue": [vendor_secrets],
        },
        "WebhookFunction": {"secretsmanager:GetSecretValue": [SIGNING_SECRETS]},
        "SweepFunction": {
            "dynamodb:Query": [table, {"Fn::Sub": "${LedgerTable.Arn}/index/by_due"}],
            "secretsmanager:GetSecretValue": [erasure_key, vendor_secrets],
            "secretsmanager:PutSecretValue": [vendor_secrets],
        },
        "ReconcileFunction": {
            "dynamodb:Query": LINKED_WALKS,
            "secretsmanager:GetSecretValue": [vendor_secrets],
            "secretsmanager:PutSecretValue": [vendor_secrets],
        },
        # Jobs: a tenant's jobs and a job's unit progress are base-table queries; the worker
        # selects a filter's contacts from the indexes and calls vendors.
        "JobsFunction": {
            "dynamodb:Query": [{"Fn::GetAtt": ["LedgerTable", "Arn"]}],
            "secretsmanager:GetSecretValue": [cursor_secret],
        },
        "JobWorkerFunction": {
            "dynamodb:Query": [
                {"Fn::GetAtt": ["LedgerTable", "Arn"]},
                {"Fn::Sub": "${LedgerTable.Arn}/index/*"},
            ],
            "secretsmanager:GetSecretValue": [vendor_secrets, erasure_key],
            "secretsmanager:PutSecretValue": [vendor_secrets],
        },
    }
    watched = ("dynamodb:Query", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue")
    for logical_id in FUNCTIONS:
        grants = _grants(template, logical_id)
        assert {action: grants[action] for action in watched if action in grants} == expected.get(
            logical_id, {}
        ), logical_id
        assert "dynamodb:Scan" not in grants


def _architecture_indexes() -> dict[str, tuple[str, str]]:
    """`index | hash | range` rows of docs/architecture.md: {name: (hash attr, range attr)}."""
    rows = re.findall(
        r"^\|\s*`(\w+)`\s*\|\s*`(\w+)`[^|]*\|\s*`(\w+)`[^|]*\|", ARCHITECTURE.read_text(), re.M
    )
    return {name: (hash_key, range_key) for name, hash_key, range_key in rows}


def test_table_definition_matches_the_architecture(template: dict[str, Any]) -> None:
    definition = table_definition(template, table_name="ledger-test")
    assert definition["TableName"] == "ledger-test"
    assert definition["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert definition["BillingMode"] == "PAY_PER_REQUEST"
    assert definition["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    documented = _architecture_indexes()
    vendors = ("sequence", "routera", "intercom", "constant_contact")
    listings = {"by_status", "by_tenant", "by_email", "by_external_id", "by_scope"}
    listings |= {f"by_{vendor}" for vendor in vendors}
    # the sweeper's index and the vendors' walks carry keys only: they read each contact itself
    keys_only = {"by_due", *(f"ids_by_{vendor}" for vendor in vendors)}
    assert set(documented) == listings | keys_only
    indexes = {index["IndexName"]: index for index in definition["GlobalSecondaryIndexes"]}
    assert set(indexes) == set(documented)
    types = {a["AttributeName"]: a["AttributeType"] for a in definition["AttributeDefinitions"]}
    for name, (hash_key, range_key) in documented.items():
        assert indexes[name]["KeySchema"] == [
            {"AttributeName": hash_key, "KeyType": "HASH"},
            {"AttributeName": range_key, "KeyType": "RANGE"},
        ]
        assert types[hash_key] == types[range_key] == "S"
        projection = indexes[name]["Projection"]
        if name in keys_only:
            assert projection == {"ProjectionType": "KEYS_ONLY"}
            continue
        assert projection["ProjectionType"] == "INCLUDE"
        assert "history" not in projection["NonKeyAttributes"]
        assert {"version", "links", "pending"} <= set(projection["NonKeyAttributes"])
    assert ttl_attribute(template) == "expires_at"


def test_table_is_protected(template: dict[str, Any]) -> None:
    table = template["Resources"]["LedgerTable"]
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"
    properties = table["Properties"]
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert properties["SSESpecification"]["SSEEnabled"] is True


def test_api_routes(template: dict[str, Any]) -> None:
    routes = {(route.method, route.path): route.function for route in api_routes(template)}
    assert routes == {
        ("POST", "/contacts/{contact_id}/archive"): "ArchiveFunction",
        ("POST", "/contacts/{contact_id}/restore"): "RestoreFunction",
        ("POST", "/contacts/archive"): "ArchiveFunction",
        ("GET", "/contacts/resolve"): "ListFunction",
        ("POST", "/contacts/restore"): "RestoreFunction",
        ("GET", "/contacts"): "ListFunction",
        ("GET", "/contacts/{contact_id}"): "ListFunction",
        ("GET", "/contacts/{contact_id}/history"): "ListFunction",
        ("PUT", "/contacts/{contact_id}"): "RegisterFunction",
        ("POST", "/contacts/import"): "RegisterFunction",
        ("POST", "/contacts/{contact_id}/sync"): "RegisterFunction",
        ("POST", "/contacts/{contact_id}/erase"): "RegisterFunction",
        ("GET", "/settings"): "RegisterFunction",
        ("PUT", "/settings"): "RegisterFunction",
        ("POST", "/webhooks/{vendor}/{tenant_id}"): "WebhookFunction",
        ("HEAD", "/webhooks/{vendor}/{tenant_id}"): "WebhookFunction",
        ("POST", "/jobs"): "JobsFunction",
        ("GET", "/jobs"): "JobsFunction",
        ("GET", "/jobs/{job_id}"): "JobsFunction",
        ("POST", "/jobs/{job_id}/cancel"): "JobsFunction",
    }


def test_the_built_in_authorizer_unless_the_deployer_brings_theirs(
    template: dict[str, Any],
) -> None:
    # The parameter is optional: empty (the default) means the built-in authorizer
    parameter = template["Parameters"]["TenantAuthorizerArn"]
    assert parameter["Default"] == ""
    assert re.fullmatch(parameter["AllowedPattern"], "")
    assert re.fullmatch(
        parameter["AllowedPattern"], "arn:aws:lambda:eu-west-1:123456789012:function:mine"
    )
    conditions = template["Conditions"]
    assert conditions["UseOwnAuthorizer"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "TenantAuthorizerArn"}, ""]}]
    }
    assert conditions["UseBuiltInAuthorizer"] == {
        "Fn::Equals": [{"Ref": "TenantAuthorizerArn"}, ""]
    }
    # Every route but the webhooks goes through it, its decision cached per key
    auth = template["Resources"]["LedgerApi"]["Properties"]["Auth"]
    assert auth["DefaultAuthorizer"] == "TenantAuthorizer"
    authorizer = auth["Authorizers"]["TenantAuthorizer"]
    assert authorizer["FunctionArn"] == {
        "Fn::If": [
            "UseOwnAuthorizer",
            {"Ref": "TenantAuthorizerArn"},
            # its alias: the published versions SnapStart restores (test_snapstart_template.py)
            {"Ref": "AuthorizerFunction.Alias"},
        ]
    }
    assert authorizer["FunctionPayloadType"] == "TOKEN"
    assert authorizer["Identity"] == {"Header": "Authorization", "ReauthorizeEvery": 300}
    # The built-in one and its log group exist only when used, and read API keys only
    resources = template["Resources"]
    assert resources["AuthorizerFunction"]["Condition"] == "UseBuiltInAuthorizer"
    assert resources["AuthorizerFunctionLogGroup"]["Condition"] == "UseBuiltInAuthorizer"
    (statement,) = _statements(resources["AuthorizerFunction"]["Properties"])
    assert statement["Action"] == ["dynamodb:GetItem"]
    assert statement["Resource"] == [{"Fn::GetAtt": ["LedgerTable", "Arn"]}]
    assert statement["Condition"] == {
        "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["API_KEYS"]}
    }
    assert "Events" not in resources["AuthorizerFunction"]["Properties"]
    # API Gateway's refusals answer in the API's one error body
    responses = resources["LedgerApi"]["Properties"]["GatewayResponses"]
    for name, status in (("UNAUTHORIZED", 401), ("ACCESS_DENIED", 403)):
        body = json.loads(responses[name]["ResponseTemplates"]["application/json"])
        assert responses[name]["StatusCode"] == status and set(body["error"]) == {
            "code",
            "message",
            "details",
        }


def test_the_api_key_partition_is_the_one_the_authorizer_may_read() -> None:
    assert api_keys.PARTITION == "API_KEYS"
    assert api_keys.item_key("k")["pk"] == {"S": "API_KEYS"}


def test_commands_arrive_on_the_bus(template: dict[str, Any]) -> None:
    for logical_id, detail_type in (
        ("ArchiveFunction", "ArchiveContact"),
        ("RestoreFunction", "RestoreContact"),
    ):
        events = template["Resources"][logical_id]["Properties"]["Events"]
        rules = [e["Properties"] for e in events.values() if e["Type"] == "EventBridgeRule"]
        assert len(rules) == 1
        assert rules[0]["EventBusName"] == {"Ref": "ContactArchiveBus"}
        assert rules[0]["Pattern"]["detail-type"] == [detail_type]


def test_function_environment_resolves_what_it_can(template: dict[str, Any]) -> None:
    env = function_environment(template, "ListFunction", {"LedgerTable": "ledger-local"})
    assert env["TABLE_NAME"] == "ledger-local"
    assert env["HISTORY_RETENTION_DAYS"] == "730"
    assert env["POWERTOOLS_SERVICE_NAME"] == "contact-archive"
    assert "CURSOR_SECRET_ARN" not in env  # a secret that exists only when deployed
    env = function_environment(
        template, "ListFunction", {"LedgerTable": "t", "CursorSigningSecret": "arn:secret"}
    )
    assert env["CURSOR_SECRET_ARN"] == "arn:secret"


def test_the_stream_drives_sync_with_partial_failures_bisection_bounds_and_a_watched_dlq(
    template: dict[str, Any],
) -> None:
    sync = template["Resources"]["SyncFunction"]["Properties"]
    (event,) = sync["Events"].values()
    assert event["Type"] == "DynamoDB"
    stream = event["Properties"]
    assert stream["Stream"] == {"Fn::GetAtt": ["LedgerTable", "StreamArn"]}
    assert stream["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert stream["BisectBatchOnFunctionError"] is True
    assert 0 < stream["MaximumRetryAttempts"] <= 10
    assert 60 <= stream["MaximumRecordAgeInSeconds"] <= 86400
    dead_letters = {"Fn::GetAtt": ["SyncDeadLetterQueue", "Arn"]}
    assert stream["DestinationConfig"]["OnFailure"]["Destination"] == dead_letters
    alarm = template["Resources"]["SyncDeadLetterAlarm"]["Properties"]
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["SyncDeadLetterQueue", "QueueName"]}}
    ]
    assert alarm["Threshold"] == 0 and alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert sync["Environment"]["Variables"]["EVENT_BUS_NAME"] == {"Ref": "ContactArchiveBus"}


def test_redrive_reads_the_dead_letters_and_the_stream_and_invokes_sync_only(
    template: dict[str, Any],
) -> None:
    """RedriveFunction has no trigger; it may take, delete and release messages of
    SyncFunction's dead-letter queue, read the ledger's stream, and invoke SyncFunction:
    nothing else, and each on that one resource."""
    redrive = template["Resources"]["RedriveFunction"]["Properties"]
    assert not redrive.get("Events")
    dead_letters = {"Fn::GetAtt": ["SyncDeadLetterQueue", "Arn"]}
    stream = {"Fn::GetAtt": ["LedgerTable", "StreamArn"]}
    assert _grants(template, "RedriveFunction") == {
        "sqs:ReceiveMessage": [dead_letters],
        "sqs:DeleteMessage": [dead_letters],
        "sqs:ChangeMessageVisibility": [dead_letters],
        "dynamodb:GetShardIterator": [stream],
        "dynamodb:GetRecords": [stream],
        "lambda:InvokeFunction": [{"Fn::GetAtt": ["SyncFunction", "Arn"]}],
    }
    assert redrive["Environment"]["Variables"] == {
        "DEAD_LETTER_QUEUE_URL": {"Ref": "SyncDeadLetterQueue"},
        "SYNC_FUNCTION_NAME": {"Ref": "SyncFunction"},
    }
    assert template["Outputs"]["RedriveFunctionName"]["Value"] == {"Ref": "RedriveFunction"}
    # A replay waits for SyncFunction's answer, and starts only with time left for one
    sync_timeout = template["Resources"]["SyncFunction"]["Properties"]["Timeout"]
    assert sync_timeout < SYNC_INVOKE_TIMEOUT_SECONDS <= REPLAY_RESERVE_SECONDS
    assert REPLAY_RESERVE_SECONDS < redrive["Timeout"] <= 900


def test_webhooks_skip_the_authorizer_and_only_read_secrets_and_write_the_ledger(
    template: dict[str, Any],
) -> None:
    """Vendors cannot use the API's authorizer: the webhook routes, and only they, opt out of
    it (the signature authenticates). WebhookFunction reads and writes ledger items (a change
    and its delivery in one transaction: PutItem and UpdateItem) and reads the tenants' signing
    secrets, never their vendor credentials; it never queries, deletes or writes a secret."""
    api = template["Resources"]["LedgerApi"]["Properties"]
    assert api["Auth"]["DefaultAuthorizer"] == "TenantAuthorizer"

    def authorizer(route: Any) -> Any:
        event = functions(template)[route.function]["Events"][route.event]
        return (event["Properties"].get("Auth") or {}).get("Authorizer")

    unauthenticated = {
        (route.method, route.path) for route in api_routes(template) if authorizer(route) == "NONE"
    }
    assert unauthenticated == {
        ("POST", "/webhooks/{vendor}/{tenant_id}"),
        ("HEAD", "/webhooks/{vendor}/{tenant_id}"),
    }
    table = {"Fn::GetAtt": ["LedgerTable", "Arn"]}
    assert _grants(template, "WebhookFunction") == {
        "dynamodb:GetItem": [table],
        "dynamodb:PutItem": [table],
        "dynamodb:UpdateItem": [table],
        "secretsmanager:GetSecretValue": [SIGNING_SECRETS],
    }
    webhook = template["Resources"]["WebhookFunction"]["Properties"]
    assert webhook["Environment"]["Variables"] == {
        "VENDOR_SECRET_PREFIX": {"Ref": "VendorSecretPrefix"}
    }
    assert webhook["Timeout"] <= 10  # vendors wait seconds for the answer
    assert template["Outputs"]["WebhookFunctionName"]["Value"] == {"Ref": "WebhookFunction"}


def _arn_pattern(resource: dict[str, str], **parameters: str) -> re.Pattern[str]:
    """An IAM resource's `Fn::Sub` ARN as a regex: `*` any characters, `?` exactly one."""
    arn = resource["Fn::Sub"]
    for name, value in parameters.items():
        arn = arn.replace("${" + name + "}", value)
    return re.compile(
        "".join({"*": ".*", "?": "."}.get(char, re.escape(char)) for char in arn) + r"\Z"
    )


def test_webhooks_read_the_signing_secrets_and_no_vendor_credentials(
    template: dict[str, Any],
) -> None:
    # Given WebhookFunction's only secret grant, for a deployed stack's ARNs
    (grant,) = _grants(template, "WebhookFunction")["secretsmanager:GetSecretValue"]
    pattern = _arn_pattern(
        grant,
        **{"AWS::Partition": "aws", "AWS::Region": "eu-west-1", "AWS::AccountId": "123456789012"},
        VendorSecretPrefix=template["Parameters"]["VendorSecretPrefix"]["Default"],
    )

    def arn(name: str) -> str:  # Secrets Manager appends a dash and six random characters
        return f"arn:aws:secretsmanager:eu-west-1:123456789012:secret:{name}-AbC123"

    # Then each tenant's signing secrets are readable
    for tenant in ("t1", "tenant-b", "webhooks"):
        assert pattern.match(arn(f"contact-archive/vendors/{tenant}/webhooks"))
    # And no vendor's credentials, of any tenant (one named "webhooks" included)
    for tenant in ("t1", "webhooks"):
        for vendor in ("sequence", "routera", "intercom", "constant_contact"):
            assert not pattern.match(arn(f"contact-archive/vendors/{tenant}/{vendor}"))
    assert not pattern.match(arn("contact-archive/vendors/t1/webhooks-extra"))
    assert not pattern.match(arn("other-prefix/t1/webhooks"))


def test_the_webhook_routes_are_throttled_on_the_stage_by_parameters(
    template: dict[str, Any],
) -> None:
    """Anyone may post to the webhook routes (no authorizer): the stage caps their rate, both
    methods, with limits a deployer sets (`WebhookThrottleRateLimit`, `...BurstLimit`)."""
    settings = template["Resources"]["LedgerApi"]["Properties"]["MethodSettings"]
    # A leading "/", then the path with each "/" escaped as "~1"
    webhook_path = "/~1webhooks~1{vendor}~1{tenant_id}"
    throttled = {(s["ResourcePath"], s["HttpMethod"]): s for s in settings}
    assert set(throttled) == {(webhook_path, "POST"), (webhook_path, "HEAD")}
    for setting in throttled.values():
        assert setting["ThrottlingRateLimit"] == {"Ref": "WebhookThrottleRateLimit"}
        assert setting["ThrottlingBurstLimit"] == {"Ref": "WebhookThrottleBurstLimit"}
    # The paths are the routes' own, as the functions declare them
    routes = {(route.method, route.path) for route in api_routes(template)}
    for path, method in throttled:
        assert (method, path.removeprefix("/").replace("~1", "/")) in routes
    # And the defaults are a cap, with room for a burst above the rate
    parameters = template["Parameters"]
    rate = parameters["WebhookThrottleRateLimit"]
    burst = parameters["WebhookThrottleBurstLimit"]
    assert rate["Type"] == burst["Type"] == "Number"
    assert rate["MinValue"] == burst["MinValue"] == 1
    assert 0 < rate["Default"] <= burst["Default"] < 5000  # below the account's default burst


def test_reconcile_runs_on_a_parameterised_schedule_with_least_privilege(
    template: dict[str, Any],
) -> None:
    """ReconcileFunction runs on an EventBridge schedule (a parameter, every 15 minutes by
    default), is not retried (the next run resumes from the watermark), and may: read and write
    ledger items (watermarks, drift, a mirror's archive, batch lookups), walk the tenant index,
    read and write back vendor secrets, list secret names (IAM knows no resource for
    ListSecrets: the one Resource "*", alone in its statement), and announce on the bus."""
    reconcile = template["Resources"]["ReconcileFunction"]["Properties"]
    (event,) = reconcile["Events"].values()
    assert event["Type"] == "Schedule"
    assert event["Properties"]["Schedule"] == {"Ref": "ReconcileSchedule"}
    assert template["Parameters"]["ReconcileSchedule"]["Default"] == "rate(15 minutes)"
    assert reconcile["EventInvokeConfig"]["MaximumRetryAttempts"] == 0
    table = {"Fn::GetAtt": ["LedgerTable", "Arn"]}
    vendor_secrets = {
        "Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}"
        ":secret:${VendorSecretPrefix}/*"
    }
    assert _grants(template, "ReconcileFunction") == {
        "dynamodb:GetItem": [table, table],  # the second: the fleet's vendor accounts
        "dynamodb:BatchGetItem": [table],
        "dynamodb:PutItem": [table],
        "dynamodb:UpdateItem": [table, table],
        "dynamodb:Query": LINKED_WALKS,
        "secretsmanager:GetSecretValue": [vendor_secrets],
        "secretsmanager:PutSecretValue": [vendor_secrets],
        "secretsmanager:ListSecrets": ["*"],
        "events:PutEvents": [{"Fn::GetAtt": ["ContactArchiveBus", "Arn"]}],
    }
    unscoped = [
        statement
        for logical_id in FUNCTIONS
        for statement in _statements(template["Resources"][logical_id]["Properties"])
        if "*" in _as_list(statement["Resource"])
    ]
    assert [_as_list(statement["Action"]) for statement in unscoped] == [
        ["secretsmanager:ListSecrets"]
    ]
    assert reconcile["Environment"]["Variables"] == {
        "VENDOR_SECRET_PREFIX": {"Ref": "VendorSecretPrefix"},
        "EVENT_BUS_NAME": {"Ref": "ContactArchiveBus"},
    }
    assert 60 <= reconcile["Timeout"] <= 900
    assert template["Outputs"]["ReconcileFunctionName"]["Value"] == {"Ref": "ReconcileFunction"}


# The functions that call vendors, and so share the fleet's vendor accounts (vendors/fleet/).
VENDOR_CALLERS = ("RegisterFunction", "SyncFunction", "ReconcileFunction", "SweepFunction")


@pytest.mark.parametrize("logical_id", VENDOR_CALLERS)
def test_vendor_callers_reach_the_fleets_vendor_accounts_and_nothing_more(
    template: dict[str, Any], logical_id: str
) -> None:
    """Token versions and leases (`TENANT#<t>#VENDOR_ACCOUNT#<vendor>`) and rate-limit slots and
    counters (`RATE#...`): read and updated, by their leading keys only. SyncFunction's
    statement comes last, after the ones it had."""
    statements = _statements(template["Resources"][logical_id]["Properties"])
    (shared,) = [statement for statement in statements if statement.get("Sid") == "VendorAccounts"]
    assert shared == {
        "Sid": "VendorAccounts",
        "Effect": "Allow",
        "Action": ["dynamodb:GetItem", "dynamodb:UpdateItem"],
        "Resource": [{"Fn::GetAtt": ["LedgerTable", "Arn"]}],
        "Condition": {
            "ForAllValues:StringLike": {
                "dynamodb:LeadingKeys": ["TENANT#*#VENDOR_ACCOUNT#*", "RATE#*"]
            }
        },
    }
    if logical_id == "SyncFunction":
        assert statements[-1] is shared
