"""The rules the Routera sandbox holds a create or an update to: which fields exist, which are
Routera's own, and which values two active contacts may not share.

From the reference's contact object (`seeds/001_*`): the default properties `external_id`,
`first_name`, `last_name`, `email`, `contact_owner`, and custom fields flat beside them; `id`,
`created_at`, `updated_at`, `archived` and `archived_by` are set by Routera.

Not documented, so chosen here (see `RouteraSandbox`): a field the account does not define is
refused with a 400; an email (compared without case) or an `external_id` already held by an active
contact is refused with a 409 whose body is Routera's usual `{"message", "error": true}`, naming
the field and never its value.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

# Set by Routera on every contact: a create or an update cannot take them.
SYSTEM_KEYS = frozenset({"id", "created_at", "updated_at", "archived", "archived_by"})

# The default properties of the reference's contact object, writable by a create.
DEFAULT_FIELDS = ("external_id", "first_name", "last_name", "email", "contact_owner")

# A create needs at least one of these (kept from the sandbox's first version; not in the seed).
IDENTITY_FIELDS = ("email", "first_name", "last_name")

# Values no two active contacts may share (not documented: the rule this project builds for).
UNIQUE_FIELDS = ("email", "external_id")


def undefined_fields(fields: Iterable[str], custom_fields: Collection[str]) -> list[str]:
    """The names among `fields` that are neither a default property nor a custom field the
    account defines, sorted (system keys are refused apart, as read-only)."""
    return sorted(
        name
        for name in fields
        if name not in DEFAULT_FIELDS and name not in custom_fields and name not in SYSTEM_KEYS
    )


def unique_value(field: str, value: object) -> object | None:
    """The value as the uniqueness rule compares it: emails without case, empty values never."""
    if value is None or value == "":
        return None
    if field == "email" and isinstance(value, str):
        return value.strip().casefold()
    return value


def duplicated_field(fields: Mapping[str, Any], others: Iterable[Mapping[str, Any]]) -> str | None:
    """The first unique field whose value in `fields` one of `others` holds already, or None."""
    for field in UNIQUE_FIELDS:
        wanted = unique_value(field, fields.get(field))
        if wanted is None:
            continue
        if any(unique_value(field, other.get(field)) == wanted for other in others):
            return field
    return None
