"""Intercom's webhook quirks: the hex case of `X-Hub-Signature`, and a full contact as the item of
a `notification_event`. What Intercom's webhooks share with Sequence's (the signature and its
refusals, the envelope and its refusals) is in `tests/vendors/test_webhook_deliveries.py`; the
recorded bodies in `payloads/webhook_*.json` (and what they parse to) are checked by
`tests/vendors/test_recorded.py`.
"""

from __future__ import annotations

from contact_archive.vendors.intercom import webhook
from contact_archive.vendors.webhooks import NotificationKind, Subject
from tests.vendors.deliveries import changed
from tests.vendors.intercom.webhook_case import BODY, RECORDED, SECRET, sign

# -- verify ------------------------------------------------------------------------------------


def test_upper_case_hex_is_accepted() -> None:
    # Given the right signature written in upper-case hex
    value = sign(BODY)["X-Hub-Signature"]
    # Then it verifies: hex case is not part of the HMAC
    webhook.verify(BODY, {"X-Hub-Signature": "sha1=" + value[5:].upper()}, SECRET)


# -- parse -------------------------------------------------------------------------------------


def test_a_full_contact_item_is_accepted() -> None:
    # Given contact.archived whose item is a full 2.10 contact (which has no `archived` key)
    item = RECORDED.load("contact_active")
    item.pop("archived", None)
    body = changed(BODY, data={"type": "notification_event_data", "item": item})
    # When it is parsed, Then the contact's id is the subject
    notification = webhook.parse(body)
    assert (notification.kind, notification.subject, notification.vendor_id) == (
        NotificationKind.ARCHIVED,
        Subject.CONTACT,
        "6657ac5f6abd0166b52ae242",
    )
