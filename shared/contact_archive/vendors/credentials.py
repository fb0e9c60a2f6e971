"""Each vendor's credentials for one tenant, as stored (a JSON secret per tenant and vendor).

Secret values are `SecretStr`: printing, logging or `repr()` of a model shows `**********`, so a
stray log line or error cannot leak them. `base_url` is there so that the local stack and tests
can point a tenant at a sandbox; in production it keeps the vendor's own default.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, SecretStr

from contact_archive.ledger.models import Vendor

INTERCOM_HOSTS = {
    "us": "https://api.intercom.io",
    "eu": "https://api.eu.intercom.io",
    "au": "https://api.au.intercom.io",
}


class _Credentials(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SequenceCredentials(_Credentials):
    client_id: str
    client_secret: SecretStr
    base_url: str = "https://eu.sequencehq.com/api"
    # The notification policy's `webhookSecret`: signs `Sequence-Signature`. Without it the
    # tenant's webhook URL answers 404.
    webhook_secret: SecretStr | None = None


class RouteraCredentials(_Credentials):
    client_id: str
    client_secret: SecretStr
    base_url: str = "https://api.routera.io"
    token_path: str = "/oauth2/token"  # noqa: S105 - a path, not a secret


class IntercomCredentials(_Credentials):
    access_token: SecretStr
    region: Literal["us", "eu", "au"] = "us"
    base_url: str | None = None  # overrides the region's host (sandboxes)
    # The app's client secret: signs `X-Hub-Signature`. Without it the tenant's webhook URL
    # answers 404.
    webhook_secret: SecretStr | None = None

    @property
    def api_base_url(self) -> str:
        return self.base_url or INTERCOM_HOSTS[self.region]


class ConstantContactCredentials(_Credentials):
    client_id: str
    client_secret: SecretStr | None = None  # absent for PKCE apps
    access_token: SecretStr
    refresh_token: SecretStr  # rotates: every refresh returns a new one, the old one dies
    base_url: str = "https://api.cc.email/v3"
    token_url: str = "https://authz.constantcontact.com/oauth2/default/v1/token"  # noqa: S105
    # The list a contact is revived onto when its own lists are not known (deleted in Constant
    # Contact before they were saved) or it was on none: a revive needs one list at least.
    restore_list_id: str | None = None

    def rotated(self, access_token: str, refresh_token: str) -> ConstantContactCredentials:
        return self.model_copy(
            update={
                "access_token": SecretStr(access_token),
                "refresh_token": SecretStr(refresh_token),
            }
        )


type VendorCredentials = (
    SequenceCredentials | RouteraCredentials | IntercomCredentials | ConstantContactCredentials
)

CREDENTIAL_MODELS: dict[Vendor, type[_Credentials]] = {
    Vendor.SEQUENCE: SequenceCredentials,
    Vendor.ROUTERA: RouteraCredentials,
    Vendor.INTERCOM: IntercomCredentials,
    Vendor.CONSTANT_CONTACT: ConstantContactCredentials,
}
