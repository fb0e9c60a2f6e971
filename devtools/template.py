"""Read `template.yaml`: the one source of truth for the table, the routes and the environment.

CloudFormation short tags (`!Ref`, `!GetAtt`, `!Sub`, ...) become their long forms
(`{"Ref": ...}`, `{"Fn::GetAtt": [...]}`, `{"Fn::Sub": ...}`), exactly as CloudFormation reads them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from devtools import REPO_ROOT

TEMPLATE_PATH = REPO_ROOT / "template.yaml"

_FUNCTION_TAGS = (
    "And", "Base64", "Cidr", "Equals", "FindInMap", "GetAZs", "If", "ImportValue", "Join",
    "Length", "Not", "Or", "Select", "Split", "Sub", "ToJsonString", "Transform",
)  # fmt: skip


class _CloudFormationLoader(yaml.SafeLoader):
    """A SafeLoader that also understands CloudFormation's short-form intrinsic functions."""


def _construct(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    raise yaml.constructor.ConstructorError(
        None, None, f"unexpected node {node!r}", node.start_mark
    )


def _intrinsic(name: str) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        return {name: _construct(loader, node)}

    return construct


def _get_att(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    value = _construct(loader, node)
    if isinstance(value, str):
        # `!GetAtt Resource.Attribute.With.Dots` splits at the first dot only.
        resource, _, attribute = value.partition(".")
        value = [resource, attribute]
    return {"Fn::GetAtt": value}


_CloudFormationLoader.add_constructor("!Ref", _intrinsic("Ref"))
_CloudFormationLoader.add_constructor("!Condition", _intrinsic("Condition"))
_CloudFormationLoader.add_constructor("!GetAtt", _get_att)
for _tag in _FUNCTION_TAGS:
    _CloudFormationLoader.add_constructor(f"!{_tag}", _intrinsic(f"Fn::{_tag}"))


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The SAM template as plain data, short tags turned into their long forms."""
    with Path(path).open(encoding="utf-8") as stream:
        template = yaml.load(stream, Loader=_CloudFormationLoader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(template, dict) or "Resources" not in template:
        raise ValueError(f"{path} is not a CloudFormation template")
    return template


def resource(template: dict[str, Any], logical_id: str, type_: str | None = None) -> dict[str, Any]:
    """One resource of the template, checked to be of `type_` when given."""
    try:
        found: dict[str, Any] = template["Resources"][logical_id]
    except KeyError:
        raise KeyError(f"template has no resource {logical_id!r}") from None
    if type_ is not None and found.get("Type") != type_:
        raise ValueError(f"{logical_id} is a {found.get('Type')}, not a {type_}")
    return found


# --- the ledger table -------------------------------------------------------------------------

_TABLE_KEYS = (
    "KeySchema",
    "AttributeDefinitions",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "BillingMode",
    "ProvisionedThroughput",
    "StreamSpecification",
)


def table_definition(
    template: dict[str, Any], logical_id: str = "LedgerTable", *, table_name: str
) -> dict[str, Any]:
    """boto3 `create_table` keyword arguments built from the template's own table definition."""
    properties = resource(template, logical_id, "AWS::DynamoDB::Table")["Properties"]
    definition: dict[str, Any] = {"TableName": table_name}
    for key in _TABLE_KEYS:
        if key in properties:
            definition[key] = _plain(properties[key])
    stream = definition.get("StreamSpecification")
    if stream is not None:
        # CloudFormation enables a stream by naming its view type; the API wants both.
        definition["StreamSpecification"] = {"StreamEnabled": True, **stream}
    definition.setdefault("BillingMode", "PROVISIONED")
    return definition


def ttl_attribute(template: dict[str, Any], logical_id: str = "LedgerTable") -> str | None:
    """The table's TTL attribute, if the template enables one."""
    properties = resource(template, logical_id, "AWS::DynamoDB::Table")["Properties"]
    spec = properties.get("TimeToLiveSpecification") or {}
    if spec.get("Enabled") in (True, "true", "True") and spec.get("AttributeName"):
        return str(spec["AttributeName"])
    return None


def _plain(value: Any) -> Any:
    """Copy template data, refusing intrinsic functions that a local table cannot resolve."""
    if isinstance(value, dict):
        for key in value:
            if key == "Ref" or key.startswith("Fn::"):
                raise ValueError(f"cannot resolve {key} in a table definition locally")
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


# --- functions and routes ---------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    function: str  # logical id, e.g. "ArchiveFunction"
    code_dir: str  # CodeUri without trailing slash, e.g. "functions/archive"
    handler: str  # e.g. "app.lambda_handler"
    method: str  # upper case, e.g. "POST" (or "ANY")
    path: str  # API Gateway resource path, e.g. "/contacts/{contact_id}/archive"
    event: str  # the event's name in the template
    authorized: bool = True  # through the API's authorizer (not `Auth: Authorizer: NONE`)

    @property
    def module(self) -> str:
        return self.handler.rpartition(".")[0]

    @property
    def function_name(self) -> str:
        return self.handler.rpartition(".")[2]


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every `AWS::Serverless::Function` by logical id, Globals.Function merged in (shallowly)."""
    defaults = (template.get("Globals") or {}).get("Function") or {}
    found = {}
    for logical_id, res in template["Resources"].items():
        if res.get("Type") == "AWS::Serverless::Function":
            found[logical_id] = {**defaults, **(res.get("Properties") or {})}
    return found


def api_routes(template: dict[str, Any]) -> list[Route]:
    """Every `Type: Api` event of every function, in template order."""
    routes = []
    for logical_id, properties in functions(template).items():
        code_dir = str(properties.get("CodeUri", ".")).rstrip("/") or "."
        handler = str(properties.get("Handler", "app.lambda_handler"))
        for name, event in (properties.get("Events") or {}).items():
            if event.get("Type") != "Api":
                continue
            props = event.get("Properties") or {}
            routes.append(
                Route(
                    function=logical_id,
                    code_dir=code_dir,
                    handler=handler,
                    method=str(props["Method"]).upper(),
                    path=str(props["Path"]),
                    event=name,
                    authorized=(props.get("Auth") or {}).get("Authorizer") != "NONE",
                )
            )
    return routes


def gateway_response(
    template: dict[str, Any], response_type: str, api: str = "LedgerApi"
) -> tuple[int, bytes]:
    """(status, body) of one of the API's `GatewayResponses` (API Gateway's own answers)."""
    properties = resource(template, api, "AWS::Serverless::Api")["Properties"]
    response = properties["GatewayResponses"][response_type]
    body = response["ResponseTemplates"]["application/json"]
    return int(response["StatusCode"]), str(body).encode()


def function_code(template: dict[str, Any], logical_id: str) -> tuple[str, str]:
    """(CodeUri dir, Handler) of one function."""
    try:
        properties = functions(template)[logical_id]
    except KeyError:
        known = ", ".join(sorted(functions(template)))
        raise KeyError(f"template has no function {logical_id!r} (functions: {known})") from None
    code_dir = str(properties.get("CodeUri", ".")).rstrip("/") or "."
    return code_dir, str(properties.get("Handler", "app.lambda_handler"))


# --- environment ------------------------------------------------------------------------------

_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


class _Unresolved(Exception):
    pass


def function_environment(
    template: dict[str, Any], logical_id: str, overrides: dict[str, str] | None = None
) -> dict[str, str]:
    """Globals.Function.Environment.Variables merged with the function's own, as strings.

    `!Ref X`, `!GetAtt X.Attr` and `!Sub` are resolved through `overrides` (keys: logical ids,
    parameter names or `X.Attr`), then parameter defaults; a variable that cannot be resolved
    locally is dropped.
    """
    overrides = dict(overrides or {})
    defaults = (template.get("Globals") or {}).get("Function") or {}
    own = resource(template, logical_id, "AWS::Serverless::Function").get("Properties") or {}
    variables: dict[str, Any] = {}
    for source in (defaults, own):
        variables.update(((source.get("Environment") or {}).get("Variables")) or {})
    lookup = _lookup(template, overrides)
    environment = {}
    for name, value in variables.items():
        try:
            environment[name] = _resolve(value, lookup)
        except _Unresolved:
            continue
    return environment


def declared_variables(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    """Every variable the template declares for the function (Globals' and its own), by name,
    with its value unresolved: also those `function_environment` cannot resolve locally."""
    defaults = (template.get("Globals") or {}).get("Function") or {}
    own = resource(template, logical_id, "AWS::Serverless::Function").get("Properties") or {}
    declared: dict[str, Any] = {}
    for source in (defaults, own):
        declared.update(((source.get("Environment") or {}).get("Variables")) or {})
    return declared


def _lookup(template: dict[str, Any], overrides: dict[str, str]) -> dict[str, str]:
    values = {"AWS::Region": "us-east-1", "AWS::AccountId": "000000000000", "AWS::Partition": "aws"}
    values["AWS::URLSuffix"] = "amazonaws.com"
    for name, parameter in (template.get("Parameters") or {}).items():
        if "Default" in parameter:
            values[name] = _scalar(parameter["Default"])
    values.update({key: str(value) for key, value in overrides.items()})
    return values


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_scalar(item) for item in value)
    return str(value)


def _resolve(value: Any, lookup: dict[str, str]) -> str:
    if not isinstance(value, dict):
        return _scalar(value)
    if len(value) != 1:
        raise _Unresolved
    ((function, argument),) = value.items()
    if function == "Ref":
        if argument in lookup:
            return lookup[argument]
        raise _Unresolved
    if function == "Fn::GetAtt":
        name = ".".join(argument) if isinstance(argument, list) else str(argument)
        if name in lookup:
            return lookup[name]
        raise _Unresolved
    if function == "Fn::Sub":
        text, extra = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
        scope = {**lookup, **{key: _resolve(item, lookup) for key, item in extra.items()}}

        def replace(match: re.Match[str]) -> str:
            if match.group(1) not in scope:
                raise _Unresolved
            return scope[match.group(1)]

        return _SUB_VARIABLE.sub(replace, text).replace("${!", "${")
    if function == "Fn::Join":
        separator, items = argument
        return str(separator).join(_resolve(item, lookup) for item in items)
    raise _Unresolved
