"""WebhookFunction in-process with the events/ samples, on a moto table: every topic, every kind
of bad input (nothing written, never a 5xx), duplicates, the tenant's record and mirror policies
through `PUT /settings`, tenant isolation, Sequence's customer fan-out through SyncFunction, and
the DynamoDB requests each delivery costs."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from contact_archive import dependencies
from contact_archive.config import get_settings
from contact_archive.ledger.models import Vendor, utc_now
from contact_archive.ledger.store import LedgerStore
from contact_archive.ledger.store.keys import CUSTOMER_CHANGE_TYPE
from devtools.sandboxes.intercom import IntercomSandbox
from devtools.sandboxes.stack import SandboxStack
from devtools.webhooks import (
    TEST_WEBHOOK_SECRET,
    SignedDelivery,
    encode,
    intercom_delivery,
    sequence_delivery,
    sign_intercom,
    sign_sequence,
)
from tests.ledger_helpers import OTHER_TENANT, sandbox_clients
from tests.support import (
    API_TENANT,
    Functions,
    RequestCounter,
    api_event,
    body_of,
    delivered,
    link_states_of,
    load_event,
    stream_record,
)

OTHER_SECRET = "tenant-b-webhook-secret"
NO_SECRET_TENANT = "tenant-without-webhooks"
CONTACT = "c-1001"
INTERCOM_ID = "6650a1b2c3d4e5f6a7b8c9d0"  # Ada's Intercom id in events/register_contact.json
# The Sequence sample's signed time (`t`): deliveries are verified against the handler's clock.
SEQUENCE_SAMPLE_SENT = datetime(2026, 11, 22, 21, 14, tzinfo=UTC)
NOW = 1_795_381_800  # UNIX seconds, for deliveries built here

CREDENTIALS = {
    API_TENANT: {
        "intercom": {"access_token": "ic-token-0123456789", "webhook_secret": TEST_WEBHOOK_SECRET},
        "sequence": {
            "client_id": "seq-client",
            "client_secret": "seq-secret-0123456789",
            "webhook_secret": TEST_WEBHOOK_SECRET,
        },
        "routera": {"client_id": "rt-client", "client_secret": "rt-secret-0123456789"},
        "constant_contact": {
            "client_id": "cc-client",
            "access_token": "cc-access-0123456789",
            "refresh_token": "cc-refresh-0123456789",
        },
    },
    OTHER_TENANT: {
        "intercom": {"access_token": "ic-token-b-0123456789", "webhook_secret": OTHER_SECRET}
    },
    NO_SECRET_TENANT: {"intercom": {"access_token": "ic-token-c-0123456789"}},
}


class Clock:
    """The webhook handler's clock: the real one unless a test fixes it."""

    def __init__(self) -> None:
        self.fixed: datetime | None = None

    def __call__(self) -> datetime:
        return self.fixed or utc_now()


class Service(Functions):
    """WebhookFunction, RegisterFunction and ListFunction, as Lambda imports them, on one moto
    table, with the webhook handler's clock."""

    def __init__(self, table: Any, clock: Clock) -> None:
        super().__init__("webhook", "register", "list")
        self.table = table
        self.clock = clock

    def webhook(self, event: dict[str, Any]) -> dict[str, Any]:
        return self("webhook", event)

    def contact(self, contact_id: str = CONTACT, tenant: str = API_TENANT) -> dict[str, Any]:
        response = self("list", api_event("get_contact", contact_id=contact_id, tenant=tenant))
        assert response["statusCode"] == 200, response
        return dict(body_of(response))

    def history(self, contact_id: str = CONTACT) -> list[dict[str, Any]]:
        response = self("list", api_event("contact_history", contact_id=contact_id))
        return list(body_of(response)["items"])

    def link_state(self, vendor: str, contact_id: str = CONTACT) -> str:
        return link_states_of(self.contact(contact_id))[vendor]

    def dump(self) -> list[dict[str, Any]]:
        """Every item of the table, in key order: what "nothing changed" is compared on."""
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"TableName": get_settings().table_name, "ConsistentRead": True}
        while True:
            page = self.table.scan(**kwargs)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return sorted(items, key=lambda item: (item["pk"]["S"], item["sk"]["S"]))


