"""List page time as the tenant grows, for `make bench`: a page of every filter `GET /contacts`
offers, through `list_contacts` and a real `LedgerStore` on DynamoDB Local, in a tenant of
1,000 contacts and in one of 100,000 of the same mix (`devtools/big_tenant.py`), both in one
table.

Run alone (prints the section): `.venv/bin/python -m benchmarks.list_pages`.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "shared") not in sys.path:
    sys.path.insert(0, str(ROOT / "shared"))

from contact_archive.contacts.reading import ListQuery, list_contacts  # noqa: E402
from contact_archive.ledger.cursor import CursorCodec  # noqa: E402
from contact_archive.ledger.models import ContactStatus, Vendor  # noqa: E402
from contact_archive.ledger.store import LedgerStore  # noqa: E402
from devtools.big_tenant import (  # noqa: E402
    NAMED,
    ItemsRead,
    bulk_client,
    create_table,
    write_tenant,
)
from devtools.dynamodb_local import local_client  # noqa: E402

RUNS = int(os.environ.get("BENCH_LIST_RUNS", "51"))
WARM_UP = 3
SIZES = (1_000, 100_000)
PAGE = 50  # the API's default `limit`
TARGET_RATIO = 1.2
CODEC = CursorCodec(b"bench-list-pages-cursor-key-0123", ttl_seconds=3600)
ACTIVE, ARCHIVED = ContactStatus.ACTIVE, ContactStatus.ARCHIVED

# `GET /contacts` query strings and the ListQuery each becomes (less tenant and page); `status`
# is `active` unless given, as the API's.
FILTERS: list[tuple[str, dict[str, Any]]] = [
    ("", {"status": ACTIVE}),
    ("status=partially_archived", {"status": ContactStatus.PARTIALLY_ARCHIVED}),
    ("status=archived", {"status": ARCHIVED}),
    ("status=all", {"status": None}),
    ("vendor=intercom", {"status": ACTIVE, "vendor": Vendor.INTERCOM}),
    ("vendor=intercom&status=all", {"status": None, "vendor": Vendor.INTERCOM}),
    ("vendor=sequence", {"status": ACTIVE, "vendor": Vendor.SEQUENCE}),
    ("vendor=sequence&status=archived", {"status": ARCHIVED, "vendor": Vendor.SEQUENCE}),
    ("vendor=sequence&status=all", {"status": None, "vendor": Vendor.SEQUENCE}),
    (
        "vendor=sequence&scope=cus-3",
        {"status": ACTIVE, "vendor": Vendor.SEQUENCE, "scope": "cus-3"},
    ),
    (
        "vendor=sequence&scope=cus-3&status=all",
        {"status": None, "vendor": Vendor.SEQUENCE, "scope": "cus-3"},
    ),
    (
        f"vendor=sequence&vendor_id=seq-{NAMED}",
        {"status": ACTIVE, "vendor": Vendor.SEQUENCE, "vendor_id": f"seq-{NAMED}"},
    ),
    (f"email=person{NAMED}@example.com", {"status": ACTIVE, "email": f"person{NAMED}@example.com"}),
    (f"external_id=crm-{NAMED}", {"status": ACTIVE, "external_id": f"crm-{NAMED}"}),
]


@dataclass(frozen=True)
class PageTiming:
    """One page of one filter at each tenant size (small first): median time, what it lists,
    the items DynamoDB read for it and the requests it took."""

    query: str
    page: int  # 1, or 2 after following the first page's cursor
    limit: int
    seconds: tuple[float, float]
    listed: tuple[int, int]
    read: tuple[int, int]
    requests: tuple[int, int]

    @property
    def ratio(self) -> float:
        return self.seconds[1] / self.seconds[0]

    @property
    def equal_pages(self) -> bool:
        return self.listed[0] == self.listed[1]


@dataclass(frozen=True)
class ListFigures:
    runs: int
    seed_seconds: float
    pages: list[PageTiming]


def measure(endpoint: str) -> ListFigures:
    table = f"bench-list-{uuid.uuid4().hex[:8]}"
    writer = bulk_client(endpoint)
    create_table(writer, table)
    started = time.perf_counter()
    tenants = [f"bench-list-{size}" for size in SIZES]
    for tenant, size in zip(tenants, SIZES, strict=True):
        write_tenant(writer, table, tenant, size)
    seed_seconds = time.perf_counter() - started
    store = LedgerStore(local_client(endpoint), table)
    pages = []
    for label, filters in FILTERS:
        small, big = (ListQuery(tenant, **filters) for tenant in tenants)
        for page, limit in _pages(store, small, big):
            pages.append(_time_page(store, label, page, limit, small, big))
    writer.delete_table(TableName=table)
    return ListFigures(RUNS, seed_seconds, pages)


def _pages(store: LedgerStore, small: ListQuery, big: ListQuery) -> list[tuple[int, int]]:
    """(page, limit) to time: the first page at the API's default limit; when the small tenant
    holds fewer than that, its whole listing as one page too, so that both list as many; a
    second page when the small tenant holds two."""
    held = [_count(store, query) for query in (small, big)]
    pages = [(1, PAGE)]
    if 0 < held[0] < min(PAGE, held[1]):
        pages.append((1, held[0]))
    if held[0] >= 2 * PAGE:
        pages.append((2, PAGE))
    return pages


def _count(store: LedgerStore, query: ListQuery) -> int:
    """How many contacts a listing holds, up to three pages' worth (enough to choose pages)."""
    listed, cursor = 0, None
    while listed < 3 * PAGE:
        page = list_contacts(store, CODEC, replace(query, limit=PAGE, cursor=cursor))
        listed, cursor = listed + len(page.items), page.next_cursor
        if cursor is None:
            break
    return listed


