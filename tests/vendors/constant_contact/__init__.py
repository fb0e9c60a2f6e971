"""Constant Contact mapper tests: recorded payloads and their expected canonical contacts."""
