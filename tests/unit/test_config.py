"""Configuration is validated once, and errors name variables, never their values."""

from __future__ import annotations

import pytest

from contact_archive.config import ConfigurationError, get_settings
from contact_archive.dependencies import get_dead_letter_redrive


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


def test_the_redrive_needs_its_queue_and_sync_function(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given neither variable, Then the redrive refuses to start and names both
    monkeypatch.delenv("DEAD_LETTER_QUEUE_URL", raising=False)
    monkeypatch.delenv("SYNC_FUNCTION_NAME", raising=False)
    with pytest.raises(ConfigurationError, match="DEAD_LETTER_QUEUE_URL and SYNC_FUNCTION_NAME"):
        get_dead_letter_redrive()
    # Given a queue URL that is not one, Then it is named
    monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", "sync-dead-letters")
    get_settings.cache_clear()
    with pytest.raises(ConfigurationError, match="DEAD_LETTER_QUEUE_URL"):
        get_settings()
    # Given both, Then the redrive is built (no AWS call is made to build it)
    monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/1/q")
    monkeypatch.setenv("SYNC_FUNCTION_NAME", "contact-archive-SyncFunction")
    get_settings.cache_clear()
    assert get_dead_letter_redrive() is get_dead_letter_redrive()
