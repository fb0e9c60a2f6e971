"""The ledger: what the service knows, and the only code that keeps it.

Owns the domain models (`models.py`: a contact, its links, its pending change and history;
`records.py`: the ledger's other records), the domain errors (`errors.py`), the store
(`store/`: every DynamoDB call, one module per item type), DynamoDB's value format
(`encoding.py`), signed page cursors (`cursor.py`) and Idempotency-Key replay
(`idempotency.py`).

Imports nothing of the service's other packages: every capability builds on it.
"""
