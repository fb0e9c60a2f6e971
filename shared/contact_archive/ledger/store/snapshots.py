"""Restore material: kept on the contact item, never in an index.

A link's snapshot (what its vendor needs to bring the contact back) can be large, and an index
write costs by the size of what the index projects: so snapshots live in the base-only
`snapshots` map, by link key, and the link keeps `snapshot_change_id` (the archive it was taken
for), which also tells a listing that there is one. Items of the earlier layout held the snapshot
inline in the link; `contact_items.py` reads both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from contact_archive.ledger.encoding import to_attribute
from contact_archive.ledger.store.keys import contact_key
from contact_archive.ledger.store.table import ConditionFailed, Table


@dataclass(frozen=True)
class SnapshotWrite:
    """A snapshot for one link, taken for the archive `change_id`, written under `condition`
    (the link still current: `links.py`'s CURRENT_LINK, with its values)."""

    tenant_id: str
    contact_id: str
    link_key: str
    change_id: str
    snapshot: dict[str, Any]
    condition: str
    condition_values: dict[str, dict[str, Any]]


def save_snapshot(table: Table, write: SnapshotWrite) -> bool:
    """Write the snapshot into `snapshots` and its change id onto the link, dropping an inline
    snapshot of the earlier layout; False when the condition does not hold.

    One `UpdateItem`; an item of the earlier layout has no `snapshots` map for it to go into
    (DynamoDB refuses the path), and is given one holding this snapshot instead: a second.
    """
    names = {
        "#type": "type",
        "#links": "links",
        "#link": write.link_key,
        "#snapshots": "snapshots",
        "#inline": "snapshot",  # a reserved word
    }
    values = write.condition_values | {":change_id": {"S": write.change_id}}
    sets = "#links.#link.snapshot_change_id = :change_id"
    drop_inline = " REMOVE #links.#link.#inline"
    into_map: dict[str, Any] = {
        "UpdateExpression": f"SET #snapshots.#link = :snapshot, {sets}{drop_inline}",
        "ConditionExpression": write.condition,
        "ExpressionAttributeValues": values | {":snapshot": to_attribute(write.snapshot)},
    }
    request = {
        "Key": contact_key(write.tenant_id, write.contact_id),
        "ExpressionAttributeNames": names,
    }
    try:
        table.update(**request, **into_map)
        return True
    except ConditionFailed:
        return False
    except ClientError as error:
        if error.response["Error"]["Code"] != "ValidationException":
            raise
    new_map = {
        "UpdateExpression": f"SET #snapshots = :snapshots, {sets}{drop_inline}",
        "ConditionExpression": f"{write.condition} AND attribute_not_exists(#snapshots)",
        "ExpressionAttributeValues": values
        | {":snapshots": to_attribute({write.link_key: write.snapshot})},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    try:
        table.update(**request, **new_map)
        return True
    except ConditionFailed as refused:
        if not refused.item or "snapshots" not in refused.item:
            return False  # the link moved on
    try:  # another write gave the item its map meanwhile
        table.update(**request, **into_map)
        return True
    except ConditionFailed:
        return False


def settle_with_snapshot(
    table: Table, settle: dict[str, Any], snapshot: dict[str, Any]
) -> bool | None:
    """`settle` (a link's settling `UpdateItem`, `links.py`, for an archive) writing the
    archive's snapshot too, in one request: half the writes and stream records of keeping the
    material first, for a caller that has both at once (a bulk archive). Whether it was written;
    None for an item of the earlier layout, which has no map for it (keep the snapshot first)."""
    settle["ExpressionAttributeNames"] |= {"#snapshots": "snapshots", "#inline": "snapshot"}
    settle["ExpressionAttributeValues"][":snapshot"] = to_attribute(snapshot)
    settle["UpdateExpression"] += (
        ", #snapshots.#link = :snapshot, #links.#link.snapshot_change_id = :change"
        " REMOVE #links.#link.#inline"
    )
    try:
        table.update(**settle)
        return True
    except ConditionFailed:
        return False
    except ClientError as error:
        if error.response["Error"]["Code"] != "ValidationException":
            raise
    return None
