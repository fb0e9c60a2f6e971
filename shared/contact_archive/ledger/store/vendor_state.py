"""The write of a vendor's own change of a link (a webhook or reconciliation saw the vendor
archive, restore or delete the contact): `links.py`'s `record_vendor_state` sends it.

Unlike a settle it is conditional on the contact's version, not on a change id: it adds a
history event, and may move the contact's status (and so its listing keys) and its due time.
"""

from __future__ import annotations

from typing import Any

from contact_archive.ledger.encoding import to_attribute
from contact_archive.ledger.models import VendorStateChange
from contact_archive.ledger.store.history import encode_event
from contact_archive.ledger.store.keys import (
    DUE_UPDATES,
    contact_key,
    due_values,
    listing_sk,
    status_pk,
    status_sk,
)


def vendor_state_update(change: VendorStateChange) -> dict[str, Any]:
    """The update that records a vendor's own change of a link, conditional on the version."""
    values: dict[str, Any] = {
        ":state": change.state.value,
        ":occurred": change.occurred_at,
        ":now": change.event["at"],
        ":one": 1,
        ":version": change.expected_version,
        ":vendor_id": change.vendor_id,
        ":event": [encode_event(change.event)],
        ":reason": change.unrecoverable_reason,
    }
    names = {"#links": "links", "#link": change.link_key}
    sets = [
        "#links.#link.settled_state = :state",
        "#links.#link.vendor_changed_at = :occurred",
        "#links.#link.synced_at = :now",
        "#links.#link.unrecoverable_reason = :reason",
        "version = version + :one",
        "updated_at = :now",
        "history = list_append(history, :event)",
    ]
    if change.change is not None:
        values[":change"] = change.change.model_dump(mode="json")
        values[":change_id"] = change.change.change_id
        sets += ["#links.#link.change = :change", "#links.#link.settled_change_id = :change_id"]
    elif change.settled_change_id is not None:
        values[":change_id"] = change.settled_change_id
        sets.append("#links.#link.settled_change_id = :change_id")
    if change.due_at is not None:
        values |= due_values(change.tenant_id, change.contact_id, change.due_at)
        sets += DUE_UPDATES
    if change.status_changed:
        names["#status"] = "status"
        values |= {
            ":status": change.status.value,
            ":status_pk": status_pk(change.tenant_id, change.status.value),
            ":status_sk": status_sk(change.event["at"], change.contact_id),
            ":listing_sk": listing_sk(change.status.value, change.event["at"], change.contact_id),
        }
        sets += [
            "#status = :status",
            "status_changed_at = :now",
            "status_pk = :status_pk",
            "status_sk = :status_sk",
            "listing_sk = :listing_sk",
        ]
    return {
        "Key": contact_key(change.tenant_id, change.contact_id),
        "UpdateExpression": "SET " + ", ".join(sets),
        "ConditionExpression": "version = :version AND #links.#link.vendor_id = :vendor_id",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": {k: to_attribute(v) for k, v in values.items()},
    }