@pytest.fixture
def service(
    store: LedgerStore, ledger_table: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Service]:
    # Given the tenants' credentials, with their webhook signing secrets
    monkeypatch.setenv("VENDOR_CREDENTIALS", json.dumps(CREDENTIALS))
    get_settings.cache_clear()
    dependencies.get_credential_source.cache_clear()
    clock = Clock()
    monkeypatch.setattr("contact_archive.api.webhook_routes.utc_now", clock)
    yield Service(ledger_table, clock)
    dependencies.get_credential_source.cache_clear()


@pytest.fixture
def ada(service: Service) -> dict[str, Any]:
    """Ada, registered with her four vendor links (events/register_contact.json)."""
    response = service("register", load_event("register_contact"))
    assert response["statusCode"] == 201
    return dict(body_of(response))


def archived_at_intercom(vendor_id: str = INTERCOM_ID, **options: Any) -> SignedDelivery:
    return intercom_delivery("contact.archived", vendor_id, created_at=NOW, **options)


def outcome(response: dict[str, Any]) -> tuple[int, str]:
    return response["statusCode"], body_of(response)["outcome"]


def error(response: dict[str, Any]) -> tuple[int, str]:
    return response["statusCode"], body_of(response)["error"]["code"]


# -- the HEAD check ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vendor", "tenant", "status"),
    [
        ("intercom", API_TENANT, 200),
        ("sequence", API_TENANT, 200),
        ("intercom", OTHER_TENANT, 200),
        ("sequence", OTHER_TENANT, 404),  # no Sequence credentials
        ("intercom", NO_SECRET_TENANT, 404),  # credentials, but no signing secret
        ("intercom", "nobody", 404),
        ("routera", API_TENANT, 404),  # credentials, but Routera sends no webhooks
        ("constant_contact", API_TENANT, 404),
        ("myspace", API_TENANT, 404),
    ],
)
def test_the_head_check_answers_only_where_a_secret_is_configured(
    service: Service, vendor: str, tenant: str, status: int
) -> None:
    # Given Intercom's endpoint check for a vendor and tenant
    event = load_event("webhook_check")
    event["path"] = f"/webhooks/{vendor}/{tenant}"
    event["pathParameters"] = {"vendor": vendor, "tenant_id": tenant}
    # When it arrives
    response = service.webhook(event)
    # Then 200 with no body where the tenant has that vendor's secret, 404 elsewhere
    assert response["statusCode"] == status
    if status == 200:
        assert response["body"] == ""
    else:
        assert body_of(response)["error"]["code"] == "webhook_not_configured"


# -- every topic -----------------------------------------------------------------------------------


def test_each_intercom_topic_sets_the_link_and_says_where_it_came_from(
    service: Service, ada: dict[str, Any]
) -> None:
    # Given Ada linked to Intercom, when Intercom archives, unarchives then deletes her contact
    # (the samples; the unarchive comes base64-encoded)
    for sample, state in (
        ("webhook_intercom_contact_archived", "archived"),
        ("webhook_intercom_contact_unarchived", "active"),
        ("webhook_intercom_contact_deleted", "unrecoverable"),
    ):
        event = load_event(sample)
        response = service.webhook(event)
        # Then each is recorded on the Intercom link only
        assert outcome(response) == (200, "recorded"), sample
        assert service.link_state("intercom") == state
        assert service.link_state("routera") == "active"
        # with a history event from Intercom's webhook, naming the topic and notification
        body = event["body"]
        if event["isBase64Encoded"]:
            body = base64.b64decode(body).decode()
        notification = json.loads(body)
        last = service.history()[-1]
        assert (last["action"], last["actor"], last["source"]) == (
            "vendor_changed",
            "webhook",
            "vendor:intercom",
        )
        assert last["details"]["topic"] == notification["topic"]
        assert last["details"]["notification_id"] == notification["id"]
        assert last["details"]["state"] == state
    # The contact itself stays active: under `record` only the ledger's link follows
    assert service.contact()["status"] == "active"


