"""Sequence mapper tests."""

# The example customer id of the spec's `Customer` schema: the scope the payloads are read under.
CUSTOMER_ID = "e309e948-088e-4d77-b654-cd85498f1555"
