"""The vendors' cases, for tests that run once per vendor: the four clients on their sandboxes
(`sandboxed.VendorCase`), and the two vendors' signed webhooks (`deliveries.WebhookCase`)."""

from __future__ import annotations

from tests.vendors.constant_contact.case import ConstantContactCase
from tests.vendors.deliveries import WebhookCase
from tests.vendors.intercom.case import IntercomCase
from tests.vendors.intercom.webhook_case import INTERCOM
from tests.vendors.routera.case import RouteraCase
from tests.vendors.sandboxed import RecreatingCase, VendorCase
from tests.vendors.sequence.case import SequenceCase
from tests.vendors.sequence.webhook_case import SEQUENCE

CASES: list[type[VendorCase]] = [SequenceCase, RouteraCase, IntercomCase, ConstantContactCase]
RECREATING: list[type[RecreatingCase]] = [SequenceCase, RouteraCase]  # restored by re-creating
WEBHOOKS: list[WebhookCase] = [INTERCOM, SEQUENCE]


def case_id(case: type[VendorCase]) -> str:
    """A test's id for the vendor it runs against: `sequence`, `constant_contact`..."""
    return case.vendor.value
