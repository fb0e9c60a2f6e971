"""template.yaml: the API functions run on SnapStart, and API Gateway calls what it restores.

SnapStart applies to published versions only: a function is restored from a snapshot when its
caller names a version or an alias, never `$LATEST`. So each API function publishes an alias on
every deploy, and the routes and the authorizer call that alias.
"""

from __future__ import annotations

from typing import Any

import pytest

from devtools.template import functions, load_template

# The functions behind API Gateway, their first request on a user's path.
SNAPSTART_FUNCTIONS = (
    "ArchiveFunction",
    "RestoreFunction",
    "ListFunction",
    "RegisterFunction",
    "JobsFunction",
    "AuthorizerFunction",
)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


@pytest.mark.parametrize("logical_id", SNAPSTART_FUNCTIONS)
def test_api_functions_publish_an_alias_restored_with_snapstart(
    template: dict[str, Any], logical_id: str
) -> None:
    properties = functions(template)[logical_id]
    assert properties["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert properties["AutoPublishAlias"] == "live"


def test_the_functions_without_snapstart_are_the_ones_no_request_waits_for(
    template: dict[str, Any],
) -> None:
    # Streams, queues, schedules and webhooks: a cold start there delays no API caller.
    without = {name for name, props in functions(template).items() if "SnapStart" not in props}
    assert without == {
        "SyncFunction",
        "RedriveFunction",
        "ReconcileFunction",
        "WebhookFunction",
        "SweepFunction",
        "JobWorkerFunction",
    }


def test_the_authorizer_is_called_through_its_alias(template: dict[str, Any]) -> None:
    authorizer = template["Resources"]["LedgerApi"]["Properties"]["Auth"]["Authorizers"]
    built_in = authorizer["TenantAuthorizer"]["FunctionArn"]["Fn::If"][2]
    assert built_in == {"Ref": "AuthorizerFunction.Alias"}
