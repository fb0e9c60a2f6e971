"""A contact as its callers see it: the JSON of the API's answers and of the commands' results.

`api/schemas.py` documents these shapes for the OpenAPI document; this module builds them, so
that an EventBridge command stores the same body as the HTTP route it mirrors.
"""

from __future__ import annotations

from typing import Any

from contact_archive.ledger.models import Contact, HistoryEvent


def contact_body(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.contact_id,
        "external_id": contact.external_id,
        "email": contact.email,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "status": contact.status.value,
        "status_reason": contact.status_reason,
        "archived_at": contact.archived_at,
        "archived_by": contact.archived_by,
        "restored_at": contact.restored_at,
        "restored_by": contact.restored_by,
        "version": contact.version,
        "created_at": contact.created_at,
        "updated_at": contact.updated_at,
        "links": [
            {
                "key": key,
                "vendor": link.vendor.value,
                "vendor_id": link.vendor_id,
                "scope": link.scope,
                "state": contact.link_state(key).value,
                # A listing reads no snapshot (no index holds one): the change it was taken
                # for says there is one.
                "has_snapshot": link.snapshot is not None or link.snapshot_change_id is not None,
                "unrecoverable_reason": link.unrecoverable_reason,
                "last_error": link.last_error,
                "attempts": link.attempts,
                "synced_at": link.synced_at,
            }
            for key, link in sorted(contact.links.items())
        ],
    }


def history_body(events: list[HistoryEvent]) -> dict[str, Any]:
    return {"items": [event.model_dump(mode="json") for event in events]}
