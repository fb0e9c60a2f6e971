"""Vendor credentials per tenant: Secrets Manager through Powertools Parameters (cached, JSON),
a local file or env override, rotated tokens saved back, and secret values never shown."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from botocore.exceptions import ClientError
from moto import mock_aws

from contact_archive import dependencies
from contact_archive.ledger.models import Vendor
from contact_archive.vendors.credential_sources import JsonSource, SecretsManagerSource
from contact_archive.vendors.credentials import ConstantContactCredentials, IntercomCredentials
from contact_archive.vendors.errors import TransientVendorError, VendorNotConfigured

PREFIX = "contact-archive/vendors"
INTERCOM = {"access_token": "ic-token-SECRET", "region": "eu"}
CONSTANT_CONTACT = {
    "client_id": "cc-client",
    "client_secret": "cc-client-SECRET",
    "access_token": "cc-access-SECRET",
    "refresh_token": "cc-refresh-SECRET",
}


@pytest.fixture
def secrets() -> Iterator[Any]:
    parameters.clear_caches()
    with mock_aws():
        client = boto3.client("secretsmanager")
        client.create_secret(Name=f"{PREFIX}/tenant-a/intercom", SecretString=json.dumps(INTERCOM))
        client.create_secret(
            Name=f"{PREFIX}/tenant-a/constant_contact", SecretString=json.dumps(CONSTANT_CONTACT)
        )
        yield client
    parameters.clear_caches()


def test_credentials_load_from_the_tenants_secret_and_never_show_their_values(
    secrets: Any,
) -> None:
    # When
    credentials = SecretsManagerSource(PREFIX).load("tenant-a", Vendor.INTERCOM)
    # Then
    assert isinstance(credentials, IntercomCredentials)
    assert credentials.access_token.get_secret_value() == "ic-token-SECRET"
    assert credentials.api_base_url == "https://api.eu.intercom.io"
    assert "SECRET" not in repr(credentials) and "SECRET" not in str(credentials)


def test_loaded_credentials_are_cached_between_invocations(secrets: Any) -> None:
    # Given a load, and then a change behind the cache's back
    source = SecretsManagerSource(PREFIX, max_age_seconds=300)
    source.load("tenant-a", Vendor.INTERCOM)
    secrets.put_secret_value(
        SecretId=f"{PREFIX}/tenant-a/intercom",
        SecretString=json.dumps({**INTERCOM, "access_token": "changed"}),
    )
    # When loaded again within max_age
    again = source.load("tenant-a", Vendor.INTERCOM)
    # Then the cached value answers: Secrets Manager was not asked again
    assert isinstance(again, IntercomCredentials)
    assert again.access_token.get_secret_value() == "ic-token-SECRET"


def test_a_tenant_without_a_secret_is_not_configured_and_other_tenants_are_not_consulted(
    secrets: Any,
) -> None:
    source = SecretsManagerSource(PREFIX)
    with pytest.raises(VendorNotConfigured):
        source.load("tenant-b", Vendor.INTERCOM)
    with pytest.raises(VendorNotConfigured):
        source.load("tenant-a", Vendor.ROUTERA)
    # A tenant id that could not name a secret (or would walk the prefix) is refused too.
    with pytest.raises(VendorNotConfigured):
        source.load("../tenant-a", Vendor.INTERCOM)


def test_rotated_tokens_are_saved_back_and_the_next_load_sees_them(secrets: Any) -> None:
    # Given Constant Contact credentials in use
    source = SecretsManagerSource(PREFIX)
    loaded = source.load("tenant-a", Vendor.CONSTANT_CONTACT)
    assert isinstance(loaded, ConstantContactCredentials)
    # When a refresh rotated them
    source.save("tenant-a", Vendor.CONSTANT_CONTACT, loaded.rotated("access-2", "refresh-2"))
    # Then the secret holds the new pair, and a load (even a cached one) returns it
    stored = json.loads(
        secrets.get_secret_value(SecretId=f"{PREFIX}/tenant-a/constant_contact")["SecretString"]
    )
    assert stored == {**CONSTANT_CONTACT, "access_token": "access-2", "refresh_token": "refresh-2"}
    again = source.load("tenant-a", Vendor.CONSTANT_CONTACT)
    assert isinstance(again, ConstantContactCredentials)
    assert again.refresh_token.get_secret_value() == "refresh-2"


def test_invalid_credentials_name_the_fields_never_the_values(secrets: Any) -> None:
    secrets.put_secret_value(
        SecretId=f"{PREFIX}/tenant-a/intercom",
        SecretString=json.dumps({"access_token": "ic-token-SECRET", "region": "mars"}),
    )
    with pytest.raises(ValueError, match="region") as raised:
        SecretsManagerSource(PREFIX).load("tenant-a", Vendor.INTERCOM)
    assert "SECRET" not in str(raised.value) and "mars" not in str(raised.value)


def test_a_local_file_overrides_secrets_manager_and_keeps_rotated_tokens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given VENDOR_CREDENTIALS_FILE, as in development
    path = tmp_path / "credentials.json"
    path.write_text(json.dumps({"dev-tenant": {"constant_contact": CONSTANT_CONTACT}}))
    monkeypatch.setenv("VENDOR_CREDENTIALS_FILE", str(path))
    dependencies.get_settings.cache_clear()
    dependencies.get_credential_source.cache_clear()
    # When the function's source loads and saves rotated tokens
    source = dependencies.get_credential_source()
    assert isinstance(source, JsonSource)
    loaded = source.load("dev-tenant", Vendor.CONSTANT_CONTACT)
    assert isinstance(loaded, ConstantContactCredentials)
    source.save("dev-tenant", Vendor.CONSTANT_CONTACT, loaded.rotated("access-2", "refresh-2"))
    # Then the file holds them for the next start; unknown tenants are not configured
    on_disk = json.loads(path.read_text())["dev-tenant"]["constant_contact"]
    assert on_disk["refresh_token"] == "refresh-2"
    with pytest.raises(VendorNotConfigured):
        source.load("tenant-b", Vendor.CONSTANT_CONTACT)
    dependencies.get_credential_source.cache_clear()


def test_inline_json_in_the_environment_is_a_source_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VENDOR_CREDENTIALS", json.dumps({"dev-tenant": {"intercom": INTERCOM}}))
    dependencies.get_settings.cache_clear()
    dependencies.get_credential_source.cache_clear()
    loaded = dependencies.get_credential_source().load("dev-tenant", Vendor.INTERCOM)
    assert isinstance(loaded, IntercomCredentials)
    dependencies.get_credential_source.cache_clear()


@pytest.mark.parametrize(
    ("code", "raised"),
    [
        ("ThrottlingException", TransientVendorError),
        ("InternalServiceError", TransientVendorError),
        ("ResourceNotFoundException", VendorNotConfigured),
        ("AccessDeniedException", VendorNotConfigured),
    ],
)
def test_a_secret_that_cannot_be_read_now_is_retried_and_only_a_missing_one_is_not_configured(
    secrets: Any, monkeypatch: pytest.MonkeyPatch, code: str, raised: type[Exception]
) -> None:
    # Given Secrets Manager answering the tenant's read with `code`
    def answer(**_: Any) -> None:
        raise ClientError({"Error": {"Code": code, "Message": "..."}}, "GetSecretValue")

    client = boto3.client("secretsmanager")
    client.meta.events.register("before-call.secrets-manager.GetSecretValue", answer)
    monkeypatch.setitem(
        parameters.base.DEFAULT_PROVIDERS,
        "secrets",
        parameters.SecretsProvider(boto3_client=client),
    )
    # When the credentials are loaded; Then a throttle or a 5xx is worth retrying, while a secret
    # that is not there (or not ours to read) fails the link
    with pytest.raises(raised):
        SecretsManagerSource(PREFIX).load("tenant-a", Vendor.INTERCOM)
