"""The people `make seed` puts in the local stack: made up, plausible, and always the same.

Person `n` is drawn from a generator seeded with `n` alone, so the first 300 people are the same
whether 300 or 10,000 are asked for: seeding more later adds people, it never changes the ones
already there. Every id (the ledger's contact id, each vendor's contact id) is derived from the
person's number, so seeding again names the same contacts and adds nothing twice.

The spread, as a small company's tools hold their contacts:
- Constant Contact: everyone, on one of several lists (a few lists hold most people), some on two;
- Sequence (billing): about a third, each a contact of one of several customers (a few people of
  two), the first contact of each customer its PRIMARY billing contact, the others `NONE`, so
  that archiving a whole customer is never refused for its last PRIMARY contact;
- Routera (routing) about a third, Intercom (support) about two in five.
Emails are at reserved example domains only (RFC 2606).
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

SEED = "contact-archive-seed-v1"
CONTACT_ID_PREFIX = "seed-"
_IDS = uuid.uuid5(uuid.NAMESPACE_URL, "https://contact-archive.example/seed")

# Constant Contact lists (their ids are the vendor's UUIDs): name, share of people on it first.
CONSTANT_CONTACT_LISTS: dict[str, tuple[str, float]] = {
    str(uuid.uuid5(_IDS, f"list:{name}")): (name, weight)
    for name, weight in (
        ("Newsletter", 0.40),
        ("Customers", 0.22),
        ("Trial users", 0.14),
        ("Webinar attendees", 0.10),
        ("Partners", 0.08),
        ("Events 2025", 0.06),
    )
}
SECOND_LIST_SHARE = 0.15

# Sequence customers (ids as the local stack names them) and their share of Sequence's people.
SEQUENCE_CUSTOMERS: dict[str, float] = {
    "acme-corp": 0.24,
    "globex": 0.18,
    "initech": 0.14,
    "umbrella-health": 0.12,
    "hooli": 0.10,
    "stark-industries": 0.09,
    "wayne-enterprises": 0.08,
    "tyrell-labs": 0.05,
}
SEQUENCE_SHARE = 0.32
SECOND_CUSTOMER_SHARE = 0.05  # of Sequence's people
ROUTERA_SHARE = 0.35
INTERCOM_SHARE = 0.40


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


DOMAINS: dict[str, float] = {
    "example.com": 0.45,
    "example.org": 0.25,
    "example.net": 0.15,
    "mail.example.com": 0.10,
    "eu.example.org": 0.05,
}
FIRST_NAMES = _names(
    "Aarav Abigail Adaeze Aiko Alejandro Amara Amelia Anders Ananya Aoife Arjun Astrid "
    "Ayesha Beatriz Benjamin Bilal Camille Carlos Chen Chiara Chloe Daniel Dmitri Eleanor "
    "Elif Elijah Emeka Emma Esperanza Ethan Fatima Felix Freya Gabriel Hannah Haruto Hugo "
    "Ibrahim Ingrid Isabel Isaac Jamal Javier Jia Jonas Julia Kai Kalinda Kenji Kofi Laila "
    "Lars Leila Liam Lucia Luis Maeve Malik Maria Mateo Maya Mei Mohammed Nadia Naomi "
    "Nikolai Noah Nora Olga Oliver Omar Priya Rafael Rania Ravi Rosa Ruth Samuel Santiago "
    "Sara Sebastian Sofia Soo-ah Tariq Thandiwe Theo Tomas Valentina Victor Wei Yara Yusuf "
    "Zainab Zoe"
)
LAST_NAMES = _names(
    "Abadi Adeyemi Alvarez Andersen Bakker Banerjee Bianchi Brennan Castillo Chen Costa Dahl "
    "Das Dubois Eriksson Fernandes Fischer Garcia Gonzalez Gupta Haddad Hansen Hernandez "
    "Hoang Ibrahim Ivanova Jansen Johnson Kaur Kim Kowalski Kruger Larsen Laurent Lee "
    "Lindqvist Lopez Mahlangu Martin Mbeki Mehta Moreau Muller Murphy Nakamura Nguyen Novak "
    "Obi Okafor Olsen Ortiz Park Patel Petrov Popescu Quinn Rahman Reyes Rossi Russo Sato "
    "Schmidt Silva Singh Smith Sorensen Suzuki Tanaka Taylor Thompson Torres Tran Varga "
    "Visser Wagner Walsh Wang Weber Williams Wilson Wong Yamamoto Yilmaz Young Zhang "
    "Zielinski"
)


@dataclass(frozen=True)
class SequenceMembership:
    customer: str
    contact_id: str
    billing_preference: str  # PRIMARY for a customer's first contact, else NONE


@dataclass(frozen=True)
class Person:
    number: int
    contact_id: str
    first_name: str
    last_name: str
    email: str
    constant_contact_id: str
    constant_contact_lists: tuple[str, ...]
    sequence: tuple[SequenceMembership, ...]
    routera_id: str | None
    intercom_id: str | None

    def links(self) -> list[dict[str, Any]]:
        """The person's vendor links, as `PUT /contacts/{id}` takes them."""
        links: list[dict[str, Any]] = [
            {"vendor": "constant_contact", "vendor_id": self.constant_contact_id}
        ]
        links += [
            {"vendor": "sequence", "vendor_id": member.contact_id, "scope": member.customer}
            for member in self.sequence
        ]
        if self.routera_id:
            links.append({"vendor": "routera", "vendor_id": self.routera_id})
        if self.intercom_id:
            links.append({"vendor": "intercom", "vendor_id": self.intercom_id})
        return links