def test_the_intercom_sandbox_emits_deliveries_that_verify_and_apply(
    service: Service, ada: dict[str, Any]
) -> None:
    # Given the Intercom sandbox holding Ada's contact, linked in the ledger
    now = [float(NOW)]
    sandbox = IntercomSandbox(clock=lambda: now[0])
    contact = sandbox.add_contact(email="ada@example.com")
    link = {"vendor": "intercom", "vendor_id": contact["id"]}
    assert (
        service("register", api_event("register_contact", body={"links": [link]}))["statusCode"]
        == 200
    )
    # When someone archives it in Intercom's UI, and a minute later Intercom unarchives it by
    # itself (the person logged in again)
    archived = service.webhook(delivered(sandbox.archive_in_ui(contact["id"])))
    now[0] += 60
    unarchived = service.webhook(delivered(sandbox.auto_unarchive(contact["id"])))
    # Then the ledger followed both, in order
    assert outcome(archived) == outcome(unarchived) == (200, "recorded")
    assert service.link_state("intercom") == "active"
    assert [e["details"]["topic"] for e in service.history()[-2:]] == [
        "contact.archived",
        "contact.unarchived",
    ]


def test_an_ignored_topic_is_acknowledged_and_writes_nothing(
    service: Service, ada: dict[str, Any], counter: RequestCounter
) -> None:
    before = service.dump()
    counter.reset()
    # When Intercom sends a topic this service does not act on
    response = service.webhook(
        delivered(intercom_delivery("conversation.user.created", INTERCOM_ID, created_at=NOW))
    )
    # Then 200 ignored, without a single DynamoDB request
    assert outcome(response) == (200, "ignored")
    assert counter.total == 0
    assert service.dump() == before


def test_an_unknown_contact_is_kept_and_answered_202(service: Service, ada: dict[str, Any]) -> None:
    before = service.dump()
    # When Intercom archives a contact the ledger does not know
    delivery = archived_at_intercom("not-linked-anywhere")
    first = service.webhook(delivered(delivery))
    # Then 202: recorded (the delivery is kept) and ignored (no contact changed)
    assert outcome(first) == (202, "unknown_contact")
    added = [item for item in service.dump() if item not in before]
    assert [item["type"]["S"] for item in added] == ["delivery"]
    assert service.contact() == ada
    # and its redelivery is a duplicate
    assert outcome(service.webhook(delivered(delivery))) == (200, "duplicate")


def test_a_redelivery_is_a_duplicate_and_changes_nothing(
    service: Service, ada: dict[str, Any]
) -> None:
    # Given a delivery applied once
    assert outcome(service.webhook(load_event("webhook_intercom_contact_archived")))[1] == (
        "recorded"
    )
    before = service.dump()
    # When Intercom delivers it again (as it does when an answer is slow)
    again = service.webhook(load_event("webhook_intercom_contact_archived"))
    # Then it is a duplicate, and not a byte of the table changed
    assert outcome(again) == (200, "duplicate")
    assert service.dump() == before


# -- bad input: 401, 404, 400, never a 5xx, and nothing written ---------------------------------


def _intercom_signed_with(secret: str) -> dict[str, Any]:
    return delivered(archived_at_intercom(secret=secret))


def _intercom_with_signature(value: str | None) -> dict[str, Any]:
    delivery = archived_at_intercom()
    headers = {"Content-Type": "application/json"}
    if value is not None:
        headers["X-Hub-Signature"] = value
    return delivered(delivery, headers=headers)


def _sequence_at(moment: datetime, secret: str = TEST_WEBHOOK_SECRET) -> dict[str, Any]:
    return delivered(
        sequence_delivery("CUSTOMER_ARCHIVED", "seq-customer-9", delivered_at=moment, secret=secret)
    )


