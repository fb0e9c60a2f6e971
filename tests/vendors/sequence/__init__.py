"""Sequence mapper tests, from recorded vendor payloads and the vendor's own OpenAPI."""
