"""Domain rules that need no I/O: link states under a pending change, timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from contact_archive.ledger.models import (
    ChangeAction,
    LinkState,
    PendingChange,
    Vendor,
    VendorLink,
    iso,
)


def pending(action: ChangeAction, vendors: tuple[Vendor, ...] | None = None) -> PendingChange:
    return PendingChange(change_id="ch-1", action=action, vendors=vendors, requested_at="t")


def test_a_pending_archive_marks_the_links_it_names_archiving() -> None:
    link = VendorLink(vendor=Vendor.INTERCOM, vendor_id="ic-1")
    assert link.state_under(None) is LinkState.ACTIVE
    assert link.state_under(pending(ChangeAction.ARCHIVE)) is LinkState.ARCHIVING
    assert link.state_under(pending(ChangeAction.RESTORE)) is LinkState.RESTORING
    assert link.state_under(pending(ChangeAction.ARCHIVE, (Vendor.ROUTERA,))) is LinkState.ACTIVE


def test_a_settled_link_shows_its_settled_state() -> None:
    link = VendorLink(
        vendor=Vendor.INTERCOM,
        vendor_id="ic-1",
        settled_state=LinkState.ARCHIVED,
        settled_change_id="ch-1",
    )
    assert link.state_under(pending(ChangeAction.ARCHIVE)) is LinkState.ARCHIVED
    failed = link.model_copy(update={"settled_state": LinkState.FAILED})
    assert failed.state_under(pending(ChangeAction.ARCHIVE)) is LinkState.FAILED


def test_timestamps_are_utc_iso_8601_with_milliseconds() -> None:
    moment = datetime(2026, 11, 22, 23, 5, 9, 123456, tzinfo=timezone(timedelta(hours=2)))
    assert iso(moment) == "2026-11-22T21:05:09.123Z"
    assert iso(datetime(2026, 1, 2, tzinfo=UTC)) == "2026-01-02T00:00:00.000Z"
