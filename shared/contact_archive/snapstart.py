"""Lambda SnapStart for the API functions: what runs before the snapshot, and after a restore.

Lambda runs a published version's init once, runs the before-snapshot hooks, and snapshots the
process; each new container is that snapshot restored, after-restore hooks first. So what a
first request would otherwise pay (imports, pydantic validators, the resolver's per-route
validation, AWS clients) is paid once, before the snapshot. What must differ between
containers is made again after each restore: the random generator's state, AWS credentials,
connections, secrets read, and the vendor clients with their lease owner id
(`dependencies.refresh_after_restore`).

Nothing before the snapshot calls the network or resolves credentials: during the warm-ups the
AWS clients sign with throwaway keys and are answered from here (nothing found, every write
refused) at the moment they would send, so that signing and parsing a response are warmed too.
"""

from __future__ import annotations

import gc
import json
import os
import random
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from botocore.awsrequest import AWSResponse, HTTPHeaders
from snapshot_restore_py import register_after_restore, register_before_snapshot

from contact_archive.config import get_settings
from contact_archive.dependencies import (
    RestorableCredentials,
    clients,
    get_session,
    get_store,
    refresh_after_restore,
)
from contact_archive.observability import metrics

Warmup = Callable[[], object]

# Per function name (tests load several functions in one process): its warm-up.
_WARMUPS: dict[str, Warmup] = {}


def prepare(function: str, warm_up: Warmup) -> None:
    """Register the hooks (once per process) and `function`'s warm-up, run before the snapshot."""
    if not _WARMUPS:
        register_before_snapshot(before_snapshot)
        register_after_restore(after_restore)
    _WARMUPS[function] = warm_up


def prepared() -> list[str]:
    """The functions whose warm-up runs before the snapshot."""
    return sorted(_WARMUPS)


def before_snapshot() -> None:
    # The DynamoDB client (its credentials are resolved on its first request), and the stores
    # the warm-ups may not reach (an Idempotency-Key's, say).
    get_store().build_deferred()
    _build_models()
    # A new connection encodes its host name with the idna codec, imported on first use.
    "localhost".encode("idna")
    session = get_session()
    credentials = session.get_credentials()
    if not isinstance(credentials, RestorableCredentials):
        raise TypeError("the AWS clients' credentials would be resolved before the snapshot")
    # On the session too: a client made during the warm-ups copies its handlers.
    emitters = [session, *(client.meta.events for client in clients())]
    for emitter in emitters:
        emitter.register("before-send", _answer, unique_id="snapstart-answer")
    try:
        with credentials.offline(), _throwaway_secrets():
            for warm_up in _WARMUPS.values():
                warm_up()
    finally:
        for emitter in [session, *(client.meta.events for client in clients())]:
            emitter.unregister("before-send", unique_id="snapstart-answer")
        # The warm-ups' metrics (a refusal counted, say) were no request's: never published.
        metrics.clear_metrics()
        refresh_after_restore()  # and what they cached (the throwaway keys) is not kept
    # What init made is there to stay: collected once and frozen, a restored container's garbage
    # collections never walk it (without this, its first request pays a full collection).
    gc.collect()
    gc.freeze()


@contextmanager
def _throwaway_secrets() -> Iterator[None]:
    """The warm-ups' secrets: random keys and no vendor credentials, from the environment, so
    that no route reads Secrets Manager or calls a vendor before the snapshot."""
    throwaway = {
        "CURSOR_SIGNING_KEY": secrets.token_urlsafe(32),
        "ERASURE_KEY": secrets.token_urlsafe(32),
        "VENDOR_CREDENTIALS": json.dumps({}),
    }
    kept = {name: os.environ.get(name) for name in throwaway}
    os.environ.update(throwaway)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for name, value in kept.items():
            if value is None:
                del os.environ[name]
            else:
                os.environ[name] = value
        get_settings.cache_clear()
        get_settings()  # the real settings, read before the snapshot


def after_restore() -> None:
    # Reseeded from os.urandom: otherwise every restored container draws the same retry jitter
    # (and whatever else `random` decides) as the others. `secrets` and uuid4 read os.urandom.
    random.seed()
    refresh_after_restore()


# What the warm-ups' DynamoDB requests get: the warm-up tenant has nothing, and its writes fail
# their conditions, so each route takes its ordinary not-found or conflict path.
_READS: dict[str, dict[str, Any]] = {
    "GetItem": {},
    "Query": {"Items": [], "Count": 0, "ScannedCount": 0},
    "BatchGetItem": {"Responses": {}, "UnprocessedKeys": {}},
    "TransactWriteItems": {},
}
_REFUSED = {
    "__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
    "message": "snapshot warm-up",
}


class _Body:
    """The raw body of an answer, as botocore reads a urllib3 response's."""

    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._content


def _answer(event_name: str, **_: Any) -> AWSResponse:
    """botocore's `before-send` (the request signed with the throwaway keys): an answer
    instead of sending it. Signing, the response's parsing and the events on the way are
    warmed as a real request warms them."""
    operation = event_name.rsplit(".", 1)[-1]
    parsed = _READS.get(operation)
    status, body = (400, _REFUSED) if parsed is None else (200, parsed)
    return AWSResponse("", status, HTTPHeaders(), _Body(json.dumps(body).encode()))


def _build_models() -> None:
    """Build the validators of the layer's pydantic models that defer it (`defer_build`): at a
    plain cold start that waits for first use, before a snapshot it costs nothing."""
    from pydantic import BaseModel

    pending: list[type[BaseModel]] = list(BaseModel.__subclasses__())
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        if model.__module__.startswith("contact_archive.") and model.model_config.get(
            "defer_build"
        ):
            model.model_rebuild(force=True)
