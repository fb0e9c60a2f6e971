"""Lambda SnapStart for the API functions: what runs before the snapshot, and after a restore.

Lambda runs a published version's init once, runs the before-snapshot hooks, and snapshots the
process; each new container is that snapshot restored, after-restore hooks first. So what a
first request would otherwise pay (imports, pydantic validators, the resolver's per-route
validation, AWS clients) is paid once, before the snapshot. What must differ between
containers is made again after each restore: the random generator's state, AWS credentials,
connections, secrets read, and the vendor clients with their lease owner id
(`dependencies.refresh_after_restore`).

Nothing before the snapshot calls the network or resolves credentials: the warm-ups answer
synthetic requests that stop before any AWS call, and an AWS call attempted during them is
refused before it is sent.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from snapshot_restore_py import register_after_restore, register_before_snapshot

from contact_archive.dependencies import clients, get_store, refresh_after_restore

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
    get_store()  # the DynamoDB client; its credentials are resolved on its first request
    _build_models()
    guarded = clients()
    for client in guarded:
        client.meta.events.register("before-send", _refuse, unique_id="snapstart-no-network")
    try:
        for warm_up in _WARMUPS.values():
            warm_up()
    finally:
        for client in guarded:
            client.meta.events.unregister("before-send", unique_id="snapstart-no-network")


def after_restore() -> None:
    # Reseeded from os.urandom: otherwise every restored container draws the same retry jitter
    # (and whatever else `random` decides) as the others. `secrets` and uuid4 read os.urandom.
    random.seed()
    refresh_after_restore()


def _refuse(**_: Any) -> None:
    raise RuntimeError("no AWS request before the snapshot: it would need credentials")


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
