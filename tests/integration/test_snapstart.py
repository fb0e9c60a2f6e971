"""SnapStart's hooks on moto: each API function registers them; before the snapshot nothing is
sent to AWS; after a restore the container resolves its own credentials, opens its own
connections and draws its own random numbers; and the functions answer as they do cold."""

from __future__ import annotations

import gc
import os
import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import snapshot_restore_py
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

from contact_archive import dependencies, snapstart
from contact_archive.ledger.store import LedgerStore
from tests.support import RequestCounter, body_of, load_event, load_handler

API_FUNCTIONS = {
    "archive": "archive",
    "restore": "restore",
    "list": "list",
    "register": "register",
    "jobs": "jobs",
    "authorizer": "authorizer",
}


@pytest.fixture(autouse=True)
def _unfrozen() -> Iterator[None]:
    """`before_snapshot` freezes what the process holds (for the snapshot): not this one's."""
    yield
    gc.unfreeze()
    parameters.clear_caches()  # the provider made before the snapshot is this test's


def _hooks(registry: list[tuple[Callable[..., Any], Any, Any]]) -> list[Callable[..., Any]]:
    return [function for function, _, _ in registry]


@pytest.mark.parametrize(("function_dir", "name"), API_FUNCTIONS.items())
def test_each_api_function_registers_the_hooks_and_its_warm_up(
    function_dir: str, name: str
) -> None:
    # Given a container's init: the function's handler imported
    load_handler(function_dir)
    # Then the runtime finds the hooks in snapshot_restore_py's registry, once each
    assert _hooks(snapshot_restore_py.get_before_snapshot()).count(snapstart.before_snapshot) == 1
    assert _hooks(snapshot_restore_py.get_after_restore()).count(snapstart.after_restore) == 1
    assert name in snapstart.prepared()


def test_no_aws_request_and_no_credentials_before_the_snapshot(
    store: LedgerStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    for function_dir in API_FUNCTIONS:
        load_handler(function_dir)
    client = dependencies.get_store().client
    counter = RequestCounter(client)
    sent: list[object] = []
    monkeypatch.setattr(
        client._endpoint.http_session,  # noqa: SLF001 - where a request would leave the process
        "send",
        lambda request: sent.append(request),
    )
    signed: list[str] = []
    client.meta.events.register(
        "before-send.dynamodb", lambda request, **_: signed.append(_key_of(request))
    )
    resolved: list[object] = []
    chain = dependencies.get_session().get_credentials()
    assert isinstance(chain, dependencies.RestorableCredentials)
    monkeypatch.setattr(chain, "_resolve", lambda: resolved.append(1))

    snapstart.before_snapshot()

    # The routes made their DynamoDB calls, answered in-process: none was sent, each signed
    # with the throwaway keys (signing warmed, nothing real in the snapshot)
    assert counter.total > 0
    assert sent == []
    assert set(signed) == {"snapshot-warm-up"}
    # The stores built on first use are in the snapshot: no restored request imports one
    assert {"links", "idempotency_keys", "api_keys"} <= vars(dependencies.get_store()).keys()
    assert resolved == []  # no credentials, to be copied into every container
    assert snapstart.metrics.metric_set == {}  # the warm-ups' metrics are no request's
    # ListFunction's secrets provider is made, over a client of the session: restorable
    secrets_client = DEFAULT_PROVIDERS["secrets"].client
    assert secrets_client in dependencies.clients()
    assert secrets_client._request_signer._credentials is chain  # noqa: SLF001


def test_a_restore_drops_credentials_connections_and_the_random_state(
    store: LedgerStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a container whose store has signed a request with the snapshot's credentials
    archive = load_handler("archive")
    snapstart.before_snapshot()
    client = dependencies.get_store().client
    assert client.meta.events  # the same client before and after: only what it holds changes
    signed: list[str] = []
    client.meta.events.register(
        "before-send.dynamodb", lambda request, **_: signed.append(_key_of(request))
    )
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "snapshotted")
    _read(client)
    random.seed(7)
    drawn_in_snapshot = random.random()
    # When the container is restored where other credentials are given
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "restored")
    random.seed(7)
    snapstart.after_restore()
    _read(client)
    # Then the next request is signed with the new ones, from the same client
    assert dependencies.get_store().client is client
    assert signed == ["snapshotted", "restored"]
    assert random.random() != drawn_in_snapshot
    assert archive  # the handler module stays loaded across the restore


