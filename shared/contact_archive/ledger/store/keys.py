"""The table's layout: every item type, its key, and the index attributes of a contact.

Tenant first in every key, so nothing ever crosses tenants (docs/architecture.md has the table).
API keys are the exception, read by key id before any tenant is known: `ledger/api_keys.py` lays
them out, where the operator CLI reads it too.
"""

from __future__ import annotations

import zlib
from typing import Any

from contact_archive.ledger.models import Contact, Vendor
from contact_archive.ledger.store.table import Key

STATUS_INDEX = "by_status"
TENANT_INDEX = "by_tenant"
EMAIL_INDEX = "by_email"
EXTERNAL_ID_INDEX = "by_external_id"
DUE_INDEX = "by_due"
# Contacts by their one scoped link (`vendor:scope`), or in one shared partition when they hold
# several: a single index key cannot name a contact twice.
SCOPE_INDEX = "by_scope"
# The due index's partitions: contacts spread over them so that no one partition takes every
# change's index write; the sweeper queries each.
DUE_SHARDS = 16

# The `type` attribute of each kind of item.
CONTACT_TYPE = "contact"
ERASED_CONTACT_TYPE = "erased_contact"  # a contact's tombstone, under the contact's own key
ERASED_EMAIL_TYPE = "erased_email"
HISTORY_PAGE_TYPE = "history_page"
VENDOR_REF_TYPE = "vendor_ref"
IDEMPOTENCY_TYPE = "idempotency"
# In a contact's partition, one per idempotency key whose kept response shows the contact: an
# erasure finds and deletes those responses through them.
IDEMPOTENCY_POINTER_TYPE = "idempotency_pointer"
DELIVERY_TYPE = "delivery"
CUSTOMER_CHANGE_TYPE = "vendor_customer_change"
RECONCILE_TYPE = "reconcile_watermark"
SETTINGS_TYPE = "tenant_settings"
VENDOR_ACCOUNT_TYPE = "vendor_account"
RATE_SLOTS_TYPE = "rate_slots"
RATE_WINDOW_TYPE = "rate_window"


def _key(pk: str, sk: str) -> Key:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def contact_pk(tenant_id: str, contact_id: str) -> str:
    return f"TENANT#{tenant_id}#CONTACT#{contact_id}"


def contact_key(tenant_id: str, contact_id: str) -> Key:
    return _key(contact_pk(tenant_id, contact_id), "CONTACT")


def history_page_sk(first_version: int) -> str:
    """History pages sort after their contact's item, by the version of their first event."""
    return f"HISTORY#{first_version:012d}"


def erased_email_key(tenant_id: str, email_digest: str) -> Key:
    """An erased person's email, as its keyed hash (`ledger/erasure.py`): imports skip it."""
    return _key(f"TENANT#{tenant_id}#ERASED_EMAIL#{email_digest}", "ERASED_EMAIL")


def vendor_ref_pk(tenant_id: str, vendor: Vendor, vendor_id: str) -> str:
    return f"TENANT#{tenant_id}#VENDOR#{vendor.value}#{vendor_id}"


def vendor_ref_key(tenant_id: str, vendor: Vendor, vendor_id: str) -> Key:
    return _key(vendor_ref_pk(tenant_id, vendor, vendor_id), "VENDOR_REF")


def idempotency_key(tenant_id: str, key_hash: str) -> Key:
    return _key(f"TENANT#{tenant_id}#IDEMPOTENCY#{key_hash}", "IDEMPOTENCY")


def idempotency_pointer_key(tenant_id: str, contact_id: str, key_hash: str) -> Key:
    return _key(contact_pk(tenant_id, contact_id), f"IDEMPOTENCY#{key_hash}")


def delivery_pk(tenant_id: str, vendor: Vendor, notification_id: str) -> str:
    return f"TENANT#{tenant_id}#DELIVERY#{vendor.value}#{notification_id}"


def customer_change_pk(tenant_id: str, vendor: Vendor, notification_id: str) -> str:
    return f"TENANT#{tenant_id}#CUSTOMER_CHANGE#{vendor.value}#{notification_id}"


def watermark_key(tenant_id: str, vendor: Vendor) -> Key:
    return _key(f"TENANT#{tenant_id}", f"RECONCILE#{vendor.value}")


def settings_key(tenant_id: str) -> Key:
    return _key(f"TENANT#{tenant_id}", "SETTINGS")


def vendor_account_key(tenant_id: str, vendor: Vendor) -> Key:
    """A tenant's vendor account as the fleet shares it: its token version and renewal lease.
    Its own partition, so that an IAM `LeadingKeys` condition can name exactly these items."""
    return _key(f"TENANT#{tenant_id}#VENDOR_ACCOUNT#{vendor.value}", "VENDOR_ACCOUNT")


def rate_pk(vendor: Vendor, account: str) -> str:
    """A vendor's rate-limited key (an API key, an app's token: `account` is its digest). Not a
    tenant's: the vendor counts per key, and tenants authorised through one app share its key."""
    return f"RATE#{vendor.value}#{account}"


def rate_slots_key(vendor: Vendor, account: str) -> Key:
    return _key(rate_pk(vendor, account), "SLOTS")


