"""Domain rules that need no I/O: link states under their changes, the derived status,
link keys, timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from contact_archive.ledger.models import (
    ChangeAction,
    ContactStatus,
    LinkState,
    PendingChange,
    Vendor,
    VendorLink,
    derived_status,
    iso,
    link_key,
)


def pending(action: ChangeAction, version: int = 2, change_id: str = "ch-1") -> PendingChange:
    return PendingChange(change_id=change_id, action=action, requested_at="t", version=version)


def test_a_change_of_every_link_marks_each_link_in_flight() -> None:
    link = VendorLink(vendor=Vendor.INTERCOM, vendor_id="ic-1")
    assert link.state_under(None) is LinkState.ACTIVE
    assert link.state_under(pending(ChangeAction.ARCHIVE)) is LinkState.ARCHIVING
    assert link.state_under(pending(ChangeAction.RESTORE)) is LinkState.RESTORING


def test_the_newer_of_the_contacts_change_and_the_links_own_applies() -> None:
    # Given a link archived on its own at version 3
    own = pending(ChangeAction.ARCHIVE, version=3, change_id="own")
    link = VendorLink(vendor=Vendor.INTERCOM, vendor_id="ic-1", change=own)
    # Then an older restore of every link does not apply to it, a newer one does
    assert link.change_under(pending(ChangeAction.RESTORE, version=2)) == own
    assert link.state_under(pending(ChangeAction.RESTORE, version=2)) is LinkState.ARCHIVING
    newer = pending(ChangeAction.RESTORE, version=4)
    assert link.change_under(newer) == newer
    assert link.target_under(newer) is LinkState.ACTIVE


def test_the_status_says_whether_all_some_or_none_of_the_links_are_archived() -> None:
    archive_all = pending(ChangeAction.ARCHIVE, version=2)
    restored_alone = pending(ChangeAction.RESTORE, version=3, change_id="own")
    intercom = VendorLink(vendor=Vendor.INTERCOM, vendor_id="ic-1")
    routera = VendorLink(vendor=Vendor.ROUTERA, vendor_id="rt-1")
    assert derived_status([intercom, routera], None) is ContactStatus.ACTIVE
    assert derived_status([intercom, routera], archive_all) is ContactStatus.ARCHIVED
    back = intercom.model_copy(update={"change": restored_alone})
    assert derived_status([back, routera], archive_all) is ContactStatus.PARTIALLY_ARCHIVED
    # An unrecoverable link does not count; with no link the contact's own change decides
    gone = routera.model_copy(update={"settled_state": LinkState.UNRECOVERABLE})
    assert derived_status([back, gone], archive_all) is ContactStatus.ACTIVE
    assert derived_status([], archive_all) is ContactStatus.ARCHIVED


def test_a_link_is_named_by_its_vendor_and_scope() -> None:
    assert link_key(Vendor.SEQUENCE, "cus_1") == "sequence:cus_1"
    assert link_key(Vendor.INTERCOM, None) == "intercom"


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
