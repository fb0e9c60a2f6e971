"""Renewed secrets reach warm containers: the registry replaces a client whose credentials the
source (cached for its TTL) answers differently, keeps one that rotated them itself, and a
`fresh` load reads past the cache (Secrets Manager's, or a local file another process wrote)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.client import LinkRef
from contact_archive.vendors.credential_sources import JsonSource, SecretsManagerSource
from contact_archive.vendors.credentials import IntercomCredentials, SequenceCredentials
from contact_archive.vendors.errors import PermanentVendorError
from contact_archive.vendors.registry import VendorClients
from devtools.sandboxes.sequence import SequenceSandbox
from devtools.sandboxes.stack import IN_PROCESS_BASE_URLS
from tests.fakes import FakeTime
from tests.vendors.fleet.containers import Fleet, SharedSecrets

TENANT = "tenant-a"
SEQUENCE = Vendor.SEQUENCE
CUSTOMER = "customer-1"
START = datetime(2026, 3, 17, 12, 0, tzinfo=UTC).timestamp()
PREFIX = "contact-archive/vendors"


def test_a_replaced_secret_reaches_a_warm_container_within_its_cache_ttl() -> None:
    # Given a warm container whose Sequence client was made from its cached secret (5 minutes)
    clock = FakeTime(START)
    sandbox = SequenceSandbox(clock=lambda: datetime.fromtimestamp(clock.now, UTC))
    ref = LinkRef(sandbox.add_contact(CUSTOMER)["id"], CUSTOMER)
    account = {
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
        "base_url": IN_PROCESS_BASE_URLS[SEQUENCE],
    }
    secrets = SharedSecrets({TENANT: {SEQUENCE.value: account}})
    container = VendorClients(
        secrets.container(max_age=300, clock=clock),
        transports={SEQUENCE: sandbox.transport()},
        clock=clock,
        sleep=clock.sleep,
    )
    warm = container(TENANT, SEQUENCE)
    warm.fetch(ref)
    # When the tenant's key secret is replaced at Sequence and in the secret store
    sandbox.add_key(sandbox.client_id, "replaced-secret")
    replaced = SequenceCredentials.model_validate({**account, "client_secret": "replaced-secret"})
    secrets.store.save(TENANT, SEQUENCE, replaced)
    # Then within the cache's TTL the container still has its client (refused by Sequence)
    assert container(TENANT, SEQUENCE) is warm
    with pytest.raises(PermanentVendorError):
        warm.fetch(ref)
    # And once the TTL has passed, the container has a client with the new secret
    clock.now += 300
    renewed = container(TENANT, SEQUENCE)
    assert renewed is not warm
    assert renewed.fetch(ref).vendor_id == ref.vendor_id


def test_a_client_that_rotated_its_own_credentials_is_kept() -> None:
    # Given a container's Constant Contact client, which renewed (and saved) its token
    fleet = Fleet()
    container = fleet.container()
    client = container(TENANT, Vendor.CONSTANT_CONTACT)
    fleet.sandbox.expire_access_token()
    fleet.fetch(container)
    # When the container is asked for it again, now and past the cache's TTL
    again = container(TENANT, Vendor.CONSTANT_CONTACT)
    fleet.clock.now += 301
    later = container(TENANT, Vendor.CONSTANT_CONTACT)
    # Then it is the same client: the source answers the pair it rotated to
    assert again is client and later is client


@pytest.fixture
def secrets() -> Iterator[Any]:
    parameters.clear_caches()
    with mock_aws():
        client = boto3.client("secretsmanager")
        client.create_secret(
            Name=f"{PREFIX}/{TENANT}/intercom", SecretString=json.dumps({"access_token": "one"})
        )
        yield client
    parameters.clear_caches()


def test_a_fresh_load_reads_past_the_secret_cache(secrets: Any) -> None:
    # Given a container's cached secret, then the secret renewed by another container
    source = SecretsManagerSource(PREFIX, max_age_seconds=300)
    source.load(TENANT, Vendor.INTERCOM)
    secrets.put_secret_value(
        SecretId=f"{PREFIX}/{TENANT}/intercom", SecretString=json.dumps({"access_token": "two"})
    )
    # When loaded as usual, then from the cache; when loaded fresh, then the renewed one
    cached = source.load(TENANT, Vendor.INTERCOM)
    fresh = source.load(TENANT, Vendor.INTERCOM, fresh=True)
    assert isinstance(cached, IntercomCredentials) and isinstance(fresh, IntercomCredentials)
    assert cached.access_token.get_secret_value() == "one"
    assert fresh.access_token.get_secret_value() == "two"
    # And the cache now holds the renewed one
    again = source.load(TENANT, Vendor.INTERCOM)
    assert isinstance(again, IntercomCredentials)
    assert again.access_token.get_secret_value() == "two"


def test_a_fresh_load_reads_a_local_file_another_process_wrote(tmp_path: Path) -> None:
    # Given two processes' sources over one local credentials file
    path = tmp_path / "credentials.json"
    path.write_text(json.dumps({TENANT: {"intercom": {"access_token": "one"}}}))
    mine, theirs = JsonSource.from_file(path), JsonSource.from_file(path)
    # When the other one saves a renewed token
    theirs.save(
        TENANT, Vendor.INTERCOM, IntercomCredentials.model_validate({"access_token": "two"})
    )
    # Then a fresh load reads it; a plain one keeps what the process read
    kept = mine.load(TENANT, Vendor.INTERCOM)
    fresh = mine.load(TENANT, Vendor.INTERCOM, fresh=True)
    assert isinstance(kept, IntercomCredentials) and isinstance(fresh, IntercomCredentials)
    assert kept.access_token.get_secret_value() == "one"
    assert fresh.access_token.get_secret_value() == "two"
