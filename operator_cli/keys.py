"""`contact-archive keys`: the built-in API keys, written straight to the ledger table.

    contact-archive keys create --tenant T [--json]
    contact-archive keys list [--tenant T]
    contact-archive keys revoke KEY_ID

Not over HTTP, unlike the jobs: the first key has to exist before anything can call the API. By
default against the local stack (`make run` on --port publishes its DynamoDB and table in
`.local/stack-<port>.json`); `--table NAME` reaches a deployed stack's table with the normal AWS
credential chain. The items' format is the layer's own (`contact_archive.ledger.api_keys`, the
one module of the layer this CLI imports: standard library only), so that a key made here is
the key the authorizer checks.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import boto3
import typer
from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.table import Table

from contact_archive.ledger import api_keys

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

LOCAL_PORT = 3000
LOCAL_REGION = "us-east-1"

keys = typer.Typer(
    help="Built-in API keys (stored as hashes; a key is shown once).", no_args_is_help=True
)


class KeysProblem(Exception):
    """What an operator can act on: printed, exit code 2."""


@dataclass(frozen=True)
class LedgerTable:
    client: DynamoDBClient
    name: str


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def local_stack(port: int) -> tuple[str, str]:
    """(DynamoDB endpoint, table) that `make run` on `port` published (devtools/local_state.py)."""
    directory = Path(os.environ.get("LOCAL_STATE_DIR") or ".local")
    path = directory / f"stack-{port}.json"
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        return str(state["dynamodb_endpoint"]), str(state["table_name"])
    except (OSError, ValueError, KeyError, TypeError):
        raise KeysProblem(
            f"no local stack on port {port} ({path} missing): start `make run`, or give --table"
        ) from None


def open_table(table: str | None, port: int, region: str | None) -> LedgerTable:
    if table:
        client = boto3.client("dynamodb", region_name=region)
        return LedgerTable(client, table)
    endpoint, name = local_stack(port)
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=LOCAL_REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - DynamoDB Local takes any
    )
    return LedgerTable(client, name)


TableOption = Annotated[
    str | None,
    typer.Option("--table", help="A deployed stack's ledger table (its LedgerTableName output)."),
]
PortOption = Annotated[
    int, typer.Option("--port", help="The local stack's API port (without --table).")
]
RegionOption = Annotated[
    str | None, typer.Option("--region", help="With --table: its region (else AWS's default).")
]


def _console(ctx: typer.Context) -> tuple[Console, Console]:
    session = ctx.obj
    return session.out, session.err


def _run(ctx: typer.Context, work: Any) -> Any:
    """`work()`, its refusals printed with exit code 2, the table unreachable with 3."""
    _, err = _console(ctx)
    try:
        return work()
    except KeysProblem as problem:
        err.print(f"error: {problem}", soft_wrap=True)
        raise typer.Exit(2) from None
    except (BotoCoreError, ClientError) as error:
        err.print(f"error: the ledger table answered: {error}", soft_wrap=True)
        raise typer.Exit(3) from None


@keys.command("create")
def create(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Option("--tenant", help="The tenant the key acts for.")],
    as_json: Annotated[
        bool, typer.Option("--json", help='{"key_id", "api_key", "tenant_id"}')
    ] = False,
    table: TableOption = None,
    port: PortOption = LOCAL_PORT,
    region: RegionOption = None,
) -> None:
    """Create a key for a tenant and print it once: only its hash is kept."""
    out, _ = _console(ctx)

    def work() -> tuple[str, api_keys.ApiKeyRecord]:
        try:
            text, record = api_keys.new_key(tenant, at=_now())
        except ValueError as problem:
            raise KeysProblem(str(problem)) from None
        target = open_table(table, port, region)
        target.client.put_item(TableName=target.name, **api_keys.create_request(record))
        return text, record

    text, record = _run(ctx, work)
    if as_json:
        out.print_json(
            json.dumps({"key_id": record.key_id, "api_key": text, "tenant_id": record.tenant_id})
        )
        return
    out.print(f"Created key {record.key_id} for tenant {record.tenant_id}.")
    out.print(f"API key (shown once, keep it secret): {text}", soft_wrap=True)
    out.print("Send it as: Authorization: Bearer <API key>")


@keys.command("list")
def list_keys(
    ctx: typer.Context,
    tenant: Annotated[str | None, typer.Option("--tenant", help="Only this tenant's.")] = None,
    table: TableOption = None,
    port: PortOption = LOCAL_PORT,
    region: RegionOption = None,
) -> None:
    """List the keys (ids, tenants and times; never a secret)."""
    out, _ = _console(ctx)

    def work() -> list[api_keys.ApiKeyRecord]:
        target = open_table(table, port, region)
        request: dict[str, Any] = {"TableName": target.name, **api_keys.list_request(tenant)}
        records = []
        while True:
            page = target.client.query(**request)
            records += [api_keys.listed(item) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return records
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    records = _run(ctx, work)
    view = Table("key id", "tenant", "created", "revoked")
    for record in sorted(records, key=lambda item: item.created_at):
        view.add_row(record.key_id, record.tenant_id, record.created_at, record.revoked_at or "")
    out.print(view)


@keys.command("revoke")
def revoke(
    ctx: typer.Context,
    key_id: str,
    table: TableOption = None,
    port: PortOption = LOCAL_PORT,
    region: RegionOption = None,
) -> None:
    """Revoke a key: refused from then on (within API Gateway's 5-minute cache)."""
    out, _ = _console(ctx)

    def work() -> None:
        if not api_keys.KEY_ID.fullmatch(key_id):
            raise KeysProblem(f"{key_id!r} is not a key id (16 letters and digits)")
        target = open_table(table, port, region)
        at = _now()
        try:
            target.client.update_item(
                TableName=target.name, **api_keys.revoke_request(key_id, at=at)
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            found: dict[str, Any] = error.response.get("Item") or {}  # type: ignore[assignment]
            if not found:
                raise KeysProblem(f"no key {key_id}") from None
            revoked = api_keys.from_item(found).revoked_at
            raise KeysProblem(f"key {key_id} was already revoked at {revoked}") from None

    _run(ctx, work)
    out.print(f"Revoked key {key_id}.")
