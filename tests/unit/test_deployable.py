"""`sam build && sam deploy --guided` with every answer left at its default deploys a working stack
and needs no resource made beforehand: what can be checked of that without an AWS account.

The template is translated offline by the SAM translator (as CloudFormation's transform does on
deploy) with no parameter given, and every reference in the result must point inside the stack:
a resource of its own, one of its parameters or an AWS pseudo parameter; no import from another
stack, no dynamic reference to a parameter or secret that must exist first, no ARN of a resource
outside the stack (AWS's own managed policies apart)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from devtools.template import load_template
from tests.iam_policies import translated

# An ARN written out in the template: only AWS's own managed policies, and API Gateway's service
# path to a function of the stack (how SAM writes an integration), may be named so.
LITERAL_ARN = re.compile(
    r"arn:aws[a-z-]*:(?!iam::aws:policy/|apigateway:\$\{AWS::Region\}:lambda:path/)"
)
SUB_VARIABLE = re.compile(r"\$\{(?!!)([^}]+)\}")


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="module")
def deployed() -> dict[str, Any]:
    """The template as CloudFormation, with no parameter given (every answer of --guided left at
    its default); code locations as `sam package` makes them."""
    return translated(parameter_values={})


def _walk(value: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair of a template, depth first."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key, inner
            yield from _walk(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _walk(inner)


def _references(value: Any) -> Iterator[str]:
    """The logical ids and parameter names a template's intrinsics name."""
    for key, inner in _walk(value):
        if key == "Ref" and isinstance(inner, str):
            yield inner
        elif key == "Fn::GetAtt":
            yield inner[0] if isinstance(inner, list) else inner.split(".")[0]
        elif key == "Fn::Sub":
            text, variables = (inner, {}) if isinstance(inner, str) else inner
            for name in SUB_VARIABLE.findall(text):
                if name not in variables:
                    yield name.split(".")[0]


def test_every_parameter_has_a_default_so_guided_deploy_can_accept_them_all(
    template: dict[str, Any],
) -> None:
    # Given the template's parameters; Then each has a default, which its own rules accept
    for name, parameter in template["Parameters"].items():
        assert "Default" in parameter, f"{name}: `sam deploy --guided` would need an answer"
        default = parameter["Default"]
        if "AllowedValues" in parameter:
            assert default in parameter["AllowedValues"], name
        if "AllowedPattern" in parameter:
            assert re.fullmatch(parameter["AllowedPattern"], str(default)), name
        if "MinValue" in parameter:
            assert float(default) >= float(parameter["MinValue"]), name


def test_the_translated_stack_names_only_what_it_makes(
    template: dict[str, Any], deployed: dict[str, Any]
) -> None:
    # Given the stack as CloudFormation deploys it, translated with no parameter given
    resources = set(deployed["Resources"])
    parameters = set(deployed.get("Parameters", {}))
    # Then every reference is to a resource of the stack, a parameter or a pseudo parameter
    outside = {
        name
        for name in _references({key: deployed[key] for key in ("Resources", "Outputs")})
        if name not in resources and name not in parameters and not name.startswith("AWS::")
    }
    assert outside == set()
    # and nothing is read from another stack, a parameter store or a secret made beforehand
    everything = list(_walk(deployed))
    assert not [key for key, _ in everything if key == "Fn::ImportValue"]
    strings = [inner for _, inner in everything if isinstance(inner, str)]
    assert not [text for text in strings if "{{resolve:" in text]
    # and no ARN is written out, AWS's own managed policies apart
    assert not [text for text in strings if LITERAL_ARN.search(text)]
    # and with no authorizer given, the stack's own checks the API keys
    assert template["Parameters"]["TenantAuthorizerArn"]["Default"] == ""
    assert deployed["Resources"]["AuthorizerFunction"]["Condition"] == "UseBuiltInAuthorizer"
