"""A vendor's signed webhook deliveries as the shared webhook tests (`test_webhook_deliveries.py`)
see them: how the vendor signs a body, how its module verifies and parses one, and the vendor's
own examples of what must be refused. Each vendor with webhooks (Intercom, Sequence) has one in
its folder's `webhook_case.py`; `tests/vendors/cases.py` lists them."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.webhooks import (
    MalformedReason,
    SignatureFailure,
    VendorNotification,
    WebhookSignatureInvalid,
)
from devtools.webhooks import TEST_WEBHOOK_SECRET

SECRET = SecretStr(TEST_WEBHOOK_SECRET)  # the tenant's signing secret
ON_TIME = timedelta(0)

type Sign = Callable[[bytes, str], dict[str, str]]
type Verify = Callable[[bytes, Mapping[str, str], SecretStr, timedelta], object]


@dataclass(frozen=True)
class Tamper:
    """A change to a body after it was signed, and by how many bytes it grows the body."""

    change: Callable[[bytes], bytes]
    grown: int
    id: str


@dataclass(frozen=True)
class NotEnvelope:
    """A JSON body that is not (or contradicts) the vendor's envelope, and why it is refused."""

    body: bytes
    reason: MalformedReason
    id: str


@dataclass(frozen=True)
class WebhookCase:
    vendor: Vendor
    header: str  # the signature header's name, as the vendor documents it
    body: bytes  # a recorded delivery
    # The headers the vendor sends with a body signed by a secret, computed apart from the
    # module under test.
    sign: Sign
    signature: Callable[[bytes, SecretStr], str]  # the module's own header value
    # The module's `verify`, `late` after the delivery (Intercom signs no time: it ignores it).
    verify: Verify
    verified: object  # what `verify` answers for the recorded delivery
    parse: Callable[[bytes], VendorNotification]
    forged: str  # a well-formed header value that is not the body's HMAC
    malformed: tuple[tuple[str, str], ...]  # header values that are not the documented form, ids
    tampered: tuple[Tamper, ...]
    replay_window: timedelta | None  # how late a delivery is still taken (None: no window)
    not_envelopes: tuple[NotEnvelope, ...]
    ignored: tuple[str, ...]  # topics (or notification types) the service does not act on
    with_topic: Callable[[bytes, str], bytes]  # the body, of another topic
    ignored_fields: Mapping[str, Any]  # what an ignored notification has besides its topic
    # A JSON body that is no envelope, and what no refusal may show of a body.
    unparsable: bytes
    never_shown: tuple[str, ...]

    @property
    def id(self) -> str:
        return self.vendor.value

    def refusal(
        self,
        body: bytes,
        headers: dict[str, str],
        *,
        secret: SecretStr = SECRET,
        late: timedelta = ON_TIME,
    ) -> SignatureFailure:
        """Why the vendor's module refuses this delivery, verified `late` after it was sent (it
        must refuse it, in the vendor's name)."""
        with pytest.raises(WebhookSignatureInvalid) as refused:
            self.verify(body, headers, secret, late)
        assert refused.value.vendor is self.vendor
        return refused.value.reason


def changed(body: bytes, **changes: Any) -> bytes:
    """The body with these top-level keys set."""
    return json.dumps({**json.loads(body), **changes}).encode()


def without(body: bytes, *keys: str) -> bytes:
    """The body without these top-level keys."""
    document = json.loads(body)
    for key in keys:
        del document[key]
    return json.dumps(document).encode()
