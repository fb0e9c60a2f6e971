"""A contact as one item and back: the layout every contact write and read shares.

What a listing answers is projected into every listing index, and AWS allows 100 projected
attributes over all of a table's INCLUDE indexes: so the listing view is a few grouped attributes,
`profile` (external id, email, names) and `archived` / `restored` (`{at, by}`), and an index
whose keys hold the status and its time (`status_sk`, `listing_sk`) is read without them. Restore
material is never projected: it lives in the base-only `snapshots` map (by link key,
`snapshots.py`), and each link keeps only `snapshot_change_id`, which says there is one.

Items written before this layout (`layout` absent: top-level email and names, `archived_at`, a
link's inline `snapshot`) read the same, from GetItem and from the stream's images alike, and
`layout_upgrade` rewrites one into it (`devtools/dynamodb_local.py` runs it over a table).
"""

from __future__ import annotations

from typing import Any

from contact_archive.ledger.encoding import from_item, to_attribute, to_item
from contact_archive.ledger.models import Contact, Vendor, VendorLink
from contact_archive.ledger.store.keys import (
    CONTACT_TYPE,
    contact_key,
    index_keys,
    vendor_pk_attribute,
)

LAYOUT = 2
PROFILE_FIELDS = ("external_id", "email", "first_name", "last_name")
STAMPS = ("archived", "restored")  # each `{at, by}`: when and by whom, last time
# Top-level attributes of the earlier layout: read still, and removed by a save or an upgrade.
LEGACY_FIELDS = (
    *PROFILE_FIELDS,
    *(f"{stamp}_{part}" for stamp in STAMPS for part in ("at", "by")),
)
LEGACY_ATTRIBUTES = (*LEGACY_FIELDS, "link_vendors", "link_keys")
# Everything of a contact item but its history, either layout: what GetItem reads.
CONTACT_FIELDS = (
    "type",  # a tombstone (`erasures.py`) is read as no contact
    "tenant_id",
    "contact_id",
    "profile",
    "status",
    "status_reason",
    "status_changed_at",
    *STAMPS,
    "version",
    "created_at",
    "updated_at",
    "links",
    "snapshots",
    "pending",
    "pending_version",
    "due_at",
    *LEGACY_FIELDS,
)
CONTACT_PROJECTION = ", ".join(f"#f{i}" for i in range(len(CONTACT_FIELDS)))
CONTACT_PROJECTION_NAMES = {f"#f{i}": name for i, name in enumerate(CONTACT_FIELDS)}
# The index keys that came with this layout: an upgrade sets them (the others it leaves alone).
NEW_INDEX_KEYS = ("listing_sk", *(vendor_pk_attribute(vendor) for vendor in Vendor), "scope_pk")


def stored_link(link: VendorLink) -> dict[str, Any]:
    """A link as its item holds it: without its snapshot, and without empty fields (index items
    stay small)."""
    return link.model_dump(mode="json", exclude={"snapshot"}, exclude_none=True)


def contact_attributes(contact: Contact) -> dict[str, Any]:
    """Every attribute of a contact item but its key, type and history; None for one the item
    must not have (a save removes it: earlier layouts' names included)."""
    attributes: dict[str, Any] = dict.fromkeys(LEGACY_ATTRIBUTES)
    attributes |= {
        "tenant_id": contact.tenant_id,
        "contact_id": contact.contact_id,
        "profile": {
            name: getattr(contact, name)
            for name in PROFILE_FIELDS
            if getattr(contact, name) is not None
        },
        "status": contact.status.value,
        "status_reason": contact.status_reason,
        "status_changed_at": contact.status_changed_at,
        "archived": stamp(contact.archived_at, contact.archived_by),
        "restored": stamp(contact.restored_at, contact.restored_by),
        "version": contact.version,
        "created_at": contact.created_at,
        "updated_at": contact.updated_at,
        "links": {key: stored_link(link) for key, link in contact.links.items()},
        # Always present (if empty), so that a snapshot is saved with one nested SET.
        "snapshots": {
            key: link.snapshot for key, link in contact.links.items() if link.snapshot is not None
        },
        "pending": contact.pending.model_dump(mode="json", exclude_none=True)
        if contact.pending
        else None,
        "layout": LAYOUT,
        **index_keys(contact),
    }
    return attributes


def contact_item(contact: Contact, history: list[str]) -> dict[str, Any]:
    """A whole contact item, in DynamoDB's attribute values, with its history events (encoded):
    what registering a contact puts."""
    key = contact_key(contact.tenant_id, contact.contact_id)
    item = {**contact_attributes(contact), "pk": key["pk"]["S"], "sk": key["sk"]["S"]}
    item |= {"type": CONTACT_TYPE, "history": history}
    return to_item({name: value for name, value in item.items() if value is not None})


def stamp(at: str | None, by: str | None) -> dict[str, str] | None:
    """An `archived` / `restored` attribute: when, and by whom."""
    if at is None:
        return None
    return {"at": at, "by": by} if by is not None else {"at": at}


