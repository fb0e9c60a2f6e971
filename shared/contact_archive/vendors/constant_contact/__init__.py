"""Constant Contact v3: contacts deleted with a `deleted_at` date and revived by a whole PUT."""
