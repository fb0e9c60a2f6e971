"""Routera mapper tests, from payloads recorded from its API reference."""