def rate_window_key(vendor: Vendor, account: str, window: int) -> Key:
    return _key(rate_pk(vendor, account), f"WINDOW#{window:012d}")


def vendor_index(vendor: Vendor) -> str:
    """The sparse index of the contacts holding a link of `vendor`, by status and its time."""
    return f"by_{vendor.value}"


def vendor_ids_index(vendor: Vendor) -> str:
    """The same contacts in contact id order, keys only: a walk that contacts changing status
    cannot reorder (reconciliation's)."""
    return f"ids_by_{vendor.value}"


def vendor_pk_attribute(vendor: Vendor) -> str:
    """The attribute, present only on contacts linked to `vendor`, that keys both its indexes."""
    return f"{vendor.value}_pk"


def linked_pk(tenant_id: str, vendor: Vendor) -> str:
    return f"TENANT#{tenant_id}#LINKED#{vendor.value}"


def scope_pk(tenant_id: str, link: str) -> str:
    """The scope index's partition of a contact's one scoped link (`sequence:<customer>`)."""
    return f"TENANT#{tenant_id}#LINK#{link}"


def many_scopes_pk(tenant_id: str) -> str:
    """The scope index's partition of the contacts holding several scoped links (rare): a
    listing by scope reads it after the scope's own, keeping those holding the link."""
    return f"TENANT#{tenant_id}#LINKS#MANY"


def listing_sk(status: str, changed_at: str, contact_id: str) -> str:
    """The vendor and scope indexes' sort key: a status's contacts together, by the time they
    came to it (most recent first, as in the status index, when read backwards)."""
    return f"{status}#{changed_at}#{contact_id}"


def listing_prefix(status: str) -> str:
    """What `listing_sk` begins with for the contacts in `status`."""
    return f"{status}#"


def index_keys(contact: Contact) -> dict[str, Any]:
    """The attributes that place a contact in the indexes (None: out of that index)."""
    tenant_id, contact_id = contact.tenant_id, contact.contact_id
    linked = {link.vendor for link in contact.links.values()}
    scoped = sorted(key for key, link in contact.links.items() if link.scope is not None)
    keys: dict[str, Any] = {
        "status_pk": status_pk(tenant_id, contact.status.value),
        "status_sk": status_sk(contact.status_changed_at, contact_id),
        "tenant_pk": f"TENANT#{tenant_id}",
        "tenant_sk": contact_id,
        "listing_sk": listing_sk(contact.status.value, contact.status_changed_at, contact_id),
        **{
            vendor_pk_attribute(vendor): linked_pk(tenant_id, vendor) if vendor in linked else None
            for vendor in Vendor
        },
        "scope_pk": None,
        "email_pk": None,
        "email_sk": None,
        "pending_version": contact.pending.version if contact.pending else None,
        **due_keys(tenant_id, contact_id, contact.due_at),
    }
    if len(scoped) == 1:
        keys["scope_pk"] = scope_pk(tenant_id, scoped[0])
    elif scoped:
        keys["scope_pk"] = many_scopes_pk(tenant_id)
    if contact.email:
        keys["email_pk"] = email_pk(contact.tenant_id, contact.email)
        keys["email_sk"] = contact.contact_id
    keys["external_pk"] = None
    keys["external_sk"] = None
    if contact.external_id:
        keys["external_pk"] = external_pk(contact.tenant_id, contact.external_id)
        keys["external_sk"] = contact.contact_id
    return keys


def status_pk(tenant_id: str, status: str) -> str:
    return f"TENANT#{tenant_id}#STATUS#{status}"


def status_sk(changed_at: str, contact_id: str) -> str:
    return f"{changed_at}#{contact_id}"


def email_pk(tenant_id: str, email: str) -> str:
    return f"TENANT#{tenant_id}#EMAIL#{email.lower()}"


def external_pk(tenant_id: str, external_id: str) -> str:
    """External ids are the caller's own and compared exactly (unlike emails)."""
    return f"TENANT#{tenant_id}#EXTERNAL#{external_id}"


def due_shard(tenant_id: str, contact_id: str) -> str:
    number = zlib.crc32(f"{tenant_id}#{contact_id}".encode()) % DUE_SHARDS
    return f"DUE#{number:02d}"


def due_keys(tenant_id: str, contact_id: str, due_at: str | None) -> dict[str, str | None]:
    """The attributes that place a contact in the due index at `due_at` (None: out of it)."""
    if due_at is None:
        return {"due_at": None, "due_pk": None, "due_sk": None}
    return {
        "due_at": due_at,
        "due_pk": due_shard(tenant_id, contact_id),
        "due_sk": f"{due_at}#{tenant_id}#{contact_id}",
    }


def due_values(tenant_id: str, contact_id: str, due_at: str) -> dict[str, str]:
    """`due_keys` as the values of an update expression's `DUE_UPDATES`."""
    keys = due_keys(tenant_id, contact_id, due_at)
    return {f":{name}": value for name, value in keys.items() if value is not None}


DUE_UPDATES = ("due_at = :due_at", "due_pk = :due_pk", "due_sk = :due_sk")
