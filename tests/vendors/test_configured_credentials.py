"""Which tenants have which vendors (reconciliation visits each pair): the names of the secrets
under the prefix in Secrets Manager (`ListSecrets`, paged), or the keys of the local JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.credential_sources import JsonSource, SecretsManagerSource

PREFIX = "contact-archive/vendors"


@pytest.fixture
def secrets() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("secretsmanager")


def create(secrets: Any, name: str) -> None:
    secrets.create_secret(Name=name, SecretString=json.dumps({"access_token": "SECRET"}))


def test_the_secrets_under_the_prefix_name_the_pairs(secrets: Any) -> None:
    # Given secrets of two tenants, and others that are not vendor credentials of this prefix
    for name in (
        f"{PREFIX}/tenant-a/intercom",
        f"{PREFIX}/tenant-a/constant_contact",
        f"{PREFIX}/tenant-b/routera",
        f"{PREFIX}/tenant-b/unknown-vendor",
        f"{PREFIX}/tenant-c",
        f"{PREFIX}/tenant-c/sequence/extra",
        f"{PREFIX}-old/tenant-d/intercom",
        "CONTACT-ARCHIVE/VENDORS/tenant-e/intercom",
        "other-service/tenant-a/intercom",
    ):
        create(secrets, name)
    # When the configured pairs are listed
    pairs = SecretsManagerSource(PREFIX, secrets_client=secrets).configured()
    # Then only well-formed names under the exact prefix count, sorted
    assert pairs == [
        ("tenant-a", Vendor.CONSTANT_CONTACT),
        ("tenant-a", Vendor.INTERCOM),
        ("tenant-b", Vendor.ROUTERA),
    ]


def test_the_listing_reads_every_page(secrets: Any) -> None:
    # Given more secrets than one ListSecrets page holds
    for number in range(130):
        create(secrets, f"{PREFIX}/tenant-{number:03d}/intercom")
    calls: list[str] = []
    secrets.meta.events.register(
        "before-call.secrets-manager.ListSecrets", lambda **_: calls.append("ListSecrets")
    )
    # When they are listed
    pairs = SecretsManagerSource(PREFIX, secrets_client=secrets).configured()
    # Then every one is there, from two pages
    assert len(pairs) == 130 and pairs[0] == ("tenant-000", Vendor.INTERCOM)
    assert calls == ["ListSecrets", "ListSecrets"]


def test_a_source_without_a_client_makes_its_own(secrets: Any) -> None:
    create(secrets, f"{PREFIX}/tenant-a/sequence")
    assert SecretsManagerSource(PREFIX).configured() == [("tenant-a", Vendor.SEQUENCE)]


def test_the_local_json_lists_its_tenants_and_known_vendors() -> None:
    document = {
        "tenant-b": {"routera": {}, "sequence": {}},
        "tenant-a": {"intercom": {}, "not-a-vendor": {}},
        "broken": "not an object",
    }
    assert JsonSource(document).configured() == [
        ("tenant-a", Vendor.INTERCOM),
        ("tenant-b", Vendor.ROUTERA),
        ("tenant-b", Vendor.SEQUENCE),
    ]