UNAUTHENTICATED: list[tuple[str, Callable[[], dict[str, Any]], str]] = [
    ("no signature header", lambda: _intercom_with_signature(None), "missing_header"),
    (
        "forged signature",
        lambda: _intercom_with_signature("sha1=" + "0" * 40),
        "signature_mismatch",
    ),
    ("not sha1=<hex>", lambda: _intercom_with_signature("sha256=abc"), "malformed_header"),
    ("wrong secret", lambda: _intercom_signed_with("not-the-tenants-secret"), "signature_mismatch"),
    ("another tenant's secret", lambda: _intercom_signed_with(OTHER_SECRET), "signature_mismatch"),
    (
        "sequence replayed 10 minutes later",
        lambda: _sequence_at(utc_now() - timedelta(minutes=10)),
        "timestamp_too_old",
    ),
    (
        "sequence sample replayed (its fixed t)",
        lambda: load_event("webhook_sequence_customer_archived"),
        "timestamp_too_old",
    ),
    (
        "sequence dated 10 minutes ahead",
        lambda: _sequence_at(utc_now() + timedelta(minutes=10)),
        "timestamp_in_future",
    ),
    (
        "sequence with the wrong secret",
        lambda: _sequence_at(utc_now(), secret="not-the-tenants-secret"),
        "signature_mismatch",
    ),
    (
        "sequence without its header",
        lambda: delivered(
            sequence_delivery("CUSTOMER_ARCHIVED", "c", delivered_at=utc_now()),
            headers={"Content-Type": "application/json"},
        ),
        "missing_header",
    ),
]


@pytest.mark.parametrize(
    ("case", "build", "reason"), UNAUTHENTICATED, ids=[case for case, _, _ in UNAUTHENTICATED]
)
def test_a_delivery_that_does_not_verify_is_401_and_writes_nothing(
    service: Service,
    ada: dict[str, Any],
    counter: RequestCounter,
    case: str,
    build: Callable[[], dict[str, Any]],
    reason: str,
) -> None:
    before = service.dump()
    counter.reset()
    # When a delivery arrives whose signature does not hold (the real clock: `now`)
    response = service.webhook(build())
    # Then 401 with the reason, and the table was not even read
    assert error(response) == (401, "invalid_signature")
    assert body_of(response)["error"]["details"]["reason"] == reason
    assert counter.total == 0
    assert service.dump() == before


@pytest.mark.parametrize(
    ("vendor", "tenant"),
    [
        ("myspace", API_TENANT),  # no such vendor
        ("routera", API_TENANT),  # a vendor without webhooks, though configured
        ("constant_contact", API_TENANT),
        ("intercom", "nobody"),  # no such tenant
        ("intercom", NO_SECRET_TENANT),  # Intercom credentials, but no signing secret
        ("sequence", OTHER_TENANT),  # no Sequence credentials at all
        ("intercom", "a%23b"),  # not a tenant id ("a#b" as API Gateway passes it)
        ("intercom", "x" * 300),
    ],
)
def test_a_url_without_a_configured_webhook_is_404(
    service: Service, ada: dict[str, Any], vendor: str, tenant: str
) -> None:
    before = service.dump()
    # When a correctly signed delivery goes to a URL where no webhook is configured
    response = service.webhook(delivered(archived_at_intercom(), vendor=vendor, tenant=tenant))
    # Then 404, the same for each, and nothing written
    assert error(response) == (404, "webhook_not_configured")
    assert service.dump() == before


MALFORMED: list[tuple[str, bytes]] = [
    ("not JSON", b"{not json"),
    ("not UTF-8", b"\xff\xfe\x00garbage"),
    ("a JSON array", b"[1, 2, 3]"),
    ("an empty object", b"{}"),
    ("another envelope", encode({"type": "event", "id": "1", "topic": "contact.archived"})),
    (
        "a contact topic without an item",
        encode(
            {
                "type": "notification_event",
                "id": "n-1",
                "topic": "contact.archived",
                "app_id": "a",
                "created_at": NOW,
                "data": {},
            }
        ),
    ),
    (
        "a time past year 9999",
        encode(
            {
                "type": "notification_event",
                "id": "n-2",
                "topic": "contact.archived",
                "app_id": "a",
                "created_at": 10**15,
                "data": {"item": {"type": "contact", "id": INTERCOM_ID}},
            }
        ),
    ),
    (
        "an id too long for a key",
        encode(
            {
                "type": "notification_event",
                "id": "n" * 5000,
                "topic": "contact.archived",
                "app_id": "a",
                "created_at": NOW,
                "data": {"item": {"type": "contact", "id": INTERCOM_ID}},
            }
        ),
    ),
]


