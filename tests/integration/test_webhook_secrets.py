"""WebhookFunction as deployed: signing secrets from their own Secrets Manager secret
(`<prefix>/<tenant_id>/webhooks`, on moto), never from the vendor credentials, and the Secrets
Manager calls a burst of deliveries costs, counted with botocore's event hooks on an injected
clock: one per tenant and TTL, whether the tenant exists or not."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from contact_archive import dependencies
from contact_archive.ledger.models import Vendor, utc_now
from contact_archive.vendors import signing_secrets
from contact_archive.vendors.credential_sources import SecretsManagerSource
from contact_archive.vendors.signing_secrets import (
    MISSING_TTL_SECONDS,
    SecretCache,
    SecretsManagerSigningSecrets,
)
from devtools.webhooks import TEST_WEBHOOK_SECRET, intercom_delivery, sequence_delivery
from tests.support import API_TENANT, Functions, delivered, load_event

PREFIX = "contact-archive/vendors"
UNKNOWN_TENANT = "tenant-nobody"
NOW = 1_795_381_800  # UNIX seconds, for the deliveries' own times
# The vendor credentials as they were before the split, signing secret included.
INTERCOM_CREDENTIALS = {"access_token": "ic-token-SECRET", "webhook_secret": TEST_WEBHOOK_SECRET}


class Clock:
    """The cache's clock (monotonic seconds), moved by the test."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class SecretReads:
    """The `GetSecretValue` calls a client makes, by secret name (botocore's event hooks)."""

    def __init__(self, client: Any) -> None:
        self.names: Counter[str] = Counter()
        client.meta.events.register(
            "before-parameter-build.secrets-manager.GetSecretValue", self._count
        )

    def _count(self, params: dict[str, Any], **_: Any) -> None:
        self.names[params["SecretId"]] += 1

    @property
    def total(self) -> int:
        return sum(self.names.values())


class Webhooks:
    """WebhookFunction as Lambda imports it, on the test's secrets."""

    def __init__(self, secrets: Any, clock: Clock) -> None:
        self.secrets = secrets
        self.clock = clock
        self.function = Functions("webhook")
        source = dependencies.get_signing_secrets()
        assert isinstance(source, SecretsManagerSigningSecrets)
        self.reads = SecretReads(source.client)

    def post(self, tenant: str, vendor: str = "intercom") -> int:
        delivery = (
            intercom_delivery("contact.archived", "ic-404", created_at=NOW)
            if vendor == "intercom"
            else sequence_delivery("CUSTOMER_ARCHIVED", "cus-404", delivered_at=utc_now())
        )
        return int(self.function("webhook", delivered(delivery, tenant=tenant))["statusCode"])

    def head(self, tenant: str, vendor: str = "intercom") -> int:
        event = load_event("webhook_check")
        event["path"] = f"/webhooks/{vendor}/{tenant}"
        event["pathParameters"] = {"vendor": vendor, "tenant_id": tenant}
        return int(self.function("webhook", event)["statusCode"])

    def store(self, tenant: str, secrets: dict[str, str]) -> None:
        self.secrets.create_secret(
            Name=f"{PREFIX}/{tenant}/webhooks", SecretString=json.dumps(secrets)
        )

    def stored(self, tenant: str) -> dict[str, str]:
        name = f"{PREFIX}/{tenant}/webhooks"
        return dict(json.loads(self.secrets.get_secret_value(SecretId=name)["SecretString"]))


@pytest.fixture
def webhooks(ledger_table: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Webhooks]:
    # Given a deployed WebhookFunction: no local credentials, secrets under the prefix
    monkeypatch.delenv("VENDOR_CREDENTIALS", raising=False)
    monkeypatch.delenv("VENDOR_CREDENTIALS_FILE", raising=False)
    monkeypatch.setenv("VENDOR_SECRET_PREFIX", PREFIX)
    dependencies.get_credential_source.cache_clear()
    dependencies.secrets_manager_signing_secrets.cache_clear()
    # and a fresh container's cache, on a clock the test moves
    clock = Clock()
    monkeypatch.setattr(signing_secrets, "CACHE", SecretCache(clock=clock))
    secrets = boto3.client("secretsmanager")
    secrets.create_secret(
        Name=f"{PREFIX}/{API_TENANT}/intercom", SecretString=json.dumps(INTERCOM_CREDENTIALS)
    )
    yield Webhooks(secrets, clock)
    dependencies.get_credential_source.cache_clear()
    dependencies.secrets_manager_signing_secrets.cache_clear()


