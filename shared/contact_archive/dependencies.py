"""What the use cases need from the outside world, built once per container."""

from __future__ import annotations

import json
import sys
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

from botocore.credentials import Credentials, ReadOnlyCredentials
from botocore.exceptions import NoCredentialsError
from botocore.session import Session
from botocore.session import get_session as new_session

from contact_archive.config import ConfigurationError, get_settings
from contact_archive.ledger.cursor import CursorCodec
from contact_archive.ledger.store import LedgerStore

if TYPE_CHECKING:
    from botocore.config import Config
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sqs import SQSClient

    from contact_archive.announcements.publisher import EventPublisher
    from contact_archive.jobs.queue import JobQueue
    from contact_archive.sync.redrive import DeadLetterRedrive
    from contact_archive.vendors.credential_sources import CredentialSource
    from contact_archive.vendors.registry import VendorClients
    from contact_archive.vendors.signing_secrets import SecretsManagerSigningSecrets, SigningSecrets

# Secrets Manager is asked again at most this often; a rotated key takes effect within it.
CURSOR_KEY_MAX_AGE_SECONDS = 300


class RestorableCredentials(Credentials):
    """The default chain's AWS credentials, resolved when a request is first signed, and again
    after `forget()`.

    botocore resolves a client's credentials when the client is created. Under SnapStart the
    clients are created before the snapshot: resolved then, the same credentials would be
    restored into every container. Resolved late, none are in the snapshot, and a restored
    container resolves its own (`refresh_after_restore`).
    """

    # botocore reads `method` when it creates a client: a constant, so that nothing is resolved.
    method = "restorable"

    def __init__(self, resolve: Callable[[], Credentials | None]) -> None:
        # No super().__init__(): every attribute reads the resolved credentials.
        self._resolve = resolve
        self._resolved: Credentials | None = None
        self._lock = threading.Lock()
        self._offline = False

    def forget(self) -> None:
        with self._lock:
            self._resolved = None

    @contextmanager
    def offline(self) -> Iterator[None]:
        """Nothing resolved meanwhile (a SnapStart warm-up): the account id reads as unknown,
        so an endpoint is resolved without it, and requests are signed with throwaway keys
        that AWS would refuse (signing is warmed, nothing real is in the snapshot)."""
        self._offline = True
        try:
            yield
        finally:
            self._offline = False

    def _current(self) -> Credentials:
        if self._offline:
            return _THROWAWAY
        with self._lock:
            if self._resolved is None:
                self._resolved = self._resolve()
                if self._resolved is None:
                    raise NoCredentialsError()
            return self._resolved

    @property
    def access_key(self) -> str:  # type: ignore[override]
        return str(self._current().access_key)

    @property
    def secret_key(self) -> str:  # type: ignore[override]
        return str(self._current().secret_key)

    @property
    def token(self) -> str | None:  # type: ignore[override]
        return self._current().token

    @property
    def account_id(self) -> str | None:
        # botocore reads it to pick DynamoDB's account-based endpoint.
        return None if self._offline else getattr(self._current(), "account_id", None)

    def get_frozen_credentials(self) -> ReadOnlyCredentials:
        # Refreshable credentials (the container's, under SnapStart) refresh themselves here.
        return self._current().get_frozen_credentials()


_THROWAWAY = Credentials("snapshot-warm-up", "snapshot-warm-up", method="snapshot-warm-up")


class _Provides:
    """A session's `credential_provider` component that hands out one set of credentials."""

    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials

    def load_credentials(self) -> Credentials:
        return self.credentials


@lru_cache(maxsize=1)
def get_session() -> Session:
    """One botocore session for the container's clients (a session costs about as much to build
    as a client), its credentials restorable."""
    session = new_session()
    chain = session.get_component("credential_provider")
    session.register_component(
        "credential_provider", _Provides(RestorableCredentials(chain.load_credentials))
    )
    return session


