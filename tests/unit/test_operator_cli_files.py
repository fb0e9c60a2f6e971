"""The operator CLI's CSV: read by its header, each kind of selector, and what it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from operator_cli.files import MAX_JOB_SIZE, InputProblem, read_selection
from operator_cli.submission import job_requests, parse_filter
from tests.unit.operator_cli_fake import write_csv


@pytest.mark.parametrize(
    ("header", "rows"),
    [
        ("contact_id", ["c-1", "c-2"]),
        ("id", ["c-1", "c-2"]),
        ("Contact ID", [" c-1 ", "c-2"]),
        ("name,contact-id,note", ["Ada,c-1,x", "Grace,c-2,y"]),
    ],
)
def test_a_contact_id_column_selects_by_contact_id(
    tmp_path: Path, header: str, rows: list[str]
) -> None:
    # Given a CSV whose header names the contact id (among other columns, in any spelling)
    path = write_csv(tmp_path / "ids.csv", header, rows)
    # When it is read
    selection = read_selection(path)
    # Then it selects those contact ids, in file order
    assert selection.kind == "contact_ids"
    assert selection.items == ("c-1", "c-2")
    assert selection.selector(selection.items) == {"contact_ids": ["c-1", "c-2"]}


def test_an_email_column_selects_by_email_once_per_address_in_any_case(tmp_path: Path) -> None:
    # Given a CSV saved by Excel (a byte order mark) with an Email column and a repeated address
    path = tmp_path / "emails.csv"
    path.write_bytes(
        "\ufeffEmail\r\nada@example.com\r\nADA@example.com\r\ngrace@example.com\r\n".encode()
    )
    # When it is read
    selection = read_selection(path)
    # Then each address is asked for once, as first written, and the repeat is counted
    assert selection.kind == "emails"
    assert selection.items == ("ada@example.com", "grace@example.com")
    assert selection.duplicates == 1


def test_vendor_and_vendor_id_columns_select_by_the_vendors_ids(tmp_path: Path) -> None:
    # Given a CSV of vendor ids, a vendor written as a person would
    rows = ["sequence,seq-1", "Constant Contact,cc-9", "sequence,seq-1", ",", ""]
    path = write_csv(tmp_path / "vendor_ids.csv", "vendor_id,vendor", [_swap(r) for r in rows])
    # When it is read
    selection = read_selection(path)
    # Then each (vendor, id) pair is asked for once; blank lines are skipped
    assert selection.kind == "vendor_ids"
    assert selection.selector(selection.items) == {
        "vendor_ids": [
            {"vendor": "sequence", "vendor_id": "seq-1"},
            {"vendor": "constant_contact", "vendor_id": "cc-9"},
        ]
    }


def test_a_header_naming_no_accepted_column_is_refused_naming_those_it_accepts(
    tmp_path: Path,
) -> None:
    # Given a CSV without a header line: its first id reads as the header
    path = write_csv(tmp_path / "bare.csv", "c-1", ["c-2"])
    # When it is read, Then the error names the columns the CLI accepts
    with pytest.raises(InputProblem) as refused:
        read_selection(path)
    assert "contact_id (or id), email, or vendor with vendor_id" in str(refused.value)


@pytest.mark.parametrize(
    ("header", "said"),
    [
        ("contact_id,email", "more than one way (contact_ids, emails)"),
        ("vendor,name", "vendor and vendor_id go together"),
    ],
)
def test_an_ambiguous_or_half_header_is_refused_rather_than_guessed(
    tmp_path: Path, header: str, said: str
) -> None:
    # Given a header that names two selectors, or half of one
    path = write_csv(tmp_path / "odd.csv", header, ["a,b"])
    # When it is read, Then it is refused, saying why
    with pytest.raises(InputProblem) as refused:
        read_selection(path)
    assert said in str(refused.value)


@pytest.mark.parametrize(
    ("header", "row", "said"),
    [
        ("email", "not-an-address ada", "line 3: the email column holds no email address"),
        ("contact_id,note", ",private note", "line 3: the contact_id column is empty"),
        ("vendor,vendor_id", "hubspot,h-1", "line 3: the vendor column names no vendor"),
    ],
)
def test_a_bad_row_is_named_by_its_line_never_by_its_value(
    tmp_path: Path, header: str, row: str, said: str
) -> None:
    # Given a good row, then a bad one
    good = {"email": "ok@example.com", "contact_id,note": "c-1,x", "vendor,vendor_id": "routera,r"}
    path = write_csv(tmp_path / "rows.csv", header, [good[header], row])
    # When it is read, Then the error names the line and the column, not what the row holds
    with pytest.raises(InputProblem) as refused:
        read_selection(path)
    assert said in str(refused.value)
    assert "ada" not in str(refused.value) and "private" not in str(refused.value)


@pytest.mark.parametrize(("content", "said"), [(b"", "empty"), (b"email\n\n", "no rows")])
def test_an_empty_file_or_a_header_alone_is_refused(
    tmp_path: Path, content: bytes, said: str
) -> None:
    # Given a file with nothing to select
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    # When it is read, Then it is refused
    with pytest.raises(InputProblem, match=said):
        read_selection(path)


def test_more_than_ten_thousand_rows_become_parts_of_ten_thousand(tmp_path: Path) -> None:
    # Given 25,000 contact ids
    path = write_csv(tmp_path / "many.csv", "contact_id", [f"c-{n}" for n in range(25_000)])
    # When they are made into job requests
    submission = job_requests("archive", path, None, reason="churned", vendors=None)
    # Then there are three jobs of 10,000, 10,000 and 5,000, in file order, and the split is said
    sizes = [len(request.body["contact_ids"]) for request in submission.requests]
    assert sizes == [MAX_JOB_SIZE, MAX_JOB_SIZE, 5_000]
    assert submission.requests[1].body["contact_ids"][0] == "c-10000"
    assert any("submitting 3 jobs" in note for note in submission.notes)
    # And each has its own Idempotency-Key
    assert len({request.idempotency_key for request in submission.requests}) == 3


def test_a_filter_is_read_as_key_value_pairs() -> None:
    # Given the operator's filter, When it is parsed, Then it is the API's filter object
    parsed = parse_filter("status=archived, vendor=sequence,email_domain=x.com,scope=c1")
    assert parsed == {
        "status": "archived",
        "vendor": "sequence",
        "email_domain": "x.com",
        "scope": "c1",
    }


@pytest.mark.parametrize("text", ["colour=blue", "status", "status=", "vendor=a,vendor=b", ","])
def test_a_filter_with_an_unknown_key_or_no_value_is_refused(text: str) -> None:
    # Given a filter the API would not take, When it is parsed, Then it is refused
    with pytest.raises(InputProblem, match="--filter"):
        parse_filter(text)


def _swap(row: str) -> str:
    """`vendor,vendor_id` rows written in the file's `vendor_id,vendor` order."""
    if "," not in row:
        return row
    vendor, vendor_id = row.split(",", 1)
    return f"{vendor_id},{vendor}"
