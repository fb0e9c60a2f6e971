"""Fixtures for every tier: the environment a function sees, fresh caches per test, and what the
service logs; and each test's tier, marked from the folder it lives in (`pytest -m <tier>` runs
exactly that tier)."""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from contact_archive import dependencies
from contact_archive.config import get_settings

TEST_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "TABLE_NAME": "contact-archive-test",
    "CURSOR_SIGNING_KEY": "test-cursor-signing-key-0123456789",
    "ERASURE_KEY": "test-erasure-key-0123456789",
    "POWERTOOLS_SERVICE_NAME": "contact-archive",
    "POWERTOOLS_METRICS_NAMESPACE": "ContactArchiveTest",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}

# Set before any test module imports the layer: Powertools reads its variables at import time.
os.environ.update(TEST_ENV)

from contact_archive.observability import logger  # noqa: E402  (after TEST_ENV, as said above)

TESTS = Path(__file__).resolve().parent
# Each folder of tests/ is a tier, and a test belongs to the tier of its folder: so the tiers
# partition the suite. pyproject.toml declares the markers.
TIERS = ("unit", "vendors", "sandboxes", "contracts", "integration", "dynamodb_local", "e2e")


def tier_of(path: Path) -> str:
    """The tier of a test module, from its folder; a module outside every tier is an error."""
    folder = path.resolve().relative_to(TESTS).parts[0]
    if folder not in TIERS:
        raise pytest.UsageError(f"{path} is in no test tier: move it into one of {TIERS}")
    return folder


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(getattr(pytest.mark, tier_of(item.path)))


@pytest.fixture(autouse=True)
def function_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in TEST_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    monkeypatch.delenv("CURSOR_SECRET_ARN", raising=False)
    monkeypatch.delenv("ERASURE_SECRET_ARN", raising=False)
    _clear_caches()
    yield
    _clear_caches()


def _clear_caches() -> None:
    get_settings.cache_clear()
    dependencies.get_session.cache_clear()  # its credentials too: each test its own
    dependencies.get_store.cache_clear()
    dependencies.codec_for.cache_clear()
    dependencies.get_erasure_key.cache_clear()
    dependencies.get_dead_letter_redrive.cache_clear()
    dependencies.get_job_queue.cache_clear()


@pytest.fixture
def debug_logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """Every line the service logs at debug level and up, for this test."""
    yield from _captured_logs(monkeypatch, logging.DEBUG)


@pytest.fixture
def info_logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """Every line the service logs at info level and up, for this test."""
    yield from _captured_logs(monkeypatch, logging.INFO)


def _captured_logs(monkeypatch: pytest.MonkeyPatch, level: int) -> Iterator[io.StringIO]:
    # Taken where the logger writes (the stream it started with), so nothing else is changed.
    captured = io.StringIO()
    monkeypatch.setattr(logger.registered_handler, "stream", captured)
    previous_level = logger.log_level
    logger.setLevel(level)  # setLevel: it also clears the logger's enabled-level cache
    yield captured
    logger.setLevel(previous_level)
