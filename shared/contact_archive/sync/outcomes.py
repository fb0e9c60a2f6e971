"""What syncing one link came to, as every sync entry point (the stream, the sweeper) reports it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from contact_archive.ledger.models import Actor

SYNC_ACTOR = Actor(name="sync", source="sync")


class SyncOutcome(StrEnum):
    NOTHING_PENDING = "nothing_pending"  # settled already, or no change names this link
    SETTLED = "settled"  # the vendor now agrees with the ledger
    SETTLED_WITHOUT_CALL = "settled_without_call"  # it already did: e.g. archived then restored
    FAILED = "failed"  # a permanent vendor error, recorded on the link
    MATERIAL_TAKEN = "material_taken"  # restore material saved for a vendor-made archive
    UNRECOVERABLE = "unrecoverable"  # no material to be had: the link says so
    WAITING = "waiting"  # the vendor asked to be called again later: the sweeper will
    SUPERSEDED = "superseded"  # a newer change took over while this one ran
    ERASED = "erased"  # the contact was erased: its vendors are the erasure's (`erasure.py`)


@dataclass(frozen=True)
class LinkSync:
    outcome: SyncOutcome
    vendor_id: str | None = None  # the link's vendor id afterwards
