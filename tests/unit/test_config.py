"""Configuration is validated once, and errors name variables, never their values."""

from __future__ import annotations

import pytest

from contact_archive.config import ConfigurationError, get_settings


def test_settings_come_from_the_environment() -> None:
    settings = get_settings()
    assert settings.table_name == "contact-archive-test"
    assert settings.idempotency_ttl_hours == 24


def test_a_missing_table_name_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TABLE_NAME")
    get_settings.cache_clear()
    with pytest.raises(ConfigurationError, match="TABLE_NAME"):
        get_settings()


def test_a_short_signing_key_is_refused_without_echoing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURSOR_SIGNING_KEY", "s3cr3t")
    get_settings.cache_clear()
    with pytest.raises(ConfigurationError) as raised:
        get_settings()
    assert "CURSOR_SIGNING_KEY" in str(raised.value) and "s3cr3t" not in str(raised.value)
