"""Routera's own JSON for contacts, as its API reference describes it (it publishes no spec file).

Objects are flat: custom fields sit at the top level beside `id` and `external_id`, so a contact
may carry more keys than the default set typed here.
"""

# No `from __future__ import annotations` here: a TypedDict tells its `Required` keys apart at
# runtime only from evaluated annotations (the tests compare them with the vendor's documents).

from typing import Any, Required, TypedDict


class Contact(TypedDict, total=False):
    """A contact with its default properties. `archived` is `false` while active and an ISO
    timestamp once archived (the reference's generated examples show a boolean `true`);
    `archived_by` appears only when archived. `created_at`/`updated_at` are always present."""

    id: Required[str]
    external_id: str | None
    first_name: str | None
    last_name: str | None
    email: str | None
    contact_owner: str | None
    created_at: Required[str]
    updated_at: Required[str]
    archived: Required[bool | str]
    archived_by: str


class CreateContactRequest(TypedDict):
    """Body of `POST /contacts`: field internal names (as GET returns them) to values."""

    fields: dict[str, Any]


class Pagination(TypedDict):
    """The page a list answer holds: the `limit` and `offset` asked for, and a `count`."""

    limit: int
    offset: int
    count: int


class ContactList(TypedDict):
    """Answer of `GET /contacts?archived=&limit=&offset=`."""

    data: list[Contact]
    pagination: Pagination


class ErrorBody(TypedDict):
    """Error answer, e.g. 401 `{"message": "Unauthorized: missing account context", ...}`."""

    message: str
    error: bool
