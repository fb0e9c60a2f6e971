"""The sandbox servers' back door: `POST /__sandbox__/contacts` puts many contacts in a sandbox at
once, for `make seed`. No vendor has it and no vendor client calls it.

Seeding through the vendors' own APIs would spend what is meant for the product's calls (Constant
Contact's 10,000 requests a day, its 4 a second, Sequence's 1,500 a minute) and would be held to
their one-at-a-time creates. Through here a seed is no vendor request at all: it is not in the
sandbox's request log, counts toward no quota or rate limit, draws no injected fault and no
`effects`. Only the loopback servers (`server.py`) answer it, and only to loopback clients.

Body: `{"contacts": [{"id", "email", "first_name", "last_name", "scope"?, "list_ids"?,
"billing_preference"?}, ...]}` (at most `MAX_CONTACTS`), the same shape for every vendor: `scope`
is the Sequence customer (required there), `list_ids` the Constant Contact lists,
`billing_preference` Sequence's (`NONE` unless given). Each contact keeps the `id` it is given, so
a second seed of the same ids adds nothing: a contact already there is left as it is (archived or
changed since), and counted as `existing`. Answers `{"created", "existing"}`, or 400
`{"message"}`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from devtools.sandboxes.base import Sandbox, json_response
from devtools.sandboxes.constant_contact import ConstantContactSandbox
from devtools.sandboxes.intercom import IntercomSandbox
from devtools.sandboxes.routera import RouteraSandbox
from devtools.sandboxes.sequence import SequenceSandbox
from devtools.sandboxes.sequence_rules import BILLING_PREFERENCES

PREFIX = "/__sandbox__/"
CONTACTS_PATH = PREFIX + "contacts"
MAX_CONTACTS = 5_000  # per request: a few MB of JSON at most


class SeedRefused(ValueError):
    """A seed request the back door cannot carry out; its message names the field, no value."""


@dataclass(frozen=True)
class SeedContact:
    """One contact to seed, in the back door's vendor-neutral shape."""

    id: str
    email: str
    first_name: str
    last_name: str
    scope: str | None = None
    list_ids: tuple[str, ...] = ()
    billing_preference: str = "NONE"

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def answer(sandbox: Sandbox, method: str, path: str, body: bytes) -> httpx.Response:
    """The back door's answer to one request under `PREFIX`."""
    if path.split("?", 1)[0] != CONTACTS_PATH:
        return json_response(404, {"message": f"the sandbox back door has no {path}"})
    if method != "POST":
        return json_response(405, {"message": f"{CONTACTS_PATH} takes POST"}, {"Allow": "POST"})
    try:
        contacts = parse_contacts(body)
        created = seed(sandbox, contacts)
    except SeedRefused as refused:
        return json_response(400, {"message": str(refused)})
    return json_response(200, {"created": created, "existing": len(contacts) - created})


def parse_contacts(body: bytes) -> list[SeedContact]:
    try:
        document = json.loads(body or b"null")
    except ValueError:
        raise SeedRefused("the body is not JSON") from None
    raw = document.get("contacts") if isinstance(document, dict) else None
    if not isinstance(raw, list) or not raw:
        raise SeedRefused('the body must be {"contacts": [...]} with at least one contact')
    if len(raw) > MAX_CONTACTS:
        raise SeedRefused(f"at most {MAX_CONTACTS} contacts a request")
    return [_contact(position, item) for position, item in enumerate(raw)]


def _contact(position: int, item: Any) -> SeedContact:
    where = f"contacts[{position}]"
    if not isinstance(item, dict):
        raise SeedRefused(f"{where} must be an object")
    strings = {}
    for name in ("id", "email", "first_name", "last_name"):
        value = item.get(name)
        if not isinstance(value, str) or not value:
            raise SeedRefused(f"{where}.{name} must be a non-empty string")
        strings[name] = value
    scope = item.get("scope")
    if scope is not None and (not isinstance(scope, str) or not scope):
        raise SeedRefused(f"{where}.scope must be a non-empty string")
    list_ids = item.get("list_ids", [])
    if not isinstance(list_ids, list) or not all(isinstance(i, str) and i for i in list_ids):
        raise SeedRefused(f"{where}.list_ids must be a list of ids")
    billing = item.get("billing_preference", "NONE")
    if billing not in BILLING_PREFERENCES:
        raise SeedRefused(
            f"{where}.billing_preference must be one of {sorted(BILLING_PREFERENCES)}"
        )
    return SeedContact(**strings, scope=scope, list_ids=tuple(list_ids), billing_preference=billing)


def seed(sandbox: Sandbox, contacts: list[SeedContact]) -> int:
    """Put `contacts` in `sandbox` (the ones not there yet); how many were created."""
    if isinstance(sandbox, SequenceSandbox):
        return _seed_sequence(sandbox, contacts)
    if isinstance(sandbox, RouteraSandbox):
        return _seed_routera(sandbox, contacts)
    if isinstance(sandbox, IntercomSandbox):
        return _seed_intercom(sandbox, contacts)
    if isinstance(sandbox, ConstantContactSandbox):
        return _seed_constant_contact(sandbox, contacts)
    raise SeedRefused(f"{type(sandbox).__name__} has no back door")


def _seed_sequence(sandbox: SequenceSandbox, contacts: list[SeedContact]) -> int:
    customers = [contact.scope for contact in contacts]
    if None in customers:  # refused before any is added
        raise SeedRefused("a Sequence contact needs its customer as `scope`")
    created = 0
    for contact, customer in zip(contacts, customers, strict=True):
        if customer is not None and sandbox.contact(customer, contact.id) is None:
            sandbox.add_contact(
                customer,
                id=contact.id,
                name=contact.name,
                email=contact.email,
                billingPreference=contact.billing_preference,
            )
            created += 1
    return created


def _seed_routera(sandbox: RouteraSandbox, contacts: list[SeedContact]) -> int:
    created = 0
    for contact in contacts:
        if sandbox.contact(contact.id) is None:
            sandbox.add_contact(
                id=contact.id,
                email=contact.email,
                first_name=contact.first_name,
                last_name=contact.last_name,
            )
            created += 1
    return created


def _seed_intercom(sandbox: IntercomSandbox, contacts: list[SeedContact]) -> int:
    created = 0
    for contact in contacts:
        if sandbox.contact(contact.id) is None:
            sandbox.add_contact(id=contact.id, role="user", email=contact.email, name=contact.name)
            created += 1
    return created


def _seed_constant_contact(sandbox: ConstantContactSandbox, contacts: list[SeedContact]) -> int:
    created = 0
    for contact in contacts:
        if sandbox.contact(contact.id) is None:
            sandbox.add_contact(
                contact_id=contact.id,
                email=contact.email,
                first_name=contact.first_name,
                last_name=contact.last_name,
                list_ids=list(contact.list_ids),
            )
            created += 1
    return created
