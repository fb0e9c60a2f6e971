"""Invoke one function with one event in a local container, like `sam local invoke` (`make invoke`).

    python -m devtools.invoke ArchiveFunction events/archive_contact.json

Uses the DynamoDB Local of a running `make run` when one answers on the local port (8000, or
DYNAMODB_PORT), or DYNAMODB_ENDPOINT when set; otherwise starts DynamoDB Local on the same data
directory (.local/dynamodb/) for the call and stops it afterwards. The table is provisioned from
template.yaml if missing. The handler's result is printed as JSON on stdout; its logs go to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from devtools.dynamodb_local import provision_table
from devtools.runtime import (
    LOCAL_TABLE_NAME,
    FunctionRunner,
    function_ids,
    local_dynamodb,
    repo_path,
)
from devtools.template import load_template


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

    table_name = os.environ.get("TABLE_NAME") or LOCAL_TABLE_NAME
    with local_dynamodb(log=_log) as endpoint:
        provision_table(endpoint, table_name, template)
        # The handler's own output (Powertools logs, metrics) goes to stderr; stdout is the result.
        with FunctionRunner(template, endpoint, table_name, output=sys.stderr) as runner:
            result = runner.invoke(args.function, event)
    print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
