"""The test tiers partition the suite: `pytest -m <tier>` runs exactly one folder of tests/."""

from __future__ import annotations

import tomllib

from tests.conftest import TESTS, TIERS, tier_of
from tests.support import ROOT


def test_every_test_module_lives_in_a_tier_folder() -> None:
    # Given every test module of the suite
    modules = sorted(TESTS.rglob("test_*.py"))
    # When each is given its tier, Then none is left out and every tier holds some
    tiers = {tier_of(module) for module in modules}
    assert tiers == set(TIERS)


def test_the_markers_declared_are_exactly_the_tiers() -> None:
    # Given the markers pyproject.toml declares (pytest runs with --strict-markers)
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    declared = [marker.split(":", 1)[0] for marker in options["markers"]]
    # Then they are the tiers, and nothing else
    assert sorted(declared) == sorted(TIERS)
