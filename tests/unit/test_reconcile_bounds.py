"""ReconcileFunction's bounds: its settings are validated, and the run's remaining time decides
when nothing new is started and how long a claim on a watermark lasts."""

from __future__ import annotations

import pytest

from contact_archive.config import ConfigurationError, get_settings
from contact_archive.inbound.reconcile import DEFAULT_LEASE_SECONDS, LEASE_MARGIN_SECONDS, Budget


def test_the_bounds_have_defaults_and_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = get_settings()
    assert (
        settings.reconcile_max_pages,
        settings.reconcile_page_size,
        settings.reconcile_time_reserve_seconds,
    ) == (10, 100, 30)
    monkeypatch.setenv("RECONCILE_MAX_PAGES", "2")
    monkeypatch.setenv("RECONCILE_PAGE_SIZE", "500")
    get_settings.cache_clear()
    assert (get_settings().reconcile_max_pages, get_settings().reconcile_page_size) == (2, 500)


@pytest.mark.parametrize(
    ("name", "value"),
    [("RECONCILE_PAGE_SIZE", "501"), ("RECONCILE_MAX_PAGES", "0"), ("RECONCILE_PAGE_SIZE", "x")],
)
def test_bounds_out_of_range_are_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    with pytest.raises(ConfigurationError, match=name):
        get_settings()


def test_time_runs_short_at_the_reserve() -> None:
    left = [31_000]
    budget = Budget(lambda: left[0], reserve_seconds=30)
    assert not budget.short()
    assert budget.lease_seconds() == 31 + LEASE_MARGIN_SECONDS
    left[0] = 29_999
    assert budget.short()


def test_without_a_lambda_context_time_never_runs_short() -> None:
    budget = Budget(None, reserve_seconds=30)
    assert not budget.short()
    assert budget.lease_seconds() == DEFAULT_LEASE_SECONDS
