"""What Constant Contact's `PUT /contacts/{contact_id}` accepts, and what it does to consent.

The limits are `ContactPutRequest`'s in `vendor-specs/constant-contact-v3-contacts.yml`: every
`maxLength` and `maxItems`, the `required` keys, and the values its descriptions list as the only
valid ones (`kind`, `update_source`, `permission_to_send`, birthday ranges, anniversary formats).
A property the spec marks `readOnly` (opt-in and opt-out dates, `confirm_status`, ...) is refused:
Swagger 2.0 says it MUST NOT be sent, and how the vendor answers one is not documented, so the
sandbox makes a client that sends one fail loudly rather than think it wrote consent history.
Messages name the field, never its value (it may be personal data).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PERMISSIONS = frozenset(
    {"explicit", "implicit", "not_set", "pending_confirmation", "temp_hold", "unsubscribed"}
)
# Permission the account has to send: what an opt-in gives, as opposed to an opt-out.
GRANTING = frozenset({"explicit", "implicit"})
MAX_LISTS_PER_CONTACT = 50  # `list_memberships` maxItems; "each contact ... up to 50 lists"
# The anniversary formats the PUT's description lists: M/D/YYYY, YYYY/M/D, YYYY-M-D, M-D-YYYY.
_ANNIVERSARY = re.compile(
    r"\d{1,2}/\d{1,2}/\d{4}|\d{4}/\d{1,2}/\d{1,2}|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}-\d{1,2}-\d{4}"
)


@dataclass(frozen=True)
class Text:
    """A string: its `maxLength`, the only values its description allows, a format."""

    max_length: int | None = None
    choices: frozenset[str] | None = None
    pattern: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Whole:
    """An integer within the range its description gives."""

    low: int
    high: int


@dataclass(frozen=True)
class Items:
    """An array of `of`, up to its `maxItems`."""

    of: Rule
    max_items: int | None = None


@dataclass(frozen=True)
class Shape:
    """An object: its properties, those required, and those the spec marks read-only."""

    fields: Mapping[str, Rule]
    required: frozenset[str] = frozenset()
    read_only: frozenset[str] = frozenset()  # declared, but refused in a request
    together: frozenset[str] = frozenset()  # all or none (birthday month and day)


type Rule = Text | Whole | Items | Shape

_NAME = Text(max_length=50)
_ID = Text()
CONTACT_PUT = Shape(
    {
        "update_source": Text(choices=frozenset({"Contact", "Account"})),
        "email_address": Shape(
            {
                "address": Text(max_length=80),
                "permission_to_send": Text(choices=PERMISSIONS),
                "opt_out_reason": Text(max_length=255),
            },
            required=frozenset({"address"}),
            read_only=frozenset(
                {
                    "created_at",
                    "updated_at",
                    "opt_in_date",
                    "opt_out_source",
                    "opt_out_date",
                    "confirm_status",
                }
            ),
        ),
        "first_name": _NAME,
        "last_name": _NAME,
        "job_title": _NAME,
        "company_name": _NAME,
        "birthday_month": Whole(1, 12),
        "birthday_day": Whole(1, 31),
        "anniversary": Text(max_length=10, pattern=_ANNIVERSARY),
        "custom_fields": Items(
            Shape(
                {"custom_field_id": _ID, "value": Text(max_length=255), "choice_ids": Items(_ID)},
                required=frozenset({"custom_field_id"}),
            ),
            max_items=25,
        ),
        "phone_numbers": Items(
            Shape(
                {
                    "phone_number": Text(max_length=25),
                    "kind": Text(choices=frozenset({"home", "work", "mobile", "other"})),
                }
            ),
            max_items=3,
        ),
        "street_addresses": Items(
            Shape(
                {
                    "kind": Text(choices=frozenset({"home", "work", "other"})),
                    "street": Text(max_length=255),
                    "city": _NAME,
                    "state": _NAME,
                    "postal_code": _NAME,
                    "country": _NAME,
                },
                required=frozenset({"kind"}),
            ),
            max_items=3,
        ),
        "list_memberships": Items(_ID, max_items=MAX_LISTS_PER_CONTACT),
        "taggings": Items(_ID, max_items=50),
        "notes": Items(
            Shape({"note_id": _ID, "created_at": _ID, "content": Text(max_length=2000)}),
            max_items=150,
        ),
        "sms_channel": Shape(
            {
                "full_sms_address": _ID,
                "sms_channel_consents": Items(
                    Shape(
                        {
                            "sms_consent_permission": _ID,
                            "consent_type": _ID,
                            "consent_medium_details": _ID,
                        },
                        required=frozenset({"sms_consent_permission", "consent_type"}),
                    )
                ),
            },
            required=frozenset({"full_sms_address", "sms_channel_consents"}),
        ),
    },
    required=frozenset({"update_source"}),
    together=frozenset({"birthday_month", "birthday_day"}),
)
# The properties a PUT overwrites with null when left out; subresources are kept instead.
SUBRESOURCES = (
    "custom_fields",
    "list_memberships",
    "phone_numbers",
    "street_addresses",
    "taggings",
    "notes",
)


def refusal(value: Any, rule: Rule = CONTACT_PUT, at: str = "body") -> str | None:
    """Why the vendor answers 400 to `value` (the first problem found), or None."""
    match rule:
        case Text():
            return _text_refusal(value, rule, at)
        case Whole():
            if isinstance(value, bool) or not isinstance(value, int):
                return f"{at} must be an integer"
            if not rule.low <= value <= rule.high:
                return f"{at} must be from {rule.low} to {rule.high}"
            return None
        case Items():
            if not isinstance(value, list):
                return f"{at} must be an array"
            if rule.max_items is not None and len(value) > rule.max_items:
                return f"{at} takes at most {rule.max_items} items"
            for index, item in enumerate(value):
                if problem := refusal(item, rule.of, f"{at}[{index}]"):
                    return problem
            return None
        case Shape():
            return _shape_refusal(value, rule, at)


def _text_refusal(value: Any, rule: Text, at: str) -> str | None:
    if not isinstance(value, str):
        return f"{at} must be a string"
    if rule.max_length is not None and len(value) > rule.max_length:
        return f"{at} is longer than {rule.max_length} characters"
    if rule.choices is not None and value not in rule.choices:
        return f"{at} must be one of {', '.join(sorted(rule.choices))}"
    if rule.pattern is not None and not rule.pattern.fullmatch(value):
        return f"{at} is not in an accepted format"
    return None


def _shape_refusal(value: Any, rule: Shape, at: str) -> str | None:
    if not isinstance(value, dict):
        return f"{at} must be an object"
    name = at.removeprefix("body").lstrip(".")
    prefix = f"{name}." if name else ""
    for key in sorted(value):
        if key in rule.read_only:
            return f"{prefix}{key} is read-only"
        if key not in rule.fields:
            return f"{prefix}{key} is not a property of this request"
    missing = sorted(rule.required - set(value))
    if missing:
        return f"{prefix}{missing[0]} is required"
    present = rule.together & set(value)
    if present and present != rule.together:
        return f"{' and '.join(f'{prefix}{key}' for key in sorted(rule.together))} go together"
    for key, item in value.items():
        if problem := refusal(item, rule.fields[key], f"{prefix}{key}"):
            return problem
    return None


# -- what a PUT writes --------------------------------------------------------------------------


def email_after_put(stored: Mapping[str, Any], sent: Mapping[str, Any], now: str) -> dict[str, Any]:
    """The email address after a PUT: the sent properties over the stored ones.

    The spec warns that a PUT setting `permission_to_send` opts the contact in (or out) whether or
    not the person asked; its system-generated history follows, as the account's doing (not
    documented how exactly: an opt-in dates `opt_in_date` now with `opt_in_source: Account` and
    clears the opt-out; an opt-out dates `opt_out_date` now with `opt_out_source: Account`).
    The same permission sent again changes nothing."""
    email = {**stored, **sent, "updated_at": now}
    before, after = stored.get("permission_to_send"), sent.get("permission_to_send")
    if after is None or after == before:
        return email
    if after in GRANTING:
        email.update(opt_in_date=now, opt_in_source="Account")
        email.pop("opt_out_date", None)
        email.pop("opt_out_source", None)
    elif after == "unsubscribed":
        email.update(opt_out_date=now, opt_out_source="Account")
    return email


def sms_after_put(
    stored: Mapping[str, Any] | None, sent: Mapping[str, Any], now: str
) -> dict[str, Any]:
    """The SMS channel (read shape) after a PUT sent one (`ContactSmsChannel`): the number split
    by the stored dial code when it still starts with it, and each consent as sent, dated now when
    it changed (a new `explicit` consent is an opt-in by the account, as for email)."""
    full = str(sent["full_sms_address"])
    dial_code = (stored or {}).get("dial_code") or ""
    same_number = bool(dial_code) and full.startswith(dial_code)
    channel: dict[str, Any] = {
        "sms_channel_id": (stored or {}).get("sms_channel_id") or str(uuid.uuid4()),
        "sms_address": full[len(dial_code) :] if same_number else full,
        "update_source": "Account",
        "create_source": (stored or {}).get("create_source", "Account"),
    }
    if same_number:
        channel["dial_code"] = dial_code
        if (stored or {}).get("country_code"):
            channel["country_code"] = (stored or {})["country_code"]
    previous = {
        consent.get("consent_type"): consent
        for consent in (stored or {}).get("sms_channel_consents", [])
    }
    consents = []
    for consent in sent["sms_channel_consents"]:
        kept = dict(previous.get(consent["consent_type"], {}))
        permission = consent["sms_consent_permission"]
        if kept.get("sms_consent_permission") != permission:
            kept.update(updated_at=now)
            kept.setdefault("created_at", now)
            if permission == "explicit":
                kept["opt_in_date"] = now
            elif permission == "unsubscribed":
                kept["opt_out_date"] = now
        kept.update(sms_consent_permission=permission, consent_type=consent["consent_type"])
        consents.append(kept)
    channel["sms_channel_consents"] = consents
    return channel


def phone_numbers_after_put(sent: list[dict[str, Any]], source: str, now: str) -> list[Any]:
    """Phone numbers written by a PUT get ids, dates and sources of their own (not documented
    whether an identical number keeps its id: the sandbox gives every one a new id)."""
    return [
        {
            "phone_number_id": str(uuid.uuid4()),
            **phone,
            "created_at": now,
            "updated_at": now,
            "update_source": source,
            "create_source": source,
        }
        for phone in sent
    ]


def street_addresses_after_put(sent: list[dict[str, Any]], now: str) -> list[Any]:
    """Street addresses written by a PUT get new ids and dates, as phone numbers do."""
    return [
        {"street_address_id": str(uuid.uuid4()), **address, "created_at": now, "updated_at": now}
        for address in sent
    ]