def refresh_after_restore() -> None:
    """What one container must not share with the others restored from the same snapshot: AWS
    credentials, open connections, secrets read and clients holding any of them.

    The clients themselves stay (building them again would cost the first request what the
    snapshot saved): their credentials are resolved afresh on the next request, and their
    connection pools start empty.
    """
    if get_session.cache_info().currsize:
        credentials = get_session().get_credentials()
        if isinstance(credentials, RestorableCredentials):
            credentials.forget()
    for client in list(_CLIENTS):
        client.close()  # an empty pool: it opens new connections when next used
    if get_vendor_clients.cache_info().currsize:
        # Its lease owner id must be this container's own, and its sockets too.
        get_vendor_clients().close()
    for secret_holder in (
        get_vendor_clients,
        get_credential_source,
        secrets_manager_signing_secrets,
        get_erasure_key,
        codec_for,
        get_dead_letter_redrive,
    ):
        secret_holder.cache_clear()
    parameters = sys.modules.get("aws_lambda_powertools.utilities.parameters.constants")
    if parameters is not None:
        # Secrets read are dropped. A provider is kept only if its client is one of ours (its
        # credentials restorable, `prepare_secrets_provider`); Powertools makes the others again.
        for name, provider in list(parameters.DEFAULT_PROVIDERS.items()):
            provider.clear_cache()
            if getattr(provider, "client", None) not in _CLIENTS:
                del parameters.DEFAULT_PROVIDERS[name]


# Every AWS client made here, to close their connections after a restore.
_CLIENTS: weakref.WeakSet[Any] = weakref.WeakSet()


def clients() -> list[Any]:
    """The AWS clients made so far in this container."""
    return list(_CLIENTS)


def new_client(service: str, config: Config | None = None) -> Any:
    client = get_session().create_client(service, config=config)
    _CLIENTS.add(client)
    return client


def prepare_secrets_provider() -> None:
    """Powertools Parameters' Secrets Manager provider, made now over a client of this session
    (before a SnapStart snapshot: its credentials are resolved after the restore), instead of
    on the first `get_secret` (a boto3 session and client, in the first request's time)."""
    import boto3
    from aws_lambda_powertools.utilities.parameters import SecretsProvider
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

    client = boto3.session.Session(botocore_session=get_session()).client("secretsmanager")
    _CLIENTS.add(client)
    DEFAULT_PROVIDERS["secrets"] = SecretsProvider(boto3_client=client)


@lru_cache(maxsize=1)
def get_store() -> LedgerStore:
    # botocore directly: boto3 would add its import time (s3transfer and all) to every cold start.
    client = cast("DynamoDBClient", new_client("dynamodb"))
    settings = get_settings()
    return LedgerStore(
        client, settings.table_name, history_retention_days=settings.history_retention_days
    )


def get_cursor_codec() -> CursorCodec:
    settings = get_settings()
    if settings.cursor_signing_key:
        key = settings.cursor_signing_key
    elif settings.cursor_secret_arn:
        # Imported here: only ListFunction pays for the parameters utility.
        from aws_lambda_powertools.utilities import parameters

        key = str(
            parameters.get_secret(settings.cursor_secret_arn, max_age=CURSOR_KEY_MAX_AGE_SECONDS)
        )
    else:
        raise ConfigurationError("set CURSOR_SIGNING_KEY or CURSOR_SECRET_ARN")
    return codec_for(key, settings.cursor_ttl_seconds)


@lru_cache(maxsize=1)
def get_erasure_key() -> str:
    """The key of the erased emails' hashes; it never changes, so it is read once."""
    settings = get_settings()
    if settings.erasure_key:
        return settings.erasure_key
    if settings.erasure_secret_arn:
        from aws_lambda_powertools.utilities import parameters

        return str(parameters.get_secret(settings.erasure_secret_arn))
    raise ConfigurationError("set ERASURE_KEY or ERASURE_SECRET_ARN")


@lru_cache(maxsize=4)
def codec_for(key: str, ttl_seconds: int) -> CursorCodec:
    return CursorCodec(key.encode(), ttl_seconds)


