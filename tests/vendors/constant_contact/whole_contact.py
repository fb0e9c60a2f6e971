"""A Constant Contact contact holding every field, and how the restore tests compare one before
and after: read raw through the API, flattened to paths, server-set paths left out by name."""

from __future__ import annotations

import re
from typing import Any

import httpx

from contact_archive.vendors.client import LinkRef
from contact_archive.vendors.constant_contact.client import SNAPSHOT_INCLUDE
from tests.support import flat

EARLIER = "2025-06-01T09:30:00+00:00"
# What Constant Contact sets itself, on every write or for every subresource written: left out of
# the comparison by name (a revive is the same record, so `contact_id` and `created_at` stay).
SERVER_SET = frozenset(
    {
        "updated_at",
        "email_address.updated_at",
        "phone_numbers[*].phone_number_id",
        "phone_numbers[*].created_at",
        "phone_numbers[*].updated_at",
        "phone_numbers[*].create_source",
        "phone_numbers[*].update_source",
        "street_addresses[*].street_address_id",
        "street_addresses[*].created_at",
        "street_addresses[*].updated_at",
    }
)
ABSENT = "<absent>"


def every_field(**email: Any) -> dict[str, Any]:
    """Every property of a contact a PUT can write (`ContactPutRequest`), and the read-only ones
    a contact has beside them: an email with its consent history, a name, a job, a company, a
    birthday, an anniversary, custom fields (a value, choices), three phone numbers, two
    addresses, lists, a tag, a note and an SMS number with explicit consent."""
    return {
        "email_address": {
            "address": "rae@example.com",
            "permission_to_send": "explicit",
            "created_at": EARLIER,
            "updated_at": EARLIER,
            "opt_in_source": "Contact",
            "opt_in_date": EARLIER,
            "confirm_status": "confirmed",
            **email,
        },
        "first_name": "Rae",
        "last_name": "Vive",
        "job_title": "Poet",
        "company_name": "Acme Corp.",
        "birthday_month": 11,
        "birthday_day": 24,
        "anniversary": "2006-11-15",
        "update_source": "Contact",
        "create_source": "Contact",
        "custom_fields": [
            {"custom_field_id": "1618ae62-4752-11e9-9c8a-fa163e6b01c1", "value": "Tesla S 2017"},
            {
                "custom_field_id": "2718ae62-4752-11e9-9c8a-fa163e6b01c1",
                "choice_ids": ["000001", "000003"],
            },
        ],
        "phone_numbers": [
            {
                "phone_number_id": f"6eec28a6-1cf5-11ea-859f-fa163e56c9b{index}",
                "phone_number": f"+1-555-555-000{index}",
                "kind": kind,
                "created_at": EARLIER,
                "updated_at": EARLIER,
                "update_source": "Contact",
                "create_source": "Contact",
            }
            for index, kind in enumerate(("home", "work", "mobile"))
        ],
        "street_addresses": [
            {
                "street_address_id": "977a9a2e-3e00-11ea-804b-fa163e56c9b0",
                "kind": "home",
                "street": "123 Kashmir Valley Road",
                "city": "Chicago",
                "state": "Illinois",
                "postal_code": "60609",
                "country": "United States",
                "created_at": EARLIER,
                "updated_at": EARLIER,
            },
            {"street_address_id": "977a9a2e-3e00-11ea-804b-fa163e56c9b1", "kind": "work"},
        ],
        "taggings": ["e7ddac60-51da-11eb-b3a4-fa163e6b01c1"],
        "notes": [
            {
                "note_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                "created_at": "2021-05-12T13:48:44.108Z",
                "content": "Met at the fair.",
            }
        ],
        "sms_channel": {
            "sms_channel_id": "3fa85f64-5712-6245-b3fc-2c963f66bfc6",
            "sms_address": "7815551212",
            "dial_code": "1",
            "country_code": "US",
            "update_source": "Contact",
            "create_source": "Contact",
            "sms_channel_consents": [
                {
                    "sms_consent_permission": "explicit",
                    "consent_type": "promotional_sms",
                    "opt_in_date": EARLIER,
                    "created_at": EARLIER,
                    "updated_at": EARLIER,
                }
            ],
        },
    }


def raw(http: httpx.Client, ref: LinkRef) -> dict[str, Any]:
    """The contact as the API shows it, with every subresource."""
    response = http.get(f"/contacts/{ref.vendor_id}", params={"include": SNAPSHOT_INCLUDE})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def changed(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    """The paths whose value differs, but for those Constant Contact sets itself."""
    flat_before, flat_after = flat(before), flat(after)
    return {
        path
        for path in flat_before.keys() | flat_after.keys()
        if re.sub(r"\[\d+\]", "[*]", path) not in SERVER_SET
        and flat_before.get(path, ABSENT) != flat_after.get(path, ABSENT)
    }