@pytest.mark.parametrize(("case", "body"), MALFORMED, ids=[case for case, _ in MALFORMED])
def test_a_signed_body_that_is_not_an_envelope_is_400_and_writes_nothing(
    service: Service, ada: dict[str, Any], case: str, body: bytes
) -> None:
    before = service.dump()
    # When a correctly signed delivery is not Intercom's envelope (sent base64, to be exact)
    response = service.webhook(delivered(sign_intercom(body), base64_body=True))
    # Then 400 in the one error shape, and nothing written
    assert error(response) == (400, "malformed_webhook")
    assert service.dump() == before


def test_a_sequence_body_that_is_not_its_envelope_is_400(service: Service) -> None:
    before = service.dump()
    response = service.webhook(
        delivered(sign_sequence(encode({"resource": {}}), delivered_at=utc_now()))
    )
    assert error(response) == (400, "malformed_webhook")
    assert service.dump() == before


def test_a_body_that_is_not_valid_base64_is_400(service: Service) -> None:
    event = delivered(archived_at_intercom())
    event["body"], event["isBase64Encoded"] = "***not base64***", True
    assert error(service.webhook(event)) == (400, "malformed_webhook")


def test_garbage_never_gets_a_5xx_nor_writes(service: Service, ada: dict[str, Any]) -> None:
    # Given deliveries of random bytes, headers and paths (seeded, so a failure repeats)
    rng = random.Random(5)
    before = service.dump()
    signature_values = [
        "",
        "sha1=",
        "sha1=" + "g" * 40,
        "t=,s=",
        "t=99999999999999999999,s=" + "a" * 64,
        "t=1,s=1,s=2,t=3",
        "=,=,=",
        "\u00e9\u00e8",
        "x" * 10_000,
    ]
    statuses = set()
    for round_ in range(150):
        vendor = rng.choice(["intercom", "sequence", "routera", "", "%00", "intercom/../x"])
        tenant = rng.choice([API_TENANT, OTHER_TENANT, "", "../../etc", "\u00e9", "a" * 129])
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 300)))
        headers: dict[str, str] = {}
        for name in rng.sample(["X-Hub-Signature", "Sequence-Signature", "x-hub-signature"], 2):
            headers[name] = rng.choice(signature_values)
        event = delivered(
            SignedDelivery(vendor=Vendor.INTERCOM, body=body, headers=headers),
            vendor=vendor,
            tenant=tenant,
            base64_body=round_ % 2 == 0,
        )
        if round_ % 5 == 0:
            event["body"] = None
        # When each is delivered
        response = service.webhook(event)
        statuses.add(response["statusCode"])
        # Then it is refused with a 4xx in the error shape
        assert 400 <= response["statusCode"] < 500, (round_, response)
        assert set(body_of(response)) == {"error"}
    assert statuses >= {401, 404}
    # and nothing was written
    assert service.dump() == before


# -- Sequence: a whole customer, fanned out by SyncFunction -------------------------------------


@pytest.fixture
def sequence_stack(
    service: Service, stack: SandboxStack, monkeypatch: pytest.MonkeyPatch
) -> SandboxStack:
    """The Sequence sandbox holding customer seq-customer-9, and SyncFunction's vendor clients
    pointed at it (the tenant's credentials are the sandbox's, webhook secret included)."""
    clients = sandbox_clients(stack, stack.credentials(API_TENANT))
    monkeypatch.setattr(dependencies, "get_vendor_clients", lambda: clients)
    monkeypatch.setenv("EVENT_BUS_NAME", "contact-archive-test")
    get_settings.cache_clear()
    return stack


@pytest.fixture
def sync(sequence_stack: SandboxStack) -> Callable[..., dict[str, Any]]:
    """SyncFunction, imported once its vendor clients point at the sandbox (it takes them then):
    `sync(record, ...)` hands it a batch of stream records."""
    function = Functions("sync")
    return lambda *records: function("sync", {"Records": list(records)})