def people(count: int) -> list[Person]:
    """The first `count` people."""
    if count < 0:
        raise ValueError("count must not be negative")
    return list(_generate(count))


def _generate(count: int) -> Iterator[Person]:
    emails_taken: Counter[str] = Counter()
    customers_with_primary: set[str] = set()
    for number in range(1, count + 1):
        draw = random.Random(f"{SEED}:{number}")  # noqa: S311 - made-up people, not secrets
        first, last = draw.choice(FIRST_NAMES), draw.choice(LAST_NAMES)
        email = _email(draw, first, last, emails_taken)
        lists = _constant_contact_lists(draw)
        customers: list[str] = []
        if draw.random() < SEQUENCE_SHARE:
            customers.append(_weighted(draw, SEQUENCE_CUSTOMERS))
            if draw.random() < SECOND_CUSTOMER_SHARE:
                others = {c: w for c, w in SEQUENCE_CUSTOMERS.items() if c != customers[0]}
                customers.append(_weighted(draw, others))
        in_routera = draw.random() < ROUTERA_SHARE
        in_intercom = draw.random() < INTERCOM_SHARE
        memberships = []
        for customer in customers:
            primary = customer not in customers_with_primary
            customers_with_primary.add(customer)
            memberships.append(
                SequenceMembership(
                    customer=customer,
                    contact_id=_uuid(f"sequence:{customer}:{number}"),
                    billing_preference="PRIMARY" if primary else "NONE",
                )
            )
        yield Person(
            number=number,
            contact_id=f"{CONTACT_ID_PREFIX}{number:06d}",
            first_name=first,
            last_name=last,
            email=email,
            constant_contact_id=_uuid(f"constant_contact:{number}"),
            constant_contact_lists=lists,
            sequence=tuple(memberships),
            routera_id=_uuid(f"routera:{number}") if in_routera else None,
            intercom_id=_intercom_id(number) if in_intercom else None,
        )


def _email(draw: random.Random, first: str, last: str, taken: Counter[str]) -> str:
    """A work-like address; a number is added when someone already has it (names hold no digits,
    so a numbered address is never anyone's plain one)."""
    first_part = first.lower().replace("-", "")
    last_part = last.lower().replace(" ", "")
    local = draw.choice(
        (
            f"{first_part}.{last_part}",
            f"{first_part}.{last_part}",
            f"{first_part[0]}{last_part}",
            f"{first_part}_{last_part}",
            f"{first_part}{last_part[0]}",
        )
    )
    domain = _weighted(draw, DOMAINS)
    address = f"{local}@{domain}"
    taken[address] += 1
    if taken[address] > 1:
        address = f"{local}{taken[address]}@{domain}"
    return address


def _constant_contact_lists(draw: random.Random) -> tuple[str, ...]:
    weights = {list_id: weight for list_id, (_, weight) in CONSTANT_CONTACT_LISTS.items()}
    first = _weighted(draw, weights)
    if draw.random() >= SECOND_LIST_SHARE:
        return (first,)
    del weights[first]
    return (first, _weighted(draw, weights))


def _weighted(draw: random.Random, weights: dict[str, float]) -> str:
    return draw.choices(list(weights), weights=list(weights.values()))[0]


def _uuid(name: str) -> str:
    return str(uuid.uuid5(_IDS, name))


def _intercom_id(number: int) -> str:
    """24 hex digits, as Intercom's ids look."""
    return hashlib.sha256(f"{SEED}:intercom:{number}".encode()).hexdigest()[:24]
