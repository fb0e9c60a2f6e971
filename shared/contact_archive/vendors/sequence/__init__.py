"""Sequence (billing, API version 2024-07-30): contacts belong to a customer; no unarchive."""
