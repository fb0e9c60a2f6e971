"""Each function's effective IAM policy, as AWS would evaluate it: `template.yaml` translated by the
SAM translator (offline), the managed policies SAM attaches read from their published documents,
and every resource resolved to the ARN it has in a test deployment.

Only what this service's policies use is evaluated: Allow statements, `*`/`?` wildcards in
actions and resources, and `ForAllValues:StringLike` on `dynamodb:LeadingKeys`."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

from devtools.template import load_template

MANAGED_POLICIES = Path(__file__).resolve().parent / "iam_managed_policies.json"
REGION = "us-east-1"
ACCOUNT = "123456789012"
# Your own authorizer, as a deployer may give it: any well-formed ARN does (no policy names it).
PARAMETERS = {"TenantAuthorizerArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:authorizer"}


@dataclass(frozen=True)
class Statement:
    """One Allow statement of a function's effective policy, resources resolved to ARNs."""

    source: str  # the inline policy's Sid, or the managed policy's name
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    leading_keys: tuple[str, ...] | None = None  # dynamodb:LeadingKeys patterns, if conditioned

    def allows(self, action: str, resource: str, keys: frozenset[str] | None) -> bool:
        if not any(fnmatchcase(action, pattern) for pattern in self.actions):
            return False
        if not any(fnmatchcase(resource, pattern) for pattern in self.resources):
            return False
        if self.leading_keys is None:
            return True
        # ForAllValues: every key of the request matches; a request with no key never does.
        return bool(keys) and all(
            any(fnmatchcase(key, pattern) for pattern in self.leading_keys) for key in keys or ()
        )


@dataclass
class Deployment:
    """The physical ids of the template's resources in the test's moto account, by logical id:
    `{"LedgerTable": {"Arn": ..., "StreamArn": ...}, "CursorSigningSecret": {"Ref": ...}}`."""

    attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)

    def resolve(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        if "Fn::GetAtt" in value:
            logical_id, attribute = value["Fn::GetAtt"]
            return self.attributes[logical_id][attribute]
        if "Ref" in value:
            return self.attributes[value["Ref"]]["Ref"]
        if "Fn::Sub" in value:
            return re.sub(r"\$\{([^}]+)\}", lambda m: self._variable(m.group(1)), value["Fn::Sub"])
        raise ValueError(f"unsupported intrinsic {value!r}")

    def _variable(self, name: str) -> str:
        pseudo = {"AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT}
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        logical_id, _, attribute = name.partition(".")
        return self.attributes[logical_id][attribute or "Ref"]


def translated(parameter_values: dict[str, str] | None = None) -> dict[str, Any]:
    """template.yaml as CloudFormation, translated as `sam deploy` would: code locations are S3
    URIs there (what `sam package` makes of the folders), and no call reaches AWS (the
    managed-policy map is only for policies named in `Policies`, which this template has none).
    `parameter_values`: those given to the deploy (PARAMETERS if None), the rest at defaults."""
    template = copy.deepcopy(load_template())
    for resource in template["Resources"].values():
        properties = resource.get("Properties") or {}
        for key in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(key), str):
                properties[key] = f"s3://packaged/{properties[key]}"

    def no_named_policies() -> dict[str, str]:
        raise AssertionError("a policy named in Policies needs AWS's managed-policy list")

    translator = Translator(None, Parser())
    result: dict[str, Any] = translator.translate(
        template,
        parameter_values=dict(PARAMETERS if parameter_values is None else parameter_values),
        get_managed_policy_map=no_named_policies,
    )
    return result


def effective_policies(cfn: dict[str, Any], deployment: Deployment) -> dict[str, list[Statement]]:
    """Every function's statements, by the function's logical id: its role's inline policies and
    the managed policies attached to it."""
    managed = json.loads(MANAGED_POLICIES.read_text())["policies"]
    policies: dict[str, list[Statement]] = {}
    resources = cfn["Resources"]
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        role = resources[resource["Properties"]["Role"]["Fn::GetAtt"][0]]["Properties"]
        statements: list[Statement] = []
        for policy in role.get("Policies", []):
            for raw in policy["PolicyDocument"]["Statement"]:
                sid = raw.get("Sid", policy["PolicyName"])
                statements.append(_statement(sid, raw, deployment))
        for arn in role.get("ManagedPolicyArns", []):
            name = arn.rsplit("/", 1)[-1]
            for raw in managed[name]["Statement"]:
                statements.append(_statement(name, raw, deployment))
        policies[logical_id] = statements
    return policies


def _statement(source: str, raw: dict[str, Any], deployment: Deployment) -> Statement:
    assert raw["Effect"] == "Allow", f"{source}: only Allow statements are used"
    condition = raw.get("Condition")
    keys = None
    if condition is not None:
        assert set(condition) == {"ForAllValues:StringLike"}, f"{source}: {condition}"
        (keys,) = condition["ForAllValues:StringLike"].values()
    return Statement(
        source,
        tuple(_as_list(raw["Action"])),
        tuple(deployment.resolve(value) for value in _as_list(raw["Resource"])),
        tuple(keys) if keys is not None else None,
    )


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
