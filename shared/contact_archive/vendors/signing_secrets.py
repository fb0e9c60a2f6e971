"""Where a tenant's webhook signing secrets come from: apart from its vendor credentials, so that
WebhookFunction can read the one and never the other.

Deployed: one JSON secret per tenant in Secrets Manager, `<prefix>/<tenant_id>/webhooks`, shaped
`{"intercom": "<the app's client secret>", "sequence": "<the webhookSecret>"}` (either may be
left out); WebhookFunction's role may read these names only. Locally: the `webhook_secret` of
the tenant's credentials in the JSON document (`JsonSource`), as the local stack writes them.

The webhook URLs are public, so anyone can post to a tenant that does not exist. Each container
keeps what Secrets Manager answered (`SecretCache`): a tenant's secrets for `FOUND_TTL_SECONDS`,
a tenant without any for `MISSING_TTL_SECONDS`, so that a burst for an unknown tenant costs one
call per TTL and container, not one per request. Nothing here logs a secret value.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from contact_archive.ledger.models import Vendor
from contact_archive.observability import logger
from contact_archive.vendors.credential_sources import (
    MISSING_SECRET_CODES,
    SECRET_NAME_PART,
    CredentialSource,
)
from contact_archive.vendors.credentials import IntercomCredentials, SequenceCredentials
from contact_archive.vendors.errors import VendorNotConfigured

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

# The last part of a tenant's signing-secrets name; no vendor is called this.
SECRET_NAME_SUFFIX = "webhooks"  # noqa: S105 - a name, not a secret
# A rotated secret takes effect within this (as vendor credentials do).
FOUND_TTL_SECONDS = 300
# A tenant's new secret is seen within this; until then its URL answers 404.
MISSING_TTL_SECONDS = 60
# Bounds per container: unknown tenant ids are unbounded, and must not evict the known ones.
MAX_FOUND = 1_000
MAX_MISSING = 10_000


class SigningSecrets(Protocol):
    def signing_secret(self, tenant_id: str, vendor: Vendor) -> SecretStr | None:
        """The tenant's secret for `vendor`'s deliveries; None when it has none (or it cannot be
        read just now). A `ValueError` when the local credentials do not parse."""
        ...


class _Unreadable(Exception):
    """Secrets Manager failed otherwise than "no such secret": not an answer to keep."""


class WebhookSecrets(BaseModel):
    """The stored JSON of `<prefix>/<tenant_id>/webhooks`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    intercom: SecretStr | None = None
    sequence: SecretStr | None = None

    def of(self, vendor: Vendor) -> SecretStr | None:
        secret = {Vendor.INTERCOM: self.intercom, Vendor.SEQUENCE: self.sequence}.get(vendor)
        return secret if secret is not None and secret.get_secret_value() else None


NONE_CONFIGURED = WebhookSecrets()


class SecretCache:
    """What Secrets Manager answered per secret name, found or missing, for a while. Thread-safe:
    concurrent misses for a name wait for the first one's read instead of each making their own."""

    def __init__(
        self,
        *,
        found_ttl: float = FOUND_TTL_SECONDS,
        missing_ttl: float = MISSING_TTL_SECONDS,
        max_found: int = MAX_FOUND,
        max_missing: int = MAX_MISSING,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = {True: found_ttl, False: missing_ttl}
        self._bounds = {True: max_found, False: max_missing}
        # Found (True) and missing (False) apart, so that a flood of unknown names evicts only
        # other unknown names.
        self._entries: dict[bool, OrderedDict[str, tuple[float, WebhookSecrets]]] = {
            True: OrderedDict(),
            False: OrderedDict(),
        }
        self._clock = clock
        self._lock = threading.Lock()  # guards the entries
        self._reading = threading.Lock()  # one read from Secrets Manager at a time

    def get(self, name: str, read: Callable[[], WebhookSecrets | None]) -> WebhookSecrets:
        """The cached answer for `name`, or `read()`'s (None: no such secret), then cached."""
        cached = self._cached(name)
        if cached is not None:
            return cached
        with self._reading:
            cached = self._cached(name)  # another thread may have read it meanwhile
            if cached is not None:
                return cached
            found = read()
            self._put(name, found)
        return found or NONE_CONFIGURED

    def _cached(self, name: str) -> WebhookSecrets | None:
        now = self._clock()
        with self._lock:
            for entries in self._entries.values():
                entry = entries.get(name)
                if entry is None:
                    continue
                if entry[0] <= now:
                    del entries[name]
                    return None
                entries.move_to_end(name)
                return entry[1]
        return None

    def _put(self, name: str, found: WebhookSecrets | None) -> None:
        kind = found is not None
        with self._lock:
            self._entries[not kind].pop(name, None)
            entries = self._entries[kind]
            entries[name] = (self._clock() + self._ttl[kind], found or NONE_CONFIGURED)
            entries.move_to_end(name)
            while len(entries) > self._bounds[kind]:
                entries.popitem(last=False)


# Per container: every request a warm container serves shares it.
CACHE = SecretCache()


class SecretsManagerSigningSecrets:
    """Read with botocore, not Powertools Parameters: its cache keeps no "missing" answer, and
    its one `GetParameterError` hides whether the secret is missing or the call failed."""

    def __init__(
        self, client: SecretsManagerClient, prefix: str, *, cache: SecretCache | None = None
    ) -> None:
        self.client = client
        self._prefix = prefix.rstrip("/")
        self._cache = CACHE if cache is None else cache

    def secret_name(self, tenant_id: str) -> str | None:
        """`<prefix>/<tenant_id>/webhooks`; None for a tenant id that cannot name a secret."""
        if not SECRET_NAME_PART.match(tenant_id):
            return None
        return f"{self._prefix}/{tenant_id}/{SECRET_NAME_SUFFIX}"

    def signing_secret(self, tenant_id: str, vendor: Vendor) -> SecretStr | None:
        name = self.secret_name(tenant_id)
        if name is None:
            return None
        try:
            secrets = self._cache.get(name, lambda: self._read(name, tenant_id))
        except _Unreadable:
            return None  # answered as not configured (the vendor retries), and not kept
        return secrets.of(vendor)

    def _read(self, name: str, tenant_id: str) -> WebhookSecrets | None:
        try:
            response = self.client.get_secret_value(SecretId=name)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in MISSING_SECRET_CODES:
                return None
            logger.warning(
                "webhook signing secrets unreadable",
                extra={"tenant_id": tenant_id, "error_code": code},
            )
            raise _Unreadable() from None
        try:
            return WebhookSecrets.model_validate_json(response.get("SecretString") or "")
        except ValidationError:
            # Kept as "none": one warning per TTL, not one per delivery. Never the values.
            logger.warning("webhook signing secrets are invalid", extra={"tenant_id": tenant_id})
            return NONE_CONFIGURED


class CredentialsSigningSecrets:
    """The `webhook_secret` in the tenant's vendor credentials: the local JSON document, where
    one file holds everything and there is no role to narrow."""

    def __init__(self, credentials: CredentialSource) -> None:
        self._credentials = credentials

    def signing_secret(self, tenant_id: str, vendor: Vendor) -> SecretStr | None:
        try:
            loaded = self._credentials.load(tenant_id, vendor)
        except VendorNotConfigured:
            return None
        if not isinstance(loaded, IntercomCredentials | SequenceCredentials):
            return None
        secret = loaded.webhook_secret
        return secret if secret is not None and secret.get_secret_value() else None
