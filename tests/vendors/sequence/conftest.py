"""The Sequence client tests' case: the Sequence sandbox and a client on it, for the fixtures of
`tests/vendors/conftest.py` (`sandbox`, `client`, `clock`, `ada`...)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.vendors.sequence.case import SequenceCase


@pytest.fixture
def case() -> Iterator[SequenceCase]:
    with SequenceCase() as case:
        yield case