def contact_from_item(item: dict[str, Any]) -> Contact:
    """A contact item, its stream image or an index's projection of it, in either layout, as
    the domain model.

    The contact-wide change's version is its own attribute (`pending_version`): the write that
    sets it knows the new version only as `version + 1`, which cannot be written inside the
    `pending` map. An index item holds no ids, status or status time of its own where its keys
    hold them: they are read from the keys.
    """
    attributes = from_item(item)
    _ids_from_key(attributes)
    _status_from_keys(attributes)
    profile = attributes.pop("profile", None) or {}
    attributes |= {name: profile[name] for name in PROFILE_FIELDS if name in profile}
    for name in STAMPS:
        value = attributes.pop(name, None)
        if isinstance(value, dict):
            attributes[f"{name}_at"] = value.get("at")
            attributes[f"{name}_by"] = value.get("by")
    snapshots = attributes.pop("snapshots", None) or {}
    links = attributes.get("links") or {}
    for key, snapshot in snapshots.items():
        if key in links:
            links[key] = {**links[key], "snapshot": snapshot}
    pending_version = attributes.pop("pending_version", None)
    if attributes.get("pending") and pending_version is not None:
        attributes["pending"] = {**attributes["pending"], "version": pending_version}
    return Contact.model_validate(attributes)


def _ids_from_key(attributes: dict[str, Any]) -> None:
    """Tenant and contact id from `TENANT#<t>#CONTACT#<id>` (neither holds a `#`)."""
    if "tenant_id" in attributes and "contact_id" in attributes:
        return
    tenant_id, _, contact_id = attributes["pk"].removeprefix("TENANT#").partition("#CONTACT#")
    attributes.setdefault("tenant_id", tenant_id)
    attributes.setdefault("contact_id", contact_id)


def _status_from_keys(attributes: dict[str, Any]) -> None:
    """Status and its time from `listing_sk` (`<status>#<at>#<id>`), or from the status index's
    keys (`...#STATUS#<status>`, `<at>#<id>`): ISO times hold no `#`."""
    if "status" in attributes and "status_changed_at" in attributes:
        return
    if "listing_sk" in attributes:
        status, changed_at, _ = attributes["listing_sk"].split("#", 2)
    elif "status_pk" in attributes and "status_sk" in attributes:
        status = attributes["status_pk"].rpartition("#STATUS#")[2]
        changed_at = attributes["status_sk"].partition("#")[0]
    else:
        return
    attributes.setdefault("status", status)
    attributes.setdefault("status_changed_at", changed_at)


def layout_upgrade(item: dict[str, Any]) -> dict[str, Any] | None:
    """The `UpdateItem` (less the table name) that rewrites a contact item of an earlier layout
    into this one, conditional on its version and its snapshots as read; None when it needs none.

    Only what the layout moves is written: the grouped attributes, snapshots out of the links
    (each link's other fields left as they are, since a sync may be writing them), the new index
    keys; the earlier names are removed.
    """
    if "layout" in item or item.get("type", {}).get("S") != CONTACT_TYPE:
        return None
    contact = contact_from_item(item)
    names: dict[str, str] = {"#snapshots": "snapshots", "#layout": "layout"}
    values: dict[str, Any] = {":version": contact.version, ":layout": LAYOUT}
    sets, removes = ["#layout = :layout"], []
    conditions = ["version = :version", "attribute_not_exists(#layout)"]
    written = contact_attributes(contact)
    for position, name in enumerate(("profile", *STAMPS, *NEW_INDEX_KEYS, *LEGACY_ATTRIBUTES)):
        names[f"#a{position}"] = name
        if written[name] is None:
            removes.append(f"#a{position}")
        else:
            sets.append(f"#a{position} = :a{position}")
            values[f":a{position}"] = written[name]
    inline = {
        key: link["snapshot"]
        for key, link in from_item(item).get("links", {}).items()
        if link.get("snapshot") is not None
    }
    if "snapshots" not in item:
        sets.append("#snapshots = :snapshots")
        values[":snapshots"] = inline
        conditions.append("attribute_not_exists(#snapshots)")
    for position, (key, snapshot) in enumerate(inline.items()):
        names |= {"#links": "links", "#inline": "snapshot", f"#l{position}": key}
        removes.append(f"#links.#l{position}.#inline")
        if "snapshots" in item:  # one saved since: the newer stays
            kept = f"#snapshots.#l{position}"
            sets.append(f"{kept} = if_not_exists({kept}, :s{position})")
            values[f":s{position}"] = snapshot
    if "snapshots" in item and not inline:
        del names["#snapshots"]
    expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    return {
        "Key": {"pk": item["pk"], "sk": item["sk"]},
        "UpdateExpression": expression,
        "ConditionExpression": " AND ".join(conditions),
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": {k: to_attribute(v) for k, v in values.items()},
    }
