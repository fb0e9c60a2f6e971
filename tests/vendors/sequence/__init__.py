"""Sequence mapper and webhook tests."""

from datetime import UTC, datetime

# The example customer id of the spec's `Customer` schema: the scope the payloads are read under.
CUSTOMER_ID = "e309e948-088e-4d77-b654-cd85498f1555"

# When the recorded webhook bodies count as delivered (the `t` of their `Sequence-Signature`): the
# envelope carries no time of its own.
DELIVERED_AT = datetime(2025, 8, 28, 12, 0, 30, 123000, tzinfo=UTC)
