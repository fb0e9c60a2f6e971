"""Built-in API keys: their text, hash, parsing and item format (ledger/api_keys.py)."""

from __future__ import annotations

import pytest

from contact_archive.auth.authorizer import stage_arn
from contact_archive.ledger import api_keys
from contact_archive.ledger.api_keys import ApiKeyRecord, new_key, parse_bearer, secret_hash
from contact_archive.ledger.models import TENANT_PATTERN

AT = "2026-01-01T00:00:00Z"


def test_a_new_key_is_shown_once_and_kept_only_as_a_hash() -> None:
    # When a key is made for a tenant
    text, record = new_key("acme", at=AT)

    # Then its text parses back to its id and secret, and the record holds the secret's hash only
    key_id, secret = parse_bearer(f"Bearer {text}") or ("", "")
    assert text == f"ca_{key_id}_{secret}" and key_id == record.key_id
    assert record.tenant_id == "acme" and record.created_at == AT and record.revoked_at is None
    assert record.secret_hash == secret_hash(secret) and secret not in str(api_keys.to_item(record))
    assert record.accepts(secret)


def test_keys_are_never_drawn_alike() -> None:
    keys = [new_key("acme", at=AT) for _ in range(200)]
    assert len({text for text, _ in keys}) == len({record.key_id for _, record in keys}) == 200


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Basic ca_abcdefghijklmnop_" + "x" * 43,
        "Bearer ca_abcdefghijklmno_" + "x" * 43,  # id one short
        "Bearer ca_abcdefghijklmnop_" + "x" * 42,  # secret one short
        "Bearer ca_abcdefghijklmnop_" + "x" * 43 + " extra",
        "Bearer xx_abcdefghijklmnop_" + "x" * 43,
        "Bearer ca_abcdefghijklmnop_" + "é" * 43,
    ],
)
def test_anything_but_a_bearer_key_does_not_parse(header: str | None) -> None:
    assert parse_bearer(header) is None


def test_the_scheme_is_read_without_regard_to_case() -> None:
    assert parse_bearer("bearer ca_abcdefghijklmnop_" + "-" * 43) == ("abcdefghijklmnop", "-" * 43)


def test_a_revoked_key_or_another_secret_is_not_accepted() -> None:
    _, record = new_key("acme", at=AT)
    revoked = ApiKeyRecord(record.key_id, "acme", record.secret_hash, AT, revoked_at=AT)
    assert not record.accepts("y" * 43)
    assert not revoked.accepts("y" * 43)


def test_an_item_reads_back_as_its_record() -> None:
    _, record = new_key("acme", at=AT)
    revoked = ApiKeyRecord(record.key_id, "acme", record.secret_hash, AT, revoked_at=AT)
    assert api_keys.from_item(api_keys.to_item(revoked)) == revoked
    assert api_keys.from_item(api_keys.to_item(record)) == record


def test_a_tenant_id_is_checked_as_the_ledger_checks_it() -> None:
    assert api_keys.TENANT.pattern == TENANT_PATTERN.pattern
    with pytest.raises(ValueError, match="tenant id"):
        new_key("no spaces", at=AT)


def test_the_policy_covers_the_whole_stage() -> None:
    arn = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/POST/contacts/c-1/archive"
    assert stage_arn(arn) == "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*"