def test_a_restore_drops_the_vendor_clients_their_lease_owner_and_sockets(
    store: LedgerStore,
) -> None:
    load_handler("register")
    before = dependencies.get_vendor_clients()
    http = before._http_client(*_any_vendor())  # noqa: SLF001 - an open client, to see it closed
    snapstart.after_restore()
    after = dependencies.get_vendor_clients()
    assert after is not before
    assert after._owner != before._owner  # noqa: SLF001 - the lease holder is this container
    assert http.is_closed


@pytest.mark.parametrize(
    ("function_dir", "event_name", "status"),
    [
        ("register", "register_contact", 201),
        ("archive", "archive_contact", 200),
        ("list", "get_contact", 200),
        ("restore", "restore_contact", 200),
        ("list", "list_contacts", 200),
    ],
)
def test_a_restored_function_serves_the_sample_events(
    store: LedgerStore, function_dir: str, event_name: str, status: int
) -> None:
    # Given every API function's container, snapshotted then restored
    handlers = {name: load_handler(name) for name in ("register", "archive", "list", "restore")}
    snapstart.before_snapshot()
    snapstart.after_restore()
    # When Ada is registered (for the routes that read her), then the sample event is served
    if function_dir != "register":
        registered = handlers["register"].lambda_handler(load_event("register_contact"), _ctx())
        assert registered["statusCode"] == 201
    if function_dir == "restore":
        handlers["archive"].lambda_handler(load_event("archive_contact"), _ctx())
    response = handlers[function_dir].lambda_handler(load_event(event_name), _ctx())
    # Then it answers as a cold container does
    assert response["statusCode"] == status, response["body"]
    assert "error" not in body_of(response)


def _read(client: Any) -> None:
    client.get_item(
        TableName=os.environ["TABLE_NAME"],
        Key={"pk": {"S": "TENANT#t-1#CONTACT#c-1"}, "sk": {"S": "CONTACT"}},
    )


def _ctx() -> Any:
    from tests.support import FakeLambdaContext

    return FakeLambdaContext()


def _key_of(request: Any) -> str:
    # SigV4's Authorization header: Credential=<access key>/<date>/<region>/...
    header = request.headers["Authorization"].decode()
    return str(header.split("Credential=")[1].split("/")[0])


def _any_vendor() -> tuple[Any, str]:
    from contact_archive.vendors.canonical import Vendor

    return Vendor.INTERCOM, "https://api.intercom.io"


def test_the_secrets_provider_made_before_the_snapshot_reads_after_the_restore(
    store: LedgerStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given ListFunction reading its cursor key from Secrets Manager, as deployed
    import boto3

    arn = boto3.client("secretsmanager").create_secret(
        Name="cursor", SecretString="a-cursor-key-from-secrets-manager"
    )["ARN"]
    monkeypatch.delenv("CURSOR_SIGNING_KEY")
    monkeypatch.setenv("CURSOR_SECRET_ARN", arn)
    dependencies.get_settings.cache_clear()
    list_function = load_handler("list")
    snapstart.before_snapshot()
    provider = DEFAULT_PROVIDERS["secrets"]
    # When restored, it serves a page, reading the key with the provider made before
    snapstart.after_restore()
    response = list_function.lambda_handler(load_event("list_contacts"), _ctx())
    assert response["statusCode"] == 200, response["body"]
    assert DEFAULT_PROVIDERS["secrets"] is provider
    assert provider.has_not_expired_in_cache(provider._build_cache_key(arn))  # noqa: SLF001
    # Then a further restore drops the key it read, and keeps the provider
    snapstart.after_restore()
    assert DEFAULT_PROVIDERS["secrets"] is provider
    assert not provider.has_not_expired_in_cache(provider._build_cache_key(arn))  # noqa: SLF001