@lru_cache(maxsize=1)
def get_credential_source() -> CredentialSource:
    from pathlib import Path

    from contact_archive.vendors.credential_sources import JsonSource, SecretsManagerSource

    settings = get_settings()
    if settings.vendor_credentials_file:
        return JsonSource.from_file(Path(settings.vendor_credentials_file))
    if settings.vendor_credentials:
        try:
            document = json.loads(settings.vendor_credentials)
        except ValueError:
            raise ConfigurationError("VENDOR_CREDENTIALS is not valid JSON") from None
        return JsonSource(document)
    return SecretsManagerSource(settings.vendor_secret_prefix)


def get_signing_secrets() -> SigningSecrets:
    """Webhook signing secrets: from the local credentials document where there is one, else
    from their own secrets (WebhookFunction's role reads nothing else)."""
    from contact_archive.vendors.credential_sources import JsonSource
    from contact_archive.vendors.signing_secrets import CredentialsSigningSecrets

    credentials = get_credential_source()
    if isinstance(credentials, JsonSource):
        return CredentialsSigningSecrets(credentials)
    return secrets_manager_signing_secrets(get_settings().vendor_secret_prefix)


@lru_cache(maxsize=1)
def secrets_manager_signing_secrets(prefix: str) -> SecretsManagerSigningSecrets:
    from contact_archive.vendors.signing_secrets import SecretsManagerSigningSecrets

    # The container's own cache (`signing_secrets.CACHE`) keeps found and missing secrets.
    client = cast("SecretsManagerClient", new_client("secretsmanager"))
    return SecretsManagerSigningSecrets(client, prefix)


@lru_cache(maxsize=1)
def get_vendor_clients() -> VendorClients:
    # Imported here: httpx and the vendor modules load only in functions that call vendors.
    from contact_archive.vendors.registry import VendorClients

    # The ledger table is what the fleet of containers shares: token versions and leases,
    # rate-limit slots and counters (`vendors/fleet/`).
    return VendorClients(get_credential_source(), accounts=get_store().vendor_accounts)


@lru_cache(maxsize=1)
def get_event_publisher() -> EventPublisher:
    from contact_archive.announcements.publisher import EventPublisher

    bus_name = get_settings().event_bus_name
    if not bus_name:
        raise ConfigurationError("set EVENT_BUS_NAME")
    client = cast("EventBridgeClient", new_client("events"))
    return EventPublisher(client, bus_name)


@lru_cache(maxsize=1)
def get_dead_letter_redrive() -> DeadLetterRedrive:
    from botocore.config import Config

    from contact_archive.sync.redrive import (
        SYNC_INVOKE_TIMEOUT_SECONDS,
        DeadLetterRedrive,
        SyncFunctionInvoker,
    )

    settings = get_settings()
    if not settings.dead_letter_queue_url or not settings.sync_function_name:
        raise ConfigurationError("set DEAD_LETTER_QUEUE_URL and SYNC_FUNCTION_NAME")
    # SyncFunction answers within its own timeout; an invoke is never retried by the client,
    # so that a slow replay is not started a second time beside the first.
    invoke_config = Config(
        connect_timeout=5,
        read_timeout=SYNC_INVOKE_TIMEOUT_SECONDS,
        retries={"total_max_attempts": 1},
    )
    lambda_client = cast("LambdaClient", new_client("lambda", config=invoke_config))
    return DeadLetterRedrive(
        cast("SQSClient", new_client("sqs")),
        cast("DynamoDBStreamsClient", new_client("dynamodbstreams")),
        settings.dead_letter_queue_url,
        SyncFunctionInvoker(lambda_client, settings.sync_function_name),
    )


@lru_cache(maxsize=1)
def get_job_queue() -> JobQueue:
    from contact_archive.jobs.queue import JobQueue

    queue_url = get_settings().job_queue_url
    if not queue_url:
        raise ConfigurationError("set JOB_QUEUE_URL")
    return JobQueue(cast("SQSClient", new_client("sqs")), queue_url)
