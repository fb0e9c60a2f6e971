"""Sequence's own JSON for contacts, named as in its OpenAPI (version 2024-07-30).

Only the contact schemas are here: `Contact`, `ContactRequestModel` (the body of create and
update), `ContactResponseModel` (the list of a customer's contacts) and `ContactBillingPreference`.
"""

# No `from __future__ import annotations` here: a TypedDict tells its `Required` keys apart at
# runtime only from evaluated annotations (the tests compare them with the vendor's documents).

from typing import Literal, Required, TypedDict

ContactBillingPreference = Literal["PRIMARY", "STANDARD", "NONE"]


class Contact(TypedDict, total=False):
    """A customer's contact. `archivedAt` is present only once the contact is archived."""

    id: Required[str]
    name: Required[str]
    email: Required[str]
    billingPreference: Required[ContactBillingPreference]
    createdAt: Required[str]
    updatedAt: Required[str]
    archivedAt: str


class ContactRequestModel(TypedDict):
    """Body of `POST /customers/{customer}/contacts` (and of `PUT`, which has no archive field)."""

    name: str
    email: str
    billingPreference: ContactBillingPreference


class ContactResponseModel(TypedDict):
    """Answer of `GET /customers/{customer}/contacts`: every contact at once, no pagination."""

    items: list[Contact]
