"""API key items (`ledger/api_keys.py` lays them out): what the authorizer reads, by key id."""

from __future__ import annotations

from contact_archive.ledger.api_keys import ApiKeyRecord, from_item, item_key
from contact_archive.ledger.store.table import Table


class ApiKeyStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def get(self, key_id: str) -> ApiKeyRecord | None:
        """One GetItem. Eventually consistent: a key just created or revoked may take a second."""
        item = self._table.get(item_key(key_id))
        return from_item(item) if item else None
