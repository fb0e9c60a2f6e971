"""`make seed`'s people (`devtools/seed_people.py`): always the same, spread as promised, unique
addresses at reserved domains, and a Sequence billing set-up that an archive never refuses."""

from __future__ import annotations

import re
from collections import Counter

from contact_archive.api.schemas import EMAIL_PATTERN
from contact_archive.ledger.models import CONTACT_ID_PATTERN
from devtools.seed_people import CONSTANT_CONTACT_LISTS, DOMAINS, SEQUENCE_CUSTOMERS, people

SPREAD_SAMPLE = 3_000
RESERVED_DOMAINS = ("example.com", "example.org", "example.net")  # RFC 2606


def test_a_person_is_the_same_whatever_the_count_asked_for() -> None:
    # When the first 200 people are asked for, and the first 1,000
    few, many = people(200), people(1_000)

    # Then the first 200 are the same people, with the same ids, in both
    assert many[:200] == few
    assert people(200) == few


def test_every_id_is_unique_and_in_the_shape_its_vendor_uses() -> None:
    # Given 3,000 people
    persons = people(SPREAD_SAMPLE)

    # Then no two share a ledger id or a vendor id, and ids look as the ledger and Intercom want
    contact_ids = [person.contact_id for person in persons]
    vendor_ids = [
        *(person.constant_contact_id for person in persons),
        *(member.contact_id for person in persons for member in person.sequence),
        *(person.routera_id for person in persons if person.routera_id),
        *(person.intercom_id for person in persons if person.intercom_id),
    ]
    assert len(set(contact_ids)) == len(contact_ids) and len(set(vendor_ids)) == len(vendor_ids)
    assert all(re.match(CONTACT_ID_PATTERN, contact_id) for contact_id in contact_ids)
    assert all(
        re.fullmatch(r"[0-9a-f]{24}", person.intercom_id)
        for person in persons
        if person.intercom_id
    )


def test_emails_are_unique_plausible_and_at_reserved_domains_only() -> None:
    # Given 3,000 people
    persons = people(SPREAD_SAMPLE)

    # Then each has an address of their own (however cased) that the API accepts, at every
    # seeded domain and at reserved ones only
    emails = [person.email for person in persons]
    assert len({email.casefold() for email in emails}) == len(emails)
    assert all(re.match(EMAIL_PATTERN, email) for email in emails)
    domains = {email.split("@", 1)[1] for email in emails}
    assert domains == set(DOMAINS)
    assert all(
        any(domain == root or domain.endswith(f".{root}") for root in RESERVED_DOMAINS)
        for domain in domains
    )


def test_the_people_are_spread_over_vendors_lists_and_customers() -> None:
    # Given 3,000 people
    persons = people(SPREAD_SAMPLE)

    # Then everyone in Constant Contact, over every list, some on two
    lists = Counter(list_id for person in persons for list_id in person.constant_contact_lists)
    assert set(lists) == set(CONSTANT_CONTACT_LISTS)
    on_two = sum(len(person.constant_contact_lists) == 2 for person in persons)
    assert 0.10 * SPREAD_SAMPLE < on_two < 0.20 * SPREAD_SAMPLE
    # and a share is in each other vendor; Sequence's over every customer, a few people in two
    in_sequence = sum(bool(person.sequence) for person in persons)
    in_routera = sum(person.routera_id is not None for person in persons)
    in_intercom = sum(person.intercom_id is not None for person in persons)
    for share in (in_sequence, in_routera, in_intercom):
        assert 0.25 * SPREAD_SAMPLE < share < 0.50 * SPREAD_SAMPLE
    customers = Counter(member.customer for person in persons for member in person.sequence)
    assert set(customers) == set(SEQUENCE_CUSTOMERS)
    assert 0 < sum(len(person.sequence) == 2 for person in persons) < 0.05 * SPREAD_SAMPLE
    assert all(
        len({m.customer for m in person.sequence}) == len(person.sequence) for person in persons
    )


def test_each_sequence_customer_has_one_primary_and_no_one_else_receives_billing() -> None:
    # Given 3,000 people
    persons = people(SPREAD_SAMPLE)

    # Then each customer has one PRIMARY contact and the others receive no billing, so that
    # archiving a whole customer is never refused for its last PRIMARY contact
    billing = Counter(
        (member.customer, member.billing_preference)
        for person in persons
        for member in person.sequence
    )
    for customer in SEQUENCE_CUSTOMERS:
        assert billing[customer, "PRIMARY"] == 1, customer
    assert {preference for _, preference in billing} == {"PRIMARY", "NONE"}


def test_links_name_every_vendor_contact_of_the_person() -> None:
    # Given a person in two Sequence customers and in Routera
    person = next(p for p in people(SPREAD_SAMPLE) if len(p.sequence) == 2 and p.routera_id)

    # When their links are written as `PUT /contacts/{id}` takes them
    links = person.links()

    # Then each vendor contact is one link, Sequence's scoped by customer
    assert {link["vendor"] for link in links} >= {"constant_contact", "sequence", "routera"}
    assert sorted(link["scope"] for link in links if link["vendor"] == "sequence") == sorted(
        member.customer for member in person.sequence
    )
