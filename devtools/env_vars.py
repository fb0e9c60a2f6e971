"""The `--env-vars` file for `sam local invoke` and `sam local start-api` (`make env-vars`).

    make run          # terminal 1: DynamoDB Local, the vendor sandboxes, the event bus, SQS
    make env-vars     # terminal 2: writes .local/sam-env-vars.json from what `make run` serves
    sam local invoke ArchiveFunction -e events/archive_contact.json \\
        --env-vars .local/sam-env-vars.json --docker-network host

The file is keyed by logical id: each function gets the value `make run` would give it of every
variable the template declares for it (its own and Globals'). `sam local` sets no variable the
template does not declare, so the local-only ones (the AWS_ENDPOINT_URL_* of DynamoDB Local and
the stand-ins, the local keys, VENDOR_CREDENTIALS) are declared in Globals as AWS::NoValue:
present for `sam local`, absent once deployed. The secrets' ARNs are blanked, so that nothing
reads Secrets Manager. RedriveFunction invokes SyncFunction through `sam local start-lambda`
(http://127.0.0.1:3001 by default).

The stack's servers listen on 127.0.0.1: on Linux, `--docker-network host` lets the containers
reach them there. `--host` writes another address into the URLs for a Docker that reaches the
machine elsewhere (the servers must then listen there too).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from devtools import REPO_ROOT
from devtools.local_state import StackState, read_state
from devtools.runtime import LAYER_DIR, base_environment
from devtools.template import declared_variables, function_environment, functions, load_template

DEFAULT_OUTPUT = REPO_ROOT / ".local" / "sam-env-vars.json"
DEFAULT_PORT = 3000  # `make run`'s API port, which names its state file
# `sam local start-lambda`'s default address: where RedriveFunction's Invoke of SyncFunction goes.
SAM_LOCAL_LAMBDA = "http://127.0.0.1:3001"
LOOPBACK = "127.0.0.1"
# Deployed, these name Secrets Manager secrets; locally the keys above them win, and a blank
# value is no value (`config.get_settings`), so nothing reaches for AWS.
BLANKED = ("CURSOR_SECRET_ARN", "ERASURE_SECRET_ARN")


def local_variables(state: StackState, queues: tuple[str, str]) -> dict[str, str]:
    """What `make run` gives its functions, rebuilt from its published state: `queues` is
    (jobs queue URL, SyncFunction's dead-letter queue URL) on its SQS."""
    from devtools.local_services import LOCAL_BUS_NAME, SYNC_FUNCTION_NAME

    variables = base_environment(state.dynamodb_endpoint, state.table_name)
    variables |= {
        "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": state.dynamodb_endpoint,
        "EVENT_BUS_NAME": LOCAL_BUS_NAME,
        "AWS_ENDPOINT_URL_EVENTBRIDGE": state.event_bus_url,
        "AWS_ENDPOINT_URL_SQS": state.sqs_endpoint,
        "JOB_QUEUE_URL": queues[0],
        "DEAD_LETTER_QUEUE_URL": queues[1],
        "SYNC_FUNCTION_NAME": SYNC_FUNCTION_NAME,
        "AWS_ENDPOINT_URL_LAMBDA": SAM_LOCAL_LAMBDA,
        **dict.fromkeys(BLANKED, ""),
    }
    credentials = vendor_credentials(state)
    if credentials:
        variables["VENDOR_CREDENTIALS"] = credentials
    return variables


def vendor_credentials(state: StackState) -> str:
    """The credentials `make run` uses: its sandboxes' for its tenant (rebuilt from the
    sandboxes' defaults, as `make seed` does), else the developer's own (inlined: a file's path
    on this machine means nothing in a container)."""
    if not state.sandboxes:
        configured = os.environ.get("VENDOR_CREDENTIALS_FILE")
        if configured:
            return Path(configured).read_text(encoding="utf-8")
        return os.environ.get("VENDOR_CREDENTIALS", "")
    if str(LAYER_DIR) not in sys.path:
        sys.path.insert(0, str(LAYER_DIR))  # the sandboxes share the layer's vendor types
    from contact_archive.ledger.models import Vendor
    from devtools.sandboxes.stack import SandboxStack

    base_urls = {Vendor(vendor): url for vendor, url in state.sandboxes.items()}
    return json.dumps(SandboxStack().credentials(state.tenant, base_urls))


def sam_env_vars(
    template: dict[str, Any], variables: dict[str, str], host: str = LOOPBACK
) -> dict[str, dict[str, str]]:
    """The file's content: by logical id, the function's template variables resolved locally,
    with `variables` over them, kept to those the template declares (all `sam local` sets)."""
    document: dict[str, dict[str, str]] = {}
    for logical_id in functions(template):
        resolved = function_environment(template, logical_id) | variables
        declared = declared_variables(template, logical_id)
        document[logical_id] = {
            name: value.replace(LOOPBACK, host) if host != LOOPBACK else value
            for name, value in sorted(resolved.items())
            if name in declared
        }
    return document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.env_vars", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", DEFAULT_PORT)))
    parser.add_argument("--host", default=LOOPBACK, help="the address containers reach")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    state = read_state(args.port)
    if state is None or not state.sqs_endpoint:
        print(
            f"No running `make run` on port {args.port}: start it first (the file points at"
            " its DynamoDB Local, sandboxes, bus and queues, which live while it runs)",
            file=sys.stderr,
        )
        return 1
    from devtools.local_services import ensure_queues

    # The same queues `make invoke` uses, on `make run`'s SQS (created if missing).
    queues = ensure_queues(state.sqs_endpoint)
    document = sam_env_vars(load_template(), local_variables(state, queues), args.host)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    shown = (
        args.output.relative_to(REPO_ROOT) if args.output.is_relative_to(REPO_ROOT) else args.output
    )
    print(f"Wrote {shown}: {len(document)} functions, pointed at the stack on port {args.port}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