def test_customer_archived_is_queued_then_fanned_out_to_the_customers_links(
    service: Service, sequence_stack: SandboxStack, sync: Callable[..., dict[str, Any]]
) -> None:
    # Given two Sequence contacts of customer seq-customer-9 in the ledger, one of another
    # customer, and a third contact of seq-customer-9 the ledger does not know
    sequence = sequence_stack.sequence
    ids = {}
    for contact_id, customer in (
        ("c-1", "seq-customer-9"),
        ("c-2", "seq-customer-9"),
        ("c-3", "other"),
    ):
        made = sequence.add_contact(
            customer, name=f"Person {contact_id}", email=f"{contact_id}@example.com"
        )
        ids[contact_id] = made["id"]
        link = {"vendor": "sequence", "vendor_id": made["id"], "scope": customer}
        event = api_event("register_contact", contact_id=contact_id, body={"links": [link]})
        assert service("register", event)["statusCode"] == 201
    sequence.add_contact("seq-customer-9", name="Stranger", email="stranger@example.com")
    before = service.dump()
    # When Sequence's CUSTOMER_ARCHIVED sample arrives within its 5 minutes
    service.clock.fixed = SEQUENCE_SAMPLE_SENT + timedelta(seconds=30)
    response = service.webhook(load_event("webhook_sequence_customer_archived"))
    # Then 202 queued: the delivery and one change item are kept, no contact touched yet
    assert outcome(response) == (202, "queued")
    added = [item for item in service.dump() if item not in before]
    assert sorted(item["type"]["S"] for item in added) == ["delivery", CUSTOMER_CHANGE_TYPE]
    (change,) = [item for item in added if item["type"]["S"] == CUSTOMER_CHANGE_TYPE]
    assert change["customer_id"] == {"S": "seq-customer-9"}
    assert {service.link_state("sequence", c) for c in ("c-1", "c-2", "c-3")} == {"active"}
    # and a redelivery is a duplicate that queues nothing more
    after_queue = service.dump()
    again = service.webhook(load_event("webhook_sequence_customer_archived"))
    assert outcome(again) == (200, "duplicate")
    assert service.dump() == after_queue

    # When SyncFunction gets the change item's stream record
    result = sync(stream_record(change))
    # Then every link of that customer is archived, from Sequence's webhook; the other not
    assert result == {"batchItemFailures": []}
    assert service.link_state("sequence", "c-1") == "archived"
    assert service.link_state("sequence", "c-2") == "archived"
    assert service.link_state("sequence", "c-3") == "active"
    last = service.history("c-1")[-1]
    assert (last["action"], last["source"]) == ("vendor_changed", "vendor:sequence")
    assert last["details"]["customer_id"] == "seq-customer-9"
    assert last["details"]["topic"] == "CUSTOMER_ARCHIVED"
    # Each listed contact's report was kept, the stranger's as an unknown contact; Sequence
    # was only asked for the list
    kept = {
        item["notification_id"]["S"].rpartition(":")[2]: item["outcome"]["S"]
        for item in service.dump()
        if item not in after_queue and item["type"]["S"] == "delivery"
    }
    assert sorted(kept.values()) == ["recorded", "recorded", "unknown_contact"]
    assert kept[ids["c-1"]] == kept[ids["c-2"]] == "recorded"
    assert [request.method for request in sequence.requests] == ["GET"]
    # And the same record again (a stream retry) changes nothing
    settled = service.dump()
    sync(stream_record(change, "101"))
    assert service.dump() == settled


def test_a_fan_out_is_retried_while_the_vendor_is_down(
    service: Service, sequence_stack: SandboxStack, sync: Callable[..., dict[str, Any]]
) -> None:
    # Given a queued customer change, and Sequence answering 503
    sequence_stack.sequence.add_contact("seq-customer-9", name="A", email="a@example.com")
    service.clock.fixed = SEQUENCE_SAMPLE_SENT
    assert outcome(service.webhook(load_event("webhook_sequence_customer_archived")))[1] == "queued"
    (change,) = [i for i in service.dump() if i["type"]["S"] == CUSTOMER_CHANGE_TYPE]
    sequence_stack.faults.server_error_rate = 1.0
    # When SyncFunction handles its record
    result = sync(stream_record(change))
    # Then the record is reported failed, for the stream to retry
    assert result == {"batchItemFailures": [{"itemIdentifier": "100"}]}


