"""The recorded-payload layout check catches what it is there to catch."""

from __future__ import annotations

from pathlib import Path

from tests.vendors.recorded import RecordedPayloads


def recorded_in(tmp_path: Path, *names: str) -> RecordedPayloads:
    payloads = tmp_path / "payloads"
    payloads.mkdir()
    for name in names:
        (payloads / name).write_text("{}")
    return RecordedPayloads(str(tmp_path / "test_mapper.py"))


def test_a_complete_layout_has_no_problems(tmp_path: Path) -> None:
    recorded = recorded_in(
        tmp_path, "contact_a.json", "contact_a.expected.json", "list_x.json", "error_y.json"
    )
    assert recorded.layout_problems() == []
    assert [path.name for path in recorded.contacts] == ["contact_a.json"]


def test_missing_results_orphans_and_strangers_are_named(tmp_path: Path) -> None:
    recorded = recorded_in(tmp_path, "contact_a.json", "contact_b.expected.json", "webhook_z.json")
    assert recorded.layout_problems() == [
        "contact_a.json has no contact_a.expected.json",
        "contact_b.expected.json has no contact payload",
        "webhook_z.json is not a contact, list or error payload",
    ]


def test_an_empty_directory_is_a_problem(tmp_path: Path) -> None:
    assert recorded_in(tmp_path).layout_problems() == ["no contact payloads recorded"]
