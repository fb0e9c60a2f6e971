"""A contact made at each vendor's sandbox with the fields a person would notice, and how it
looks there: what the round-trip tests compare before an archive and after a restore."""

from __future__ import annotations

from typing import Any

from contact_archive.ledger.models import Vendor
from devtools.sandboxes.stack import SandboxStack
from tests.ledger_helpers import CUSTOMER

LISTS = ["list-newsletter", "list-customers"]

# What "the same contact" means per vendor: the fields a person would notice.
SEQUENCE_FIELDS = ("name", "email", "billingPreference")
ROUTERA_FIELDS = ("email", "first_name", "last_name", "external_id", "contact_owner", "plan")
CONSTANT_CONTACT_FIELDS = ("first_name", "last_name", "job_title", "list_memberships")


def seed(stack: SandboxStack, vendor: Vendor) -> tuple[str, str | None]:
    """A contact in the vendor's sandbox: its id and scope."""
    if vendor is Vendor.SEQUENCE:
        seeded = stack.sequence.add_contact(
            CUSTOMER, name="Ada Lovelace", email="ada@example.com", billingPreference="PRIMARY"
        )
        return seeded["id"], CUSTOMER
    if vendor is Vendor.ROUTERA:
        seeded = stack.routera.add_contact(
            email="ada@example.com",
            first_name="Ada",
            last_name="Lovelace",
            external_id="crm-42",
            contact_owner="owner-7",
            plan="enterprise",
        )
        return seeded["id"], None
    if vendor is Vendor.INTERCOM:
        seeded = stack.intercom.add_contact(email="ada@example.com", name="Ada Lovelace")
        return seeded["id"], None
    seeded = stack.constant_contact.add_contact(
        list_ids=LISTS, email="ada@example.com", first_name="Ada", last_name="Lovelace",
        job_title="Analyst",
    )  # fmt: skip
    return seeded["contact_id"], None


def vendor_view(stack: SandboxStack, vendor: Vendor, vendor_id: str) -> dict[str, Any]:
    """The vendor-side contact as a person would compare it, and whether it is archived."""
    if vendor is Vendor.SEQUENCE:
        found = stack.sequence.contact(CUSTOMER, vendor_id)
        assert found is not None
        return {**pick(found, SEQUENCE_FIELDS), "archived": found.get("archivedAt") is not None}
    if vendor is Vendor.ROUTERA:
        found = stack.routera.contact(vendor_id)
        assert found is not None
        return {
            **pick(found, ROUTERA_FIELDS),
            "archived": found.get("archived") not in (None, False),
        }
    if vendor is Vendor.INTERCOM:
        found = stack.intercom.contact(vendor_id)
        assert found is not None
        return {
            **pick(found, ("email", "name", "role", "external_id")),
            "archived": found["archived"],
        }
    found = stack.constant_contact.contact(vendor_id)
    assert found is not None
    return {
        **pick(found, CONSTANT_CONTACT_FIELDS),
        "email": found["email_address"]["address"],
        "archived": found.get("deleted_at") is not None,
    }


def pick(found: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: found.get(name) for name in names}
