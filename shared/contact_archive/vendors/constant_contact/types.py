"""Constant Contact v3's contact JSON, named after the definitions in
`vendor-specs/constant-contact-v3-contacts.yml` and `constant-contact-v3-bulk-activities.yml`.

Only what the contact, PUT, list, bulk activity and error shapes declare. A contact has no `status`
property (`status` is only a query filter); `deleted_at` is a date (`2015-03-17`).
"""

from __future__ import annotations

from typing import NotRequired, Required, TypedDict


class EmailAddress(TypedDict):
    """`EmailAddress`: the contact's email subresource as read."""

    address: Required[str]
    permission_to_send: NotRequired[str]
    created_at: NotRequired[str]
    updated_at: NotRequired[str]
    opt_in_source: NotRequired[str]
    opt_in_date: NotRequired[str]
    opt_out_source: NotRequired[str]
    opt_out_date: NotRequired[str]
    opt_out_reason: NotRequired[str]
    confirm_status: NotRequired[str]


class ContactCustomField(TypedDict):
    """`ContactCustomField` (read and PUT alike)."""

    custom_field_id: Required[str]
    value: NotRequired[str]
    choice_ids: NotRequired[list[str]]


class PhoneNumber(TypedDict, total=False):
    """`PhoneNumber`."""

    phone_number_id: str
    phone_number: str
    kind: str
    created_at: str
    updated_at: str
    update_source: str
    create_source: str


class StreetAddress(TypedDict):
    """`StreetAddress`."""

    street_address_id: NotRequired[str]
    kind: Required[str]
    street: NotRequired[str]
    city: NotRequired[str]
    state: NotRequired[str]
    postal_code: NotRequired[str]
    country: NotRequired[str]
    created_at: NotRequired[str]
    updated_at: NotRequired[str]


class Note(TypedDict, total=False):
    """`Note`."""

    note_id: str
    created_at: str
    content: str


class SmsChannelConsentDetails(TypedDict, total=False):
    """`SmsChannelConsentDetails`: one SMS consent as read."""

    sms_consent_permission: str
    consent_type: str
    opt_in_date: str
    opt_out_date: str
    advertised_frequency: str
    advertised_interval: str
    created_at: str
    updated_at: str


class ContactResourceSmsChannel(TypedDict, total=False):
    """The inline `sms_channel` object of `ContactResource`."""

    sms_channel_id: str
    sms_address: str
    dial_code: str
    country_code: str
    update_source: str
    create_source: str
    sms_channel_consents: list[SmsChannelConsentDetails]


class ContactResource(TypedDict, total=False):
    """`ContactResource`: one contact (`GET`/`PUT /contacts/{contact_id}`, list items).

    Subresources (`list_memberships`, `custom_fields`, ...) appear only when asked for with
    `include=`."""

    contact_id: str
    email_address: EmailAddress
    first_name: str
    last_name: str
    job_title: str
    company_name: str
    birthday_month: int
    birthday_day: int
    anniversary: str
    update_source: str
    create_source: str
    created_at: str
    updated_at: str
    deleted_at: str
    custom_fields: list[ContactCustomField]
    phone_numbers: list[PhoneNumber]
    street_addresses: list[StreetAddress]
    list_memberships: list[str]
    taggings: list[str]
    notes: list[Note]
    sms_channel: ContactResourceSmsChannel


class EmailAddressPut(TypedDict):
    """`EmailAddressPut`: the email subresource of a PUT."""

    address: Required[str]
    permission_to_send: NotRequired[str]
    created_at: NotRequired[str]
    updated_at: NotRequired[str]
    opt_in_date: NotRequired[str]
    opt_out_source: NotRequired[str]
    opt_out_date: NotRequired[str]
    opt_out_reason: NotRequired[str]
    confirm_status: NotRequired[str]


class PhoneNumberPut(TypedDict, total=False):
    """`PhoneNumberPut`."""

    phone_number: str
    kind: str