def test_a_burst_for_an_unknown_tenant_costs_one_secrets_manager_call_per_ttl(
    webhooks: Webhooks,
) -> None:
    # When 100 deliveries and 20 URL checks arrive for a tenant that has no secrets
    answers = [webhooks.post(UNKNOWN_TENANT) for _ in range(100)]
    answers += [webhooks.head(UNKNOWN_TENANT) for _ in range(20)]
    # Then each is a 404, and Secrets Manager was asked once
    assert set(answers) == {404}
    assert webhooks.reads.names == {f"{PREFIX}/{UNKNOWN_TENANT}/webhooks": 1}
    # And again once the negative answer expired, then kept again
    webhooks.clock.now += MISSING_TTL_SECONDS
    assert {webhooks.post(UNKNOWN_TENANT) for _ in range(50)} == {404}
    assert webhooks.reads.total == 2


def test_a_known_tenants_secrets_are_read_once_and_verify_both_vendors(
    webhooks: Webhooks,
) -> None:
    # Given the tenant's signing secrets in their own secret
    webhooks.store(API_TENANT, {"intercom": TEST_WEBHOOK_SECRET, "sequence": TEST_WEBHOOK_SECRET})
    # When deliveries of both vendors arrive, and a URL check
    answers = [webhooks.post(API_TENANT, vendor) for vendor in ("intercom", "sequence") * 10]
    # Then they verify (kept, or recognised as redeliveries), with one read in all
    assert all(200 <= answer < 300 for answer in answers)
    assert webhooks.head(API_TENANT) == 200
    assert webhooks.reads.names == {f"{PREFIX}/{API_TENANT}/webhooks": 1}


def test_only_the_signing_secrets_are_read_never_the_vendor_credentials(
    webhooks: Webhooks,
) -> None:
    # Given a tenant not yet migrated: its signing secret only in its Intercom credentials
    # When Intercom delivers and checks the URL
    answers = {webhooks.post(API_TENANT), webhooks.head(API_TENANT)}
    # Then the URL is not configured, and the credentials were never read
    assert answers == {404}
    assert set(webhooks.reads.names) == {f"{PREFIX}/{API_TENANT}/webhooks"}


def test_a_vendor_without_a_secret_in_the_tenants_document_is_404_without_another_read(
    webhooks: Webhooks,
) -> None:
    # Given a tenant with Intercom's secret only (and an empty Sequence one)
    webhooks.store(API_TENANT, {"intercom": TEST_WEBHOOK_SECRET, "sequence": ""})
    # Then Intercom's deliveries verify, Sequence's URL is not configured, from one read
    assert webhooks.post(API_TENANT, "intercom") == 202
    assert webhooks.post(API_TENANT, "sequence") == 404
    assert webhooks.head(API_TENANT, "sequence") == 404
    assert webhooks.reads.total == 1


def test_a_tenant_configured_after_a_miss_is_served_once_the_miss_expires(
    webhooks: Webhooks,
) -> None:
    # Given a delivery refused before the tenant's secret existed
    assert webhooks.post(API_TENANT) == 404
    webhooks.store(API_TENANT, {"intercom": TEST_WEBHOOK_SECRET})
    # Then the miss is kept for its TTL, and the secret read once it expired
    assert webhooks.post(API_TENANT) == 404
    webhooks.clock.now += MISSING_TTL_SECONDS
    assert webhooks.post(API_TENANT) == 202
    assert webhooks.reads.total == 2


