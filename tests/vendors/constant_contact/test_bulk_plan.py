"""The pure side of Constant Contact's bulk activities: how many contacts are split into
activities within the spec's limits, and what an activity's free-text errors say of whom."""

from __future__ import annotations

from typing import Any

import pytest

from contact_archive.vendors.constant_contact import activities
from contact_archive.vendors.constant_contact.activities import Planned
from contact_archive.vendors.constant_contact.types import ContactResource
from tests.vendors.recorded import load_spec, resolve

LISTS = [f"07936f78-662a-11eb-af0a-{index:012d}" for index in range(60)]


@pytest.fixture(scope="module")
def add_lists_schema() -> dict[str, Any]:
    spec = load_spec("constant-contact-v3-bulk-activities.yml")
    schema: dict[str, Any] = resolve(spec, spec["definitions"]["ListActivityAddContacts"])
    return schema


def test_contacts_sharing_a_list_set_are_revived_together_500_at_a_time() -> None:
    # Given 1,200 contacts on one list set and 3 on another
    lists_of = {f"c{n}": LISTS[:2] for n in range(1_200)} | {f"d{n}": LISTS[2:3] for n in range(3)}
    # When their revive is planned, then by set: 500, 500, 200 onto two lists, 3 onto one
    plan = activities.revive_plan(lists_of)
    assert [(len(one.contact_ids), one.list_ids) for one in plan] == [
        (500, tuple(LISTS[:2])),
        (500, tuple(LISTS[:2])),
        (200, tuple(LISTS[:2])),
        (3, tuple(LISTS[2:3])),
    ]


def test_many_list_sets_over_few_lists_are_revived_list_by_list() -> None:
    # Given 64 contacts each on a different subset of six lists (64 sets)
    lists_of = {
        f"c{n}": [list_id for bit, list_id in enumerate(LISTS[:6]) if n >> bit & 1]
        for n in range(1, 64)
    }
    # When their revive is planned, then one activity per list beats one per set
    plan = activities.revive_plan(lists_of)
    assert len(plan) == 6
    # And each contact ends on exactly its lists: the union of the activities holding it
    ends_on: dict[str, set[str]] = {}
    for one in plan:
        for contact_id in one.contact_ids:
            ends_on.setdefault(contact_id, set()).update(one.list_ids)
    assert ends_on == {key: set(lists) for key, lists in lists_of.items()}


def test_lists_with_the_same_members_share_their_activities() -> None:
    # Given contacts on one of two list sets of 30 lists each, overlapping in none
    lists_of = {f"a{n}": LISTS[:30] for n in range(3)} | {f"b{n}": LISTS[30:] for n in range(3)}
    # When planned, then two activities: one per set of lists with the same members
    plan = activities.revive_plan(lists_of)
    assert [(one.contact_ids, len(one.list_ids)) for one in plan] == [
        (("a0", "a1", "a2"), 30),
        (("b0", "b1", "b2"), 30),
    ]


def test_the_add_to_lists_body_keeps_to_the_specs_limits(add_lists_schema: dict[str, Any]) -> None:
    body = activities.add_lists_body(Planned(("c1", "c2"), tuple(LISTS[:50])))
    assert body == {"source": {"contact_ids": ["c1", "c2"]}, "list_ids": LISTS[:50]}
    assert set(body) <= set(add_lists_schema["properties"])
    limit = add_lists_schema["properties"]["list_ids"]["maxItems"]
    assert limit == activities.LISTS_PER_ACTIVITY == 50
    with pytest.raises(ValueError, match="at most 50 list_ids"):
        activities.add_lists_body(Planned(("c1",), tuple(LISTS[:51])))
    with pytest.raises(ValueError, match=r"at most 500 source\.contact_ids"):
        activities.add_lists_body(Planned(tuple(f"c{n}" for n in range(501)), ("l",)))
    with pytest.raises(ValueError, match="at least one of list_ids"):
        activities.add_lists_body(Planned(("c1",), ()))


def test_deletes_are_planned_500_an_activity() -> None:
    plan = activities.delete_plan([f"c{n}" for n in range(1_001)])
    assert [len(one.contact_ids) for one in plan] == [500, 500, 1]
    assert activities.delete_plan([]) == []


def test_errors_are_given_to_the_contacts_they_name_and_only_those() -> None:
    named, unnamed = activities.attribute_errors(
        ["Contact c-1 not found", "Contact c-22 would be on more than 50 lists", "Timeout"],
        ["c-1", "c-2", "c-22"],
    )
    assert named == {
        "c-1": "Contact c-1 not found",
        "c-22": "Contact c-22 would be on more than 50 lists",
    }
    assert unnamed == ["Timeout"]
    assert activities.says_not_found(named["c-1"])
    assert not activities.says_not_found(named["c-22"])


def test_the_material_is_the_contacts_lists_as_read() -> None:
    contact: ContactResource = {"contact_id": "c", "list_memberships": LISTS[:2]}
    assert activities.material_of(contact) == {"list_memberships": LISTS[:2]}
    with pytest.raises(ValueError, match="without its list memberships"):
        activities.material_of({"contact_id": "c"})