class StreetAddressPut(TypedDict):
    """`StreetAddressPut`."""

    kind: Required[str]
    street: NotRequired[str]
    city: NotRequired[str]
    state: NotRequired[str]
    postal_code: NotRequired[str]
    country: NotRequired[str]


class ContactSmsChannelConsents(TypedDict):
    """`ContactSmsChannelConsents`: one SMS consent in a PUT."""

    sms_consent_permission: Required[str]
    consent_type: Required[str]
    consent_medium_details: NotRequired[str]


class ContactSmsChannel(TypedDict):
    """`ContactSmsChannel`: the SMS subresource of a PUT."""

    full_sms_address: Required[str]
    sms_channel_consents: Required[list[ContactSmsChannelConsents]]


class ContactPutRequest(TypedDict):
    """`ContactPutRequest`: the body of `PUT /contacts/{contact_id}`.

    Properties left out are overwritten with null (subresources excepted), so it carries the whole
    contact; `update_source: "Account"` revives a deleted one."""

    update_source: Required[str]
    email_address: NotRequired[EmailAddressPut]
    first_name: NotRequired[str]
    last_name: NotRequired[str]
    job_title: NotRequired[str]
    company_name: NotRequired[str]
    birthday_month: NotRequired[int]
    birthday_day: NotRequired[int]
    anniversary: NotRequired[str]
    custom_fields: NotRequired[list[ContactCustomField]]
    phone_numbers: NotRequired[list[PhoneNumberPut]]
    street_addresses: NotRequired[list[StreetAddressPut]]
    list_memberships: NotRequired[list[str]]
    taggings: NotRequired[list[str]]
    notes: NotRequired[list[Note]]
    sms_channel: NotRequired[ContactSmsChannel]


class Link(TypedDict, total=False):
    """`Link`."""

    href: str


class PagingLinks(TypedDict, total=False):
    """`PagingLinks`: `next` is absent on the last page."""

    next: Link


class Contacts(TypedDict, total=False):
    """`Contacts`: one page of `GET /contacts`; the next page is at `_links.next.href`."""

    contacts: list[ContactResource]
    contacts_count: int
    _links: PagingLinks
    status: str


class ContactDelete(TypedDict, total=False):
    """`ContactDelete`: the body of `POST /activities/contact_delete` (ids or lists, not both)."""

    contact_ids: list[str]
    list_ids: list[str]


class ActivitySelfLink(TypedDict, total=False):
    """An activity's `_links`: where to poll it."""

    self: Link


class ListActivitySource(TypedDict, total=False):
    """The `source` of `ListActivityAddContacts`: which contacts (one property of several,
    mutually exclusive; the client sends `contact_ids`, up to 500)."""

    contact_ids: list[str]


class ListActivityAddContacts(TypedDict):
    """`ListActivityAddContacts`: the body of `POST /activities/add_list_memberships`, which
    also revives deleted contacts (seed 004); up to 50 `list_ids`."""

    source: Required[ListActivitySource]
    list_ids: Required[list[str]]


class ActivityStatusCounts(TypedDict, total=False):
    """`ActivityStatus`: the counts of any activity as polled or listed."""

    items_total_count: int
    items_completed_count: int
    list_count: int


class Activity(TypedDict, total=False):
    """`Activity`: any activity's status, as its creation (`ActivityDeleteStatus`,
    `ActivityListsMembership`), `GET /activities/{activity_id}` and `GET /activities` show it;
    `activity_errors` are free text."""

    activity_id: str
    state: str  # initialized, processing, completed, cancelled, failed, timed_out
    started_at: str
    completed_at: str
    created_at: str
    updated_at: str
    percent_done: int
    activity_errors: list[str]
    status: ActivityStatusCounts
    _links: ActivitySelfLink


class Activities(TypedDict, total=False):
    """`Activities`: `GET /activities`, the account's activities of the past 10 days."""

    activities: list[Activity]
    _links: PagingLinks


class ErrorResponseItem(TypedDict, total=False):
    """One item of an error body: `[{"error_key": ..., "error_message": ...}]`.

    The spec declares no error schema; the shape is Constant Contact's documented one."""

    error_key: str
    error_message: str