@pytest.mark.parametrize("stored", ["not json", '["a"]', '{"intercom": 1}', '{"slack": "x"}'])
def test_a_secret_that_does_not_parse_is_404_logged_once_and_never_shown(
    webhooks: Webhooks, info_logs: Any, stored: str
) -> None:
    # Given signing secrets stored in a shape that is not theirs
    webhooks.secrets.create_secret(Name=f"{PREFIX}/{API_TENANT}/webhooks", SecretString=stored)
    # When deliveries arrive
    answers = {webhooks.post(API_TENANT) for _ in range(5)}
    # Then 404, one read and one warning naming the tenant, never what is stored
    assert answers == {404}
    assert webhooks.reads.total == 1
    lines = [json.loads(line) for line in info_logs.getvalue().splitlines()]
    warnings = [line for line in lines if line["message"] == "webhook signing secrets are invalid"]
    assert len(warnings) == 1 and warnings[0]["tenant_id"] == API_TENANT
    assert stored not in info_logs.getvalue() and "slack" not in info_logs.getvalue()


@pytest.mark.parametrize("tenant", ["a%23b", "x" * 300])
def test_a_tenant_id_that_cannot_name_a_secret_costs_no_call(
    webhooks: Webhooks, tenant: str
) -> None:
    assert webhooks.post(tenant) == 404
    assert webhooks.reads.total == 0


def test_the_local_credentials_document_still_serves_the_signing_secrets(
    webhooks: Webhooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the local stack's shape: `webhook_secret` in the tenant's vendor credentials
    monkeypatch.setenv(
        "VENDOR_CREDENTIALS", json.dumps({"t-local": {"intercom": INTERCOM_CREDENTIALS}})
    )
    dependencies.get_settings.cache_clear()
    dependencies.get_credential_source.cache_clear()
    # Then its deliveries verify there, without Secrets Manager
    assert webhooks.post("t-local") == 202
    assert webhooks.head("t-local") == 200
    assert webhooks.reads.total == 0


def test_an_older_stack_is_migrated_by_splitting_its_secrets(
    webhooks: Webhooks, capsys: Any
) -> None:
    from devtools.split_webhook_secrets import main

    # Given a stack deployed before the split: signing secrets inside the vendor credentials
    # (the tenant's Intercom one, from the fixture; a second tenant's Sequence one, with a
    # value of its own already split), and vendors without any
    webhooks.secrets.create_secret(
        Name=f"{PREFIX}/t2/sequence",
        SecretString=json.dumps(
            {"client_id": "c", "client_secret": "SECRET", "webhook_secret": "old-SECRET"}
        ),
    )
    webhooks.store("t2", {"sequence": "already-split"})
    webhooks.secrets.create_secret(
        Name=f"{PREFIX}/t3/routera",
        SecretString=json.dumps({"client_id": "c", "client_secret": "SECRET"}),
    )
    assert webhooks.post(API_TENANT) == 404
    # When the tool runs (a dry run first, then for real, then again)
    assert main(["--prefix", PREFIX, "--dry-run"]) == 0
    assert main(["--prefix", PREFIX]) == 0
    assert main(["--prefix", PREFIX]) == 0
    # Then the tenant's secret holds what its credentials held; a value already split stays
    assert webhooks.stored(API_TENANT) == {"intercom": TEST_WEBHOOK_SECRET}
    assert webhooks.stored("t2") == {"sequence": "already-split"}
    # And it said so, naming tenants and vendors only, and the third run changed nothing
    out = capsys.readouterr().out
    assert f"would copy {API_TENANT}: intercom -> {PREFIX}/{API_TENANT}/webhooks" in out
    assert f"copied {API_TENANT}: intercom -> {PREFIX}/{API_TENANT}/webhooks" in out
    assert out.splitlines()[-1] == "0 tenant(s) changed"
    assert "SECRET" not in out and TEST_WEBHOOK_SECRET not in out
    # And once the container's miss expires, the tenant's deliveries verify
    webhooks.clock.now += MISSING_TTL_SECONDS
    assert webhooks.post(API_TENANT) == 202


def test_reconciliation_does_not_take_the_signing_secrets_for_a_vendor(
    webhooks: Webhooks,
) -> None:
    # Given a tenant's Intercom credentials and its signing secrets
    webhooks.store(API_TENANT, {"intercom": TEST_WEBHOOK_SECRET})
    # Then the pairs reconciliation visits are its vendors only
    configured = SecretsManagerSource(PREFIX, secrets_client=webhooks.secrets).configured()
    assert configured == [(API_TENANT, Vendor.INTERCOM)]
