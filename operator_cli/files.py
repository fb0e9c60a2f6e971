"""The CSV that names a job's contacts, read by its header.

A column `contact_id` (or `id`) selects by the ledger's contact id, `email` by email, and `vendor`
with `vendor_id` by a vendor's own id. Other columns are ignored, so an export can be used as it
is; a header naming two of those ways is refused rather than guessed, since a bulk archive by the
wrong column is costly. Problems name the line and the column, never a value from the file: a
column of emails is personal data.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

VENDORS = ("sequence", "routera", "intercom", "constant_contact")
# The API takes at most this many contacts a job; a longer file becomes several jobs.
MAX_JOB_SIZE = 10_000
ACCEPTED_COLUMNS = "contact_id (or id), email, or vendor with vendor_id"
# The API's own test of an email, so that a bad row is named by its line before anything is sent.
EMAIL_SHAPE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

SelectorKind = Literal["contact_ids", "emails", "vendor_ids"]
# A contact id or an email; or a (vendor, vendor id) pair.
SelectorItem = str | tuple[str, str]


class InputProblem(ValueError):
    """What the operator gave cannot make a job; the message says why and what would."""


@dataclass(frozen=True)
class FileSelection:
    """The contacts a file names, in file order, each once."""

    kind: SelectorKind
    columns: tuple[str, ...]  # the header's names for them, as written in the file
    items: tuple[SelectorItem, ...]
    duplicates: int  # rows dropped because an earlier row named the same contact

    def parts(self, size: int = MAX_JOB_SIZE) -> list[tuple[SelectorItem, ...]]:
        """The items in runs of at most `size`: one job each."""
        return [self.items[start : start + size] for start in range(0, len(self.items), size)]

    def selector(self, part: Sequence[SelectorItem]) -> dict[str, object]:
        """The request body's selector for one part."""
        if self.kind == "vendor_ids":
            pairs = [item for item in part if isinstance(item, tuple)]
            return {"vendor_ids": [{"vendor": vendor, "vendor_id": id_} for vendor, id_ in pairs]}
        return {self.kind: [item for item in part if isinstance(item, str)]}


class _Rows(Protocol):
    """A `csv.reader`: rows, and the file line the last one ended on."""

    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...

    def __next__(self) -> list[str]: ...


@dataclass(frozen=True)
class _Layout:
    kind: SelectorKind
    indexes: tuple[int, ...]


def read_selection(path: Path) -> FileSelection:
    """The contacts `path` names; `InputProblem` when its header or a row cannot make a job."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return _read(csv.reader(handle))
    except UnicodeDecodeError:
        raise InputProblem(f"{path.name} is not UTF-8 text: save the CSV as UTF-8") from None
    except csv.Error as error:
        raise InputProblem(f"{path.name} is not a readable CSV ({error})") from None
    except OSError as error:
        raise InputProblem(f"cannot read {path.name} ({error.strerror})") from None


def _read(reader: _Rows) -> FileSelection:
    header = next((row for row in reader if any(cell.strip() for cell in row)), None)
    if header is None:
        raise InputProblem(f"the file is empty: it needs a header line naming {ACCEPTED_COLUMNS}")
    layout = _layout(header)
    columns = tuple(header[index].strip() for index in layout.indexes)
    seen: set[object] = set()
    items: list[SelectorItem] = []
    duplicates = 0
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        cells = [row[index].strip() if index < len(row) else "" for index in layout.indexes]
        item = _item(layout.kind, cells, columns, reader.line_num)
        identity = item.lower() if layout.kind == "emails" and isinstance(item, str) else item
        if identity in seen:
            duplicates += 1
            continue
        seen.add(identity)
        items.append(item)
    if not items:
        raise InputProblem(f"the file has a header ({', '.join(columns)}) but no rows")
    return FileSelection(layout.kind, columns, tuple(items), duplicates)


def _layout(header: list[str]) -> _Layout:
    """Which way the header selects contacts, and the columns that do."""
    names = [_column_name(cell) for cell in header]
    found: list[_Layout] = []
    for name in ("contact_id", "id"):
        if name in names:
            found.append(_Layout("contact_ids", (names.index(name),)))
            break
    if "email" in names:
        found.append(_Layout("emails", (names.index("email"),)))
    if "vendor" in names and "vendor_id" in names:
        found.append(_Layout("vendor_ids", (names.index("vendor"), names.index("vendor_id"))))
    if len(found) == 1:
        return found[0]
    shown = ", ".join(cell.strip()[:40] for cell in header[:12]) or "nothing"
    if not found:
        hint = ""
        if ("vendor" in names) != ("vendor_id" in names):
            hint = " (vendor and vendor_id go together)"
        raise InputProblem(
            f"the header ({shown}) names no column this command reads{hint}: "
            f"it needs {ACCEPTED_COLUMNS}"
        )
    kinds = ", ".join(layout.kind for layout in found)
    raise InputProblem(
        f"the header ({shown}) selects contacts in more than one way ({kinds}): "
        f"keep one of {ACCEPTED_COLUMNS}"
    )


def _item(
    kind: SelectorKind, cells: list[str], columns: tuple[str, ...], line: int
) -> SelectorItem:
    for cell, column in zip(cells, columns, strict=True):
        if not cell:
            raise InputProblem(f"line {line}: the {column} column is empty")
    if kind == "vendor_ids":
        vendor = _column_name(cells[0])
        if vendor not in VENDORS:
            raise InputProblem(
                f"line {line}: the {columns[0]} column names no vendor this service knows "
                f"(one of {', '.join(VENDORS)})"
            )
        return (vendor, cells[1])
    if kind == "emails" and not _looks_like_email(cells[0]):
        raise InputProblem(f"line {line}: the {columns[0]} column holds no email address")
    return cells[0]


def _column_name(cell: str) -> str:
    """`Contact ID`, `contact-id` and `contact_id` are one column."""
    return re.sub(r"[\s\-]+", "_", cell.strip().lower())


def _looks_like_email(value: str) -> bool:
    return EMAIL_SHAPE.fullmatch(value) is not None