# -- the tenant's policy, through PUT /settings ---------------------------------------------------


def test_record_and_mirror_policies_through_the_api(service: Service, ada: dict[str, Any]) -> None:
    # Given the default policy
    current = service("register", load_event("get_settings"))
    assert (current["statusCode"], body_of(current)) == (
        200,
        {"vendor_change_policy": "record", "archived_retention_days": 365},
    )
    # When the tenant chooses `mirror` (the sample) and Intercom archives Ada by itself
    chosen = service("register", load_event("put_settings"))
    assert (chosen["statusCode"], body_of(chosen)) == (
        200,
        {"vendor_change_policy": "mirror", "archived_retention_days": 365},
    )
    assert body_of(service("register", load_event("get_settings")))["vendor_change_policy"] == (
        "mirror"
    )
    response = service.webhook(load_event("webhook_intercom_contact_archived"))
    # Then Ada is archived, and the archive goes to the other vendors, not back to Intercom
    assert outcome(response) == (200, "mirrored")
    contact = service.contact()
    assert contact["status"] == "archived"
    assert link_states_of(contact) == {
        "intercom": "archived",
        "routera": "archiving",
        "sequence": "archiving",
        "constant_contact": "archiving",
    }
    assert [(e["action"], e["source"]) for e in service.history()[-2:]] == [
        ("vendor_changed", "vendor:intercom"),
        ("archived", "vendor:intercom"),
    ]
    # When the tenant goes back to `record` and Intercom unarchives her
    back = api_event("put_settings", body={"vendor_change_policy": "record"})
    assert body_of(service("register", back))["vendor_change_policy"] == "record"
    response = service.webhook(load_event("webhook_intercom_contact_unarchived"))
    # Then only the Intercom link follows: Ada stays archived everywhere else, so she is
    # partially archived
    assert outcome(response) == (200, "recorded")
    assert service.contact()["status"] == "partially_archived"
    assert service.link_state("intercom") == "active"
    assert link_states_of(service.contact())["routera"] == "archiving"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ('{"vendor_change_policy": "ignore"}', 422, "validation_error"),
        ('{"vendor_change_policy": "mirror", "extra": 1}', 422, "validation_error"),
        ("{}", 422, "validation_error"),
        ("{not json", 400, "malformed_json"),
    ],
)
def test_invalid_settings_are_refused(service: Service, body: str, status: int, code: str) -> None:
    response = service("register", api_event("put_settings", raw_body=body))
    assert error(response) == (status, code)
    assert body_of(service("register", load_event("get_settings")))["vendor_change_policy"] == (
        "record"
    )


def test_settings_need_the_authorizers_tenant(service: Service) -> None:
    assert error(service("register", api_event("put_settings", tenant=None))) == (
        401,
        "unauthorized",
    )


# -- tenants ---------------------------------------------------------------------------------------


def test_a_webhook_never_changes_another_tenants_contact(
    service: Service, ada: dict[str, Any]
) -> None:
    before = service.dump()
    # When tenant B's correctly signed delivery names tenant A's Intercom id
    to_b = service.webhook(
        delivered(archived_at_intercom(secret=OTHER_SECRET), tenant=OTHER_TENANT)
    )
    # Then it is an unknown contact of tenant B: kept under B, nothing of A's touched
    assert outcome(to_b) == (202, "unknown_contact")
    added = [item for item in service.dump() if item not in before]
    assert len(added) == 1 and added[0]["pk"]["S"].startswith(f"TENANT#{OTHER_TENANT}#DELIVERY#")
    assert service.contact() == ada
    # And tenant B's delivery sent to tenant A's URL does not verify there
    to_a = service.webhook(delivered(archived_at_intercom(secret=OTHER_SECRET), tenant=API_TENANT))
    assert error(to_a) == (401, "invalid_signature")
    assert service.contact() == ada


