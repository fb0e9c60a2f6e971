"""Where a tenant's vendor credentials come from, and where rotated ones go back to.

Deployed: one JSON secret per tenant and vendor in AWS Secrets Manager, named
`<prefix>/<tenant_id>/<vendor>`, read through Powertools Parameters (cached for `max_age`). The
webhook signing secrets are apart, in `<prefix>/<tenant_id>/webhooks` (`signing_secrets.py`).
Locally: a JSON file (`VENDOR_CREDENTIALS_FILE`) or the same JSON in `VENDOR_CREDENTIALS`,
shaped `{"<tenant_id>": {"<vendor>": {...}}}`. Errors name the tenant and vendor, never a value.

Renewed secrets reach a warm container within the cache's `max_age`: the registry loads the
credentials on every use (from the cache) and replaces a client whose credentials changed. A
container that learns that its token was renewed elsewhere (`vendors/fleet/`) loads with
`fresh=True`, past the cache.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from pydantic import ValidationError

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.credentials import CREDENTIAL_MODELS, VendorCredentials
from contact_archive.vendors.errors import TransientVendorError, VendorNotConfigured

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_secretsmanager.type_defs import FilterTypeDef

# Secrets Manager names allow these; a tenant id outside them cannot name a secret.
SECRET_NAME_PART = re.compile(r"^[A-Za-z0-9_+=.@-]{1,128}$")
_VENDOR_NAMES = frozenset(vendor.value for vendor in Vendor)


class CredentialSource(Protocol):
    def load(self, tenant_id: str, vendor: Vendor, *, fresh: bool = False) -> VendorCredentials:
        """The tenant's credentials for `vendor`; `VendorNotConfigured` when it has none.
        `fresh`: read the store itself, not a cached copy (another container saved newer)."""
        ...

    def save(self, tenant_id: str, vendor: Vendor, credentials: VendorCredentials) -> None:
        """Store rotated credentials (Constant Contact's refresh token changes on every use)."""
        ...

    def configured(self) -> list[tuple[str, Vendor]]:
        """Every (tenant, vendor) pair that has credentials, sorted: who reconciliation visits."""
        ...


def parse_credentials(vendor: Vendor, raw: Any) -> VendorCredentials:
    try:
        parsed: VendorCredentials = CREDENTIAL_MODELS[vendor].model_validate(raw)  # type: ignore[assignment]
    except ValidationError as error:
        # Field names only: a validation error's input would echo the secret values.
        fields = sorted({".".join(str(part) for part in item["loc"]) for item in error.errors()})
        raise ValueError(f"{vendor.value} credentials are invalid: check {fields}") from None
    return parsed


def dump_credentials(credentials: VendorCredentials) -> dict[str, Any]:
    """The stored JSON, secret values included: only ever written to the secret store."""
    dumped = credentials.model_dump(mode="python", exclude_none=True, exclude_unset=True)
    return {
        key: value.get_secret_value() if hasattr(value, "get_secret_value") else value
        for key, value in dumped.items()
    }


# "No such secret". Access denied too: with a role narrowed to existing names' ARNs, Secrets
# Manager may answer that for a name that does not exist; either way it cannot be read.
MISSING_SECRET_CODES = frozenset({"ResourceNotFoundException", "AccessDeniedException"})


def secret_missing(error: BaseException | None) -> bool:
    """Whether a failed Secrets Manager read says the secret is missing (not that it failed)."""
    from botocore.exceptions import ClientError

    if not isinstance(error, ClientError):
        return False
    return error.response.get("Error", {}).get("Code", "") in MISSING_SECRET_CODES


class SecretsManagerSource:
    def __init__(
        self,
        prefix: str,
        *,
        max_age_seconds: int = 300,
        secrets_client: SecretsManagerClient | None = None,
    ) -> None:
        """`secrets_client`: a Secrets Manager client for `configured()` (one is made if None)."""
        self._prefix = prefix.rstrip("/")
        self._max_age = max_age_seconds
        self._secrets_client = secrets_client

    def secret_name(self, tenant_id: str, vendor: Vendor) -> str:
        if not SECRET_NAME_PART.match(tenant_id):
            raise VendorNotConfigured(vendor.value)
        return f"{self._prefix}/{tenant_id}/{vendor.value}"

    def load(self, tenant_id: str, vendor: Vendor, *, fresh: bool = False) -> VendorCredentials:
        # Imported here: only the functions that call vendors pay for the parameters utility.
        from aws_lambda_powertools.utilities import parameters

        name = self.secret_name(tenant_id, vendor)
        try:
            raw = parameters.get_secret(
                name, transform="json", max_age=self._max_age, force_fetch=fresh
            )
        except parameters.exceptions.GetParameterError as error:
            # Powertools wraps every failure alike; what it wrapped tells a secret that is not
            # there (the link fails) from a throttle, a timeout or a 5xx (tried again later).
            if secret_missing(error.__context__):
                raise VendorNotConfigured(vendor.value) from None
            raise TransientVendorError(vendor, "its credentials could not be read") from None
        return parse_credentials(vendor, raw)

    def save(self, tenant_id: str, vendor: Vendor, credentials: VendorCredentials) -> None:
        from aws_lambda_powertools.utilities import parameters

        name = self.secret_name(tenant_id, vendor)
        parameters.set_secret(name, json.dumps(dump_credentials(credentials)))
        # The next load must not hand back the token the vendor just retired.
        parameters.get_secret(name, transform="json", force_fetch=True, max_age=self._max_age)

    def configured(self) -> list[tuple[str, Vendor]]:
        """The pairs named by secrets under the prefix (`ListSecrets`, filtered by name, paged).
        Names that do not parse as `<prefix>/<tenant_id>/<vendor>` are left out. The name filter
        is a case-insensitive prefix match, so the exact prefix is checked again here."""
        from botocore.session import get_session

        client = self._secrets_client or cast(
            "SecretsManagerClient", get_session().create_client("secretsmanager")
        )
        found: set[tuple[str, Vendor]] = set()
        name_filter: list[FilterTypeDef] = [{"Key": "name", "Values": [f"{self._prefix}/"]}]
        token: str | None = None
        while True:
            if token:
                response = client.list_secrets(Filters=name_filter, MaxResults=100, NextToken=token)
            else:
                response = client.list_secrets(Filters=name_filter, MaxResults=100)
            for secret in response.get("SecretList", []):
                pair = self._pair(secret.get("Name", ""))
                if pair is not None:
                    found.add(pair)
            token = response.get("NextToken")
            if not token:
                return sorted(found)

    def _pair(self, name: str) -> tuple[str, Vendor] | None:
        """(tenant, vendor) from `<prefix>/<tenant_id>/<vendor>`, or None for any other name."""
        start = f"{self._prefix}/"
        if not name.startswith(start):
            return None
        tenant_id, _, vendor = name.removeprefix(start).partition("/")
        if not SECRET_NAME_PART.match(tenant_id) or vendor not in _VENDOR_NAMES:
            return None
        return tenant_id, Vendor(vendor)


class JsonSource:
    """Credentials from a JSON document (a local file, or an env var's value): development and
    the local stack. Saving writes the file back, so a rotated token survives a restart; a
    `fresh` load reads the file again, so processes sharing it see each other's rotations."""

    def __init__(self, document: dict[str, Any], path: Path | None = None) -> None:
        self._document = document
        self._path = path
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: Path) -> JsonSource:
        return cls(json.loads(path.read_text(encoding="utf-8")), path)

    def load(self, tenant_id: str, vendor: Vendor, *, fresh: bool = False) -> VendorCredentials:
        with self._lock:
            if fresh and self._path is not None:
                self._document = json.loads(self._path.read_text(encoding="utf-8"))
            raw = self._document.get(tenant_id, {}).get(vendor.value)
        if raw is None:
            raise VendorNotConfigured(vendor.value)
        return parse_credentials(vendor, raw)

    def save(self, tenant_id: str, vendor: Vendor, credentials: VendorCredentials) -> None:
        with self._lock:
            self._document.setdefault(tenant_id, {})[vendor.value] = dump_credentials(credentials)
            if self._path is not None:
                self._path.write_text(json.dumps(self._document, indent=2), encoding="utf-8")

    def configured(self) -> list[tuple[str, Vendor]]:
        with self._lock:
            return sorted(
                (tenant_id, Vendor(vendor))
                for tenant_id, vendors in self._document.items()
                if isinstance(vendors, dict)
                for vendor in vendors
                if vendor in _VENDOR_NAMES
            )
