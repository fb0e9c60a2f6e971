"""Sequence's own JSON for contacts, named as in its OpenAPI (version 2024-07-30).

Only the contact schemas are here: `Contact`, `ContactRequestModel` (the body of create and
update), `ContactResponseModel` (the list of a customer's contacts) and `ContactBillingPreference`;
and, for webhooks, the spec's `NotificationType` and the delivery envelope from Sequence's docs.
"""

# No `from __future__ import annotations` here: a TypedDict tells its `Required` keys apart at
# runtime only from evaluated annotations (the tests compare them with the vendor's documents).

from typing import Any, Literal, Required, TypedDict

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


# Webhooks. The OpenAPI declares the notification types (`NotificationType`) and the policy's
# `webhookSecret`, not the delivery; the envelope below is the one on docs.sequencehq.com
# ("Webhook events"): `{notificationType, sequenceAccountId, resourceType?, resourceId?,
# resource?}`.

NotificationType = Literal[
    "CUSTOMER_CREATED",
    "CUSTOMER_UPDATED",
    "CUSTOMER_ARCHIVED",
    "INVOICE_CREATED",
    "INVOICE_ISSUED",
    "INVOICE_UPDATED",
    "INTEGRATION_SYNC_COMPLETED",
    "INTEGRATION_WEBHOOK_HANDLED",
    "MERCHANT_UPDATED",
    "BILLING_SCHEDULE_CREATED",
    "BILLING_SCHEDULE_UPDATED",
    "BILLING_SCHEDULE_ARCHIVED",
    "CREDIT_NOTE_CREATED",
    "CREDIT_NOTE_UPDATED",
    "CREDIT_NOTE_ISSUED",
    "QUOTE_PUBLISHED",
    "QUOTE_ACCEPTED",
    "QUOTE_SIGNED",
    "INVOICE_REMINDER_SENT",
    "WATCHTOWER_TASK_ASSIGNED",
]


class Notification(TypedDict, total=False):
    """One webhook delivery body. `notificationType` is a `NotificationType` when Sequence keeps
    to its enum; a parser must still accept names it does not know (and ignore them)."""

    notificationType: Required[str]
    sequenceAccountId: Required[str]
    resourceType: str
    resourceId: str
    resource: dict[str, Any]  # the state of the resource; a `Customer` for CUSTOMER_* types
