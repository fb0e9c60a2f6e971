"""Constant Contact's bulk activities as pure functions: their bodies within the spec's limits,
how many contacts are split into activities, and what an activity's free-text errors say of
each contact (`vendor-specs/constant-contact-v3-bulk-activities.yml`).

A bulk delete keeps the contact (`deleted_at`) with every field but its lists, and adding a
deleted contact to lists revives it (seed 004): so the material a bulk archive keeps is the
contact's list ids, and a bulk revive is `add_list_memberships` onto them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from contact_archive.vendors.constant_contact.mapper import BULK_DELETE_LIMIT
from contact_archive.vendors.constant_contact.types import ContactResource, ListActivityAddContacts

CONTACTS_PER_ACTIVITY = BULK_DELETE_LIMIT  # `contact_ids` maxItems, to delete or add to lists
LISTS_PER_ACTIVITY = 50  # `ListActivityAddContacts.list_ids` maxItems
FINISHED = frozenset({"completed", "failed", "cancelled", "timed_out"})
# The restore material of a contact found deleted already: its lists went with the delete
# (as `mapper.snapshot` marks a contact deleted before its snapshot was taken).
LISTS_UNKNOWN: Mapping[str, Any] = MappingProxyType({"lists_unknown": True})
_WORDS = re.compile(r"[\w-]+")  # an id as a whole word (ids are UUIDs: letters, digits, dashes)


@dataclass(frozen=True)
class Planned:
    """One activity to create: its contacts and, for an add to lists, the lists."""

    contact_ids: tuple[str, ...]
    list_ids: tuple[str, ...] = ()


def material_of(contact: ContactResource) -> dict[str, Any]:
    """What `restore_bulk` needs of a contact about to be deleted: its list ids (the rest of it
    stays in Constant Contact's deleted contact). Read with `include=list_memberships`."""
    lists = contact.get("list_memberships")
    if lists is None:
        raise ValueError("constant_contact: the contact was read without its list memberships")
    return {"list_memberships": list(lists)}


def add_lists_body(planned: Planned) -> ListActivityAddContacts:
    """`POST /activities/add_list_memberships`: `source.contact_ids` onto `list_ids`."""
    _check_size(planned.contact_ids, CONTACTS_PER_ACTIVITY, "source.contact_ids")
    _check_size(planned.list_ids, LISTS_PER_ACTIVITY, "list_ids")
    return {
        "source": {"contact_ids": list(planned.contact_ids)},
        "list_ids": list(planned.list_ids),
    }


def delete_plan(contact_ids: Sequence[str]) -> list[Planned]:
    """One activity per 500 contacts (`mapper.bulk_delete_body` is each one's body)."""
    return [Planned(chunk) for chunk in chunked(contact_ids, CONTACTS_PER_ACTIVITY)]


def revive_plan(lists_of: Mapping[str, Sequence[str]]) -> list[Planned]:
    """Activities that put each contact on exactly its lists (at most 50 each), the fewer of two
    ways: contacts grouped by their whole list set (one activity per set and 500 contacts), or
    list by list, lists with the same members together (better when sets are many and lists
    few). Adding is a union, so a contact spread over several activities ends on all its lists.
    Order follows `lists_of`, so that the same call plans the same activities."""
    by_set = _plan_by_set(lists_of)
    by_list = _plan_by_list(lists_of)
    return by_list if len(by_list) < len(by_set) else by_set


def attribute_errors(
    errors: Iterable[str], contact_ids: Iterable[str]
) -> tuple[dict[str, str], list[str]]:
    """Each `activity_errors` text given to the contact whose id it names, and those naming
    none. The texts' form is not documented ("Message describing the error condition"): an
    error is only ever tied to a contact whose id it quotes, as a whole word."""
    ids = frozenset(contact_ids)
    named: dict[str, str] = {}
    unnamed: list[str] = []
    for text in errors:
        quoted = [word for word in _WORDS.findall(text) if word in ids]
        if quoted:
            named.update(dict.fromkeys(quoted, text))
        else:
            unnamed.append(text)
    return named, unnamed


def says_not_found(text: str) -> bool:
    return "not found" in text.lower() or "does not exist" in text.lower()


def chunked[T](items: Sequence[T], size: int) -> Iterator[tuple[T, ...]]:
    for start in range(0, len(items), size):
        yield tuple(items[start : start + size])


def _plan_by_set(lists_of: Mapping[str, Sequence[str]]) -> list[Planned]:
    groups: dict[tuple[str, ...], list[str]] = {}
    for contact_id, lists in lists_of.items():
        groups.setdefault(tuple(dict.fromkeys(lists)), []).append(contact_id)
    return [
        Planned(chunk, list_chunk)
        for lists, members in groups.items()
        for list_chunk in chunked(lists, LISTS_PER_ACTIVITY)
        for chunk in chunked(members, CONTACTS_PER_ACTIVITY)
    ]


def _plan_by_list(lists_of: Mapping[str, Sequence[str]]) -> list[Planned]:
    members: dict[str, list[str]] = {}
    for contact_id, lists in lists_of.items():
        for list_id in dict.fromkeys(lists):
            members.setdefault(list_id, []).append(contact_id)
    together: dict[tuple[str, ...], list[str]] = {}
    for list_id, contact_ids in members.items():
        together.setdefault(tuple(contact_ids), []).append(list_id)
    return [
        Planned(chunk, list_chunk)
        for contact_ids, lists in together.items()
        for list_chunk in chunked(lists, LISTS_PER_ACTIVITY)
        for chunk in chunked(contact_ids, CONTACTS_PER_ACTIVITY)
    ]


def _check_size(items: Sequence[str], limit: int, name: str) -> None:
    if not items:
        raise ValueError(f"constant_contact: an activity needs at least one of {name}")
    if len(items) > limit:
        raise ValueError(
            f"constant_contact: an activity takes at most {limit} {name}, got {len(items)}"
        )
