"""Invoke one function with one event in a local container, like `sam local invoke` (`make invoke`).

    python -m devtools.invoke ArchiveFunction events/archive_contact.json

Works with every file in events/ as it is, with nothing to set first:

- DynamoDB: DYNAMODB_ENDPOINT when set, else the DynamoDB Local of a running `make run` (on 8000,
  or DYNAMODB_PORT), else DynamoDB Local started on the same data directory (.local/dynamodb/)
  for the call. The table is provisioned from template.yaml if missing.
- Vendors: the four sandboxes, started for the call as `make run` starts them (Grace in each),
  with `dev-tenant`'s credentials (and the test webhook secret), unless VENDOR_CREDENTIALS_FILE
  or VENDOR_CREDENTIALS name others.
- The bus, the queues and SyncFunction for RedriveFunction: loopback stand-ins for the call
  (`devtools/local_services.py`), never AWS.
- AuthorizerFunction: the sample key of events/authorize_api_key.json is put in the local ledger
  for `dev-tenant` first, so that the sample is allowed (a published key: local only).

The handler's result is printed as JSON on stdout; its logs, and everything the local services
say, go to stderr. Exit status 1 when the handler raised (its error on stderr).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from devtools.containers import FunctionError
from devtools.dynamodb_local import local_client, provision_table
from devtools.runtime import (
    LAYER_DIR,
    LOCAL_TABLE_NAME,
    FunctionRunner,
    function_ids,
    local_dynamodb,
    repo_path,
)
from devtools.template import declared_variables, load_template

AUTHORIZER = "AuthorizerFunction"
VENDORS_NEEDED = "VENDOR_SECRET_PREFIX"
SAMPLE_KEY_EVENT = "events/authorize_api_key.json"
SAMPLE_KEY_TENANT = "dev-tenant"
SAMPLE_KEY_CREATED_AT = "2026-01-01T00:00:00Z"


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    template = load_template()
    parser = argparse.ArgumentParser(
        prog="python -m devtools.invoke", description=__doc__.split("\n")[0]
    )
    parser.add_argument("function", help="logical id: " + ", ".join(function_ids(template)))
    parser.add_argument(
        "event", help="JSON event file (e.g. events/archive_contact.json), or - for stdin"
    )
    args = parser.parse_args(argv)
    if args.function not in function_ids(template):
        parser.error(
            f"unknown function {args.function!r}; one of {', '.join(function_ids(template))}"
        )
    if args.event == "-":
        event: Any = json.load(sys.stdin)
    else:
        path = repo_path(args.event)
        if not path.is_file():
            parser.error(f"no such event file: {args.event}")
        event = json.loads(path.read_text(encoding="utf-8"))

    result_out = sys.stdout
    # Only the result goes to stdout: the sandboxes, the bus and the handler print to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        try:
            result = invoke(template, args.function, event)
        except FunctionError as error:
            _log(f"{args.function} failed: {error}")
            return 1
    _print_result(result, result_out)
    return 0


def invoke(template: dict[str, Any], logical_id: str, event: Any) -> Any:
    """The handler's result for `event`, with every local service the call may need running."""
    from devtools.local_api import local_vendors
    from devtools.local_services import local_services

    table_name = os.environ.get("TABLE_NAME") or LOCAL_TABLE_NAME
    runner: FunctionRunner | None = None

    def run(name: str, payload: Any) -> Any:
        # RedriveFunction's Invoke of SyncFunction, in the same runner.
        assert runner is not None
        return runner.invoke(name, payload)

    declared = set(declared_variables(template, logical_id))
    with (
        local_dynamodb(log=_log) as endpoint,
        # The sandboxes only for a function that calls vendors (deployed: reads their secrets).
        local_vendors() if VENDORS_NEEDED in declared else _nothing() as vendor_environment,
        local_services(run, endpoint, declared) as service_environment,
    ):
        provision_table(endpoint, table_name, template)
        if logical_id == AUTHORIZER:
            put_sample_key(endpoint, table_name)
        extra = {**service_environment, **vendor_environment}
        # The handler's own output (Powertools logs, metrics) goes to stderr; stdout is the result.
        with FunctionRunner(template, endpoint, table_name, extra, output=sys.stderr) as runner:
            return runner.invoke(logical_id, event)


@contextlib.contextmanager
def _nothing() -> Iterator[dict[str, str]]:
    yield {}


def put_sample_key(endpoint: str, table_name: str) -> None:
    """The API key of events/authorize_api_key.json, for `dev-tenant`, unless already there."""
    if str(LAYER_DIR) not in sys.path:
        sys.path.insert(0, str(LAYER_DIR))
    from botocore.exceptions import ClientError

    from contact_archive.ledger import api_keys

    token = json.loads(repo_path(SAMPLE_KEY_EVENT).read_text(encoding="utf-8"))
    key_id, secret = api_keys.parse_bearer(token["authorizationToken"]) or ("", "")
    record = api_keys.ApiKeyRecord(
        key_id, SAMPLE_KEY_TENANT, api_keys.secret_hash(secret), SAMPLE_KEY_CREATED_AT
    )
    try:
        local_client(endpoint).put_item(TableName=table_name, **api_keys.create_request(record))
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise


def _print_result(result: Any, out: TextIO) -> None:
    print(json.dumps(result, indent=2, default=str), file=out, flush=True)


if __name__ == "__main__":
    sys.exit(main())