# -- cost ------------------------------------------------------------------------------------------


def test_dynamodb_requests_per_webhook(
    service: Service, ada: dict[str, Any], counter: RequestCounter
) -> None:
    def requests(event: dict[str, Any]) -> dict[str, int]:
        counter.reset()
        service.webhook(event)
        return dict(counter.calls)

    # Recorded: find by vendor id, read the contact, one transaction, read the policy
    recorded = load_event("webhook_intercom_contact_archived")
    assert requests(recorded) == {"GetItem": 3, "TransactWriteItems": 1}
    # Duplicate: the same two reads, then the delivery's conditional put refused
    assert requests(recorded) == {"GetItem": 2, "PutItem": 1}
    # Unknown contact: one read, the delivery kept
    assert requests(delivered(archived_at_intercom("nobody"))) == {"GetItem": 1, "PutItem": 1}
    # A whole customer: one transaction (delivery and change item); the rest is async
    service.clock.fixed = SEQUENCE_SAMPLE_SENT
    assert requests(load_event("webhook_sequence_customer_archived")) == {"TransactWriteItems": 1}


def test_a_fan_out_the_vendor_cannot_serve_is_dropped_not_retried(
    service: Service, sequence_stack: SandboxStack, sync: Callable[..., dict[str, Any]]
) -> None:
    # Given a queued change for a customer Sequence does not have (404 when listed)
    service.clock.fixed = SEQUENCE_SAMPLE_SENT
    assert outcome(service.webhook(load_event("webhook_sequence_customer_archived")))[1] == "queued"
    (change,) = [i for i in service.dump() if i["type"]["S"] == CUSTOMER_CHANGE_TYPE]
    before = service.dump()
    # When SyncFunction handles its record
    result = sync(stream_record(change))
    # Then it is dropped (retrying cannot help): no failure reported, nothing written
    assert result == {"batchItemFailures": []}
    assert service.dump() == before


def test_the_change_items_expiry_and_other_records_are_not_fanned_out() -> None:
    from contact_archive.inbound.customer_changes import customer_change_of

    image = {
        "pk": {"S": "TENANT#t#CUSTOMER_CHANGE#sequence#n"},
        "sk": {"S": "CUSTOMER_CHANGE"},
        "type": {"S": CUSTOMER_CHANGE_TYPE},
        "tenant_id": {"S": "t"},
        "vendor": {"S": "sequence"},
        "customer_id": {"S": "cus-1"},
        "state": {"S": "archived"},
        "occurred_at": {"S": "2026-11-22T21:14:00.000Z"},
        "topic": {"S": "CUSTOMER_ARCHIVED"},
        "notification_id": {"S": "n"},
        "expires_at": {"N": "1795986840"},
    }
    inserted = customer_change_of(stream_record(image))
    assert inserted is not None and inserted.customer_id == "cus-1"
    removed = {**stream_record(image), "eventName": "REMOVE"}
    removed["dynamodb"] = {"Keys": removed["dynamodb"]["Keys"], "OldImage": image}
    assert customer_change_of(removed) is None
    assert customer_change_of(load_event("sync_stream")["Records"][0]) is None


# -- the local tool ------------------------------------------------------------------------------


def test_send_webhook_signs_what_the_handler_accepts(
    service: Service, ada: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    import httpx

    from devtools.webhooks import main

    # Given the local API (here: the handler in-process)
    def post(url: str, *, content: bytes, headers: dict[str, str], timeout: float) -> Any:
        vendor, tenant = url.split("/webhooks/")[1].split("/")
        answer = service.webhook(
            delivered(SignedDelivery(Vendor(vendor), content, headers), tenant=tenant)
        )
        return httpx.Response(answer["statusCode"], text=answer["body"])

    monkeypatch.setattr(httpx, "post", post)
    # When the tool sends Intercom's contact.archived for Ada
    code = main(["intercom", "contact.archived", INTERCOM_ID])
    # Then it verified and was recorded
    assert code == 0
    assert '200 {"outcome":"recorded"}' in capsys.readouterr().out
    assert service.link_state("intercom") == "archived"
