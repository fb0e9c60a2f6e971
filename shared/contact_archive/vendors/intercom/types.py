"""Intercom 2.10's contact JSON, named after the schemas in `vendor-specs/intercom-2.10.yaml`.

Only what the contact, create/update, archive/unarchive, delete, merge, search, list and error
schemas declare. The 2.10 `contact` schema has no `archived` property: archived contacts are never
listed nor fetchable.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, Required, TypedDict


class AddressableList(TypedDict, total=False):
    """`addressable_list`: a reference to a tag, note or subscription type."""

    type: str
    id: str
    url: str


class CompanyData(TypedDict, total=False):
    """`company_data`."""

    id: str
    type: Literal["company"]
    url: str


class ContactTags(TypedDict, total=False):
    """`contact_tags`."""

    data: list[AddressableList]
    url: str
    total_count: int
    has_more: bool


class ContactNotes(TypedDict, total=False):
    """`contact_notes`."""

    data: list[AddressableList]
    url: str
    total_count: int
    has_more: bool


class ContactCompanies(TypedDict, total=False):
    """`contact_companies`."""

    data: list[CompanyData]
    url: str
    total_count: int
    has_more: bool


class ContactLocation(TypedDict, total=False):
    """`contact_location`."""

    type: str | None
    country: str | None
    region: str | None
    city: str | None


class SocialProfile(TypedDict, total=False):
    """`social_profile`."""

    type: str
    name: str
    url: str


class ContactSocialProfiles(TypedDict, total=False):
    """`contact_social_profiles`."""

    data: list[SocialProfile]


class ContactAvatar(TypedDict, total=False):
    """The inline `avatar` object of `contact`."""

    type: str
    image_url: str | None


class Contact(TypedDict, total=False):
    """`contact`: the full contact (`GET /contacts/{id}`, `POST /contacts`, list items)."""

    type: str
    id: str
    external_id: str | None
    workspace_id: str
    role: str
    email: str
    email_domain: str
    phone: str | None
    name: str | None
    owner_id: int | None
    has_hard_bounced: bool
    marked_email_as_spam: bool
    unsubscribed_from_emails: bool
    created_at: int
    updated_at: int
    signed_up_at: int | None
    last_seen_at: int | None
    last_replied_at: int | None
    last_contacted_at: int | None
    last_email_opened_at: int | None
    last_email_clicked_at: int | None
    language_override: str | None
    browser: str | None
    browser_version: str | None
    browser_language: str | None
    os: str | None
    android_app_name: str | None
    android_app_version: str | None
    android_device: str | None
    android_os_version: str | None
    android_sdk_version: str | None
    android_last_seen_at: int | None
    ios_app_name: str | None
    ios_app_version: str | None
    ios_device: str | None
    ios_os_version: str | None
    ios_sdk_version: str | None
    ios_last_seen_at: int | None
    custom_attributes: dict[str, Any]
    avatar: ContactAvatar | None
    tags: ContactTags | None
    notes: ContactNotes
    companies: ContactCompanies
    location: ContactLocation
    social_profiles: ContactSocialProfiles


class ContactArchived(TypedDict):
    """`contact_archived`: the answer to `POST /contacts/{id}/archive`.

    2.10 declares no `required` list; `type`, `id` and `archived` are required as in 2.11."""

    type: Required[Literal["contact"]]
    id: Required[str]
    external_id: NotRequired[str | None]
    archived: Required[bool]


class ContactUnarchived(TypedDict):
    """`contact_unarchived`: the answer to `POST /contacts/{id}/unarchive` (same shape)."""

    type: Required[Literal["contact"]]
    id: Required[str]
    external_id: NotRequired[str | None]
    archived: Required[bool]


class StartingAfterPaging(TypedDict, total=False):
    """`starting_after_paging`: the cursor to the next page."""

    per_page: int
    starting_after: str | None


class CursorPages(TypedDict, total=False):
    """`cursor_pages`."""

    type: Literal["pages"]
    page: int
    next: StartingAfterPaging | None
    per_page: int
    total_pages: int


class ContactList(TypedDict, total=False):
    """`contact_list`: one page of `GET /contacts`."""

    type: Literal["list"]
    data: list[Contact]
    total_count: int
    pages: CursorPages | None


class CreateContactRequest(TypedDict, total=False):
    """`create_contact_request`: the body of `POST /contacts` (needs `email` or `external_id`)."""

    role: str
    external_id: str
    email: str
    phone: str | None
    name: str | None
    avatar: str | None
    signed_up_at: int | None
    last_seen_at: int | None
    owner_id: int | None
    unsubscribed_from_emails: bool | None
    custom_attributes: dict[str, Any] | None


class UpdateContactRequest(TypedDict, total=False):
    """`update_contact_request`: the body of `PUT /contacts/{id}`; the same writable fields as a
    create, none of them required."""

    role: str
    external_id: str
    email: str
    phone: str | None
    name: str | None
    avatar: str | None
    signed_up_at: int | None
    last_seen_at: int | None
    owner_id: int | None
    unsubscribed_from_emails: bool | None
    custom_attributes: dict[str, Any] | None


# `merge_contacts_request`: the body of `POST /contacts/merge`, a lead (`from`) into a user
# (`into`). `from` is a Python keyword, hence the functional form.
MergeContactsRequest = TypedDict("MergeContactsRequest", {"from": str, "into": str})


class SingleFilterSearchRequest(TypedDict, total=False):
    """`single_filter_search_request`: one `field operator value` filter."""

    field: str
    operator: str
    value: str | int | bool | list[str] | list[int] | None


class MultipleFilterSearchRequest(TypedDict, total=False):
    """`multiple_filter_search_request`: filters (or groups) joined by `AND` or `OR`."""

    operator: Literal["AND", "OR"]
    value: list[SingleFilterSearchRequest | MultipleFilterSearchRequest]


class SearchRequest(TypedDict):
    """`search_request`: the body of `POST /contacts/search`; answered with a `contact_list`."""

    query: Required[SingleFilterSearchRequest | MultipleFilterSearchRequest]
    pagination: NotRequired[StartingAfterPaging | None]


class ErrorItem(TypedDict):
    """One item of `error.errors` (inline in the spec)."""

    code: Required[str]
    message: NotRequired[str | None]
    field: NotRequired[str | None]


class Error(TypedDict):
    """`error`: the `error.list` body of every failed request."""

    type: Required[str]
    request_id: NotRequired[str | None]
    errors: Required[list[ErrorItem]]


class ContactDeleted(TypedDict):
    """`contact_deleted`: the answer to `DELETE /contacts/{id}`; also the item we expect in a
    `contact.deleted` notification (Intercom documents deleted topics as carrying identifying
    fields only)."""

    type: Required[Literal["contact"]]
    id: Required[str]
    external_id: NotRequired[str | None]
    deleted: Required[bool]


# Webhooks. The 2.10 spec describes none of this; the envelope is the one in `VENDORS.md` and in
# Intercom's "Signed notifications" example (`type`, `id`, `topic`, `app_id`, `data.type`,
# `data.item`, plus `created_at` in UNIX seconds).


class NotificationEventData(TypedDict):
    """`data` of a notification: `item` is the topic's object (a contact for `contact.*`)."""

    type: NotRequired[str]  # "notification_event_data" in Intercom's example
    item: Required[dict[str, Any]]


class NotificationEvent(TypedDict):
    """One webhook delivery body."""

    type: Required[Literal["notification_event"]]
    id: Required[str]  # "notif_…"; the dedup key (assumed kept on redelivery: not documented)
    topic: Required[str]
    app_id: Required[str]
    data: Required[NotificationEventData]
    created_at: NotRequired[int]  # UNIX seconds; absent from Intercom's own signed example