def _time_page(
    store: LedgerStore, label: str, page: int, limit: int, small: ListQuery, big: ListQuery
) -> PageTiming:
    queries = [_at_page(store, replace(query, limit=limit), page) for query in (small, big)]
    calls = [partial(list_contacts, store, CODEC, query) for query in queries]
    for _ in range(WARM_UP):
        for call in calls:
            call()
    runs: list[list[float]] = [[], []]
    for run in range(RUNS):
        # Each run times both sizes, in turns, so that drift on the machine hits both alike.
        for size in (0, 1) if run % 2 == 0 else (1, 0):
            started = time.perf_counter()
            calls[size]()
            runs[size].append(time.perf_counter() - started)
    listed, read, requests = zip(*(_reads(store, query) for query in queries), strict=True)
    return PageTiming(
        query=label,
        page=page,
        limit=limit,
        seconds=(statistics.median(runs[0]), statistics.median(runs[1])),
        listed=(listed[0], listed[1]),
        read=(read[0], read[1]),
        requests=(requests[0], requests[1]),
    )


def _at_page(store: LedgerStore, query: ListQuery, page: int) -> ListQuery:
    """The query of its `page`th page: the cursors of the pages before it followed."""
    for _ in range(page - 1):
        cursor = list_contacts(store, CODEC, query).next_cursor
        assert cursor is not None, (query, page)
        query = replace(query, cursor=cursor)
    return query


def _reads(store: LedgerStore, query: ListQuery) -> tuple[int, int, int]:
    """Contacts listed, items read and requests made by one page (counted apart from the timed
    runs, whose time the counting hook would add to)."""
    with ItemsRead(store) as counter:
        listed = len(list_contacts(store, CODEC, query).items)
    return listed, counter.items, counter.requests


def render(figures: ListFigures) -> list[str]:
    small, big = (f"{size:,}" for size in SIZES)
    lines = [
        f"## (m) List page time at {small} against {big} contacts (median of {figures.runs})",
        "",
        f"Two tenants of the same mix in one table, {small} and {big} contacts "
        "(`devtools/big_tenant.py`: 1% linked to Sequence over 10 customers, 10% of the others "
        "to Intercom, 60% active, 20% archived, 20% partially archived in every share; "
        f"written in {figures.seed_seconds:.0f} s), so a filter matches 100 times as many "
        "contacts in the big one. A page is `list_contacts` with a real `LedgerStore` on "
        "DynamoDB Local, as ListFunction calls it for `GET /contacts`: the query, the items "
        f"made contacts, the signed cursor. {WARM_UP} calls to warm up, then both sizes in "
        "turns. `limit` is the API's default 50; where the small tenant holds fewer, a row "
        "with its whole listing as the page compares pages of as many contacts, which is "
        f"what the target (at most {TARGET_RATIO}x) is judged on. Page 2 follows page 1's "
        "cursor. Items read: a Query's `ScannedCount`, a GetItem's item.",
        "",
        f"| `GET /contacts?` | page | limit | listed at {small} / {big} | at {small} "
        f"| at {big} | ratio | items read per listed | requests | target |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for timing in figures.pages:
        per_listed = " / ".join(
            f"{read / listed:.2f}" if listed else "-"
            for read, listed in zip(timing.read, timing.listed, strict=True)
        )
        if not timing.equal_pages:
            target = "pages differ"
        elif timing.ratio <= TARGET_RATIO:
            target = "met"
        else:
            target = f"missed by {timing.ratio - TARGET_RATIO:.2f}x"
        lines.append(
            f"| `{timing.query or '(none)'}` | {timing.page} | {timing.limit} "
            f"| {timing.listed[0]} / {timing.listed[1]} "
            f"| {timing.seconds[0] * 1000:.2f} ms | {timing.seconds[1] * 1000:.2f} ms "
            f"| {timing.ratio:.2f}x | {per_listed} "
            f"| {timing.requests[0]} / {timing.requests[1]} | {target} |"
        )
    lines.append("")
    return lines


if __name__ == "__main__":
    from devtools.dynamodb_local import DynamoDBLocal

    with DynamoDBLocal() as database:
        print("\n".join(render(measure(database.endpoint_url))))
