"""Copy each tenant's webhook signing secrets out of its vendor credentials into the secret of
their own that WebhookFunction reads (`<prefix>/<tenant_id>/webhooks`): the one step a stack
deployed before the split needs, run with the stack's account and region before (or right after)
updating it.

    .venv/bin/python -m devtools.split_webhook_secrets [--prefix contact-archive/vendors] [--dry-run]

Reads the `webhook_secret` of every `<prefix>/<tenant_id>/intercom` and `.../sequence` secret and
merges it into the tenant's `webhooks` secret (created if missing; a value already there wins).
Running it again changes nothing. Prints tenant ids and vendors, never a value.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any, cast

from devtools import REPO_ROOT

if str(REPO_ROOT / "shared") not in sys.path:
    sys.path.insert(0, str(REPO_ROOT / "shared"))  # the layer, as in the Lambda runtime

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.credential_sources import SecretsManagerSource
from contact_archive.vendors.signing_secrets import SecretsManagerSigningSecrets

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

SIGNING_VENDORS = (Vendor.INTERCOM, Vendor.SEQUENCE)


def split(client: SecretsManagerClient, prefix: str, *, dry_run: bool = False) -> list[str]:
    """Merge the signing secrets into each tenant's own secret; one line per change made."""
    webhooks = SecretsManagerSigningSecrets(client, prefix)
    found: dict[str, dict[str, str]] = {}
    for tenant_id, vendor in SecretsManagerSource(prefix, secrets_client=client).configured():
        if vendor not in SIGNING_VENDORS:
            continue
        name = f"{prefix.rstrip('/')}/{tenant_id}/{vendor.value}"
        stored = json.loads(client.get_secret_value(SecretId=name)["SecretString"])
        if stored.get("webhook_secret"):
            found.setdefault(tenant_id, {})[vendor.value] = stored["webhook_secret"]
    changes = []
    for tenant_id, secrets in sorted(found.items()):
        name = cast(str, webhooks.secret_name(tenant_id))
        existing = _existing(client, name)
        merged = {**secrets, **existing}
        if merged == existing:
            continue
        added = sorted(set(merged) - set(existing))
        changes.append(f"{tenant_id}: {', '.join(added)} -> {name}")
        if dry_run:
            continue
        if existing:
            client.put_secret_value(SecretId=name, SecretString=json.dumps(merged))
        else:
            client.create_secret(Name=name, SecretString=json.dumps(merged))
    return changes


def _existing(client: SecretsManagerClient, name: str) -> dict[str, Any]:
    try:
        document = client.get_secret_value(SecretId=name)["SecretString"]
    except client.exceptions.ResourceNotFoundException:
        return {}
    return cast(dict[str, Any], json.loads(document))


def main(argv: list[str] | None = None) -> int:
    import boto3

    parser = argparse.ArgumentParser(
        description="Copy webhook signing secrets into <prefix>/<tenant_id>/webhooks."
    )
    parser.add_argument("--prefix", default="contact-archive/vendors", help="VendorSecretPrefix")
    parser.add_argument("--dry-run", action="store_true", help="say what would change, only")
    args = parser.parse_args(argv)
    client = boto3.client("secretsmanager")
    changes = split(client, args.prefix, dry_run=args.dry_run)
    for line in changes:
        print(("would copy " if args.dry_run else "copied ") + line)
    print(f"{len(changes)} tenant(s) {'to change' if args.dry_run else 'changed'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
