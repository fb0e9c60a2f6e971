"""The vendors the ledger links contacts to: one package per vendor, one common shape.

Per vendor: `types.py` (the vendor's own JSON, as it documents it) and `mapper.py` (pure functions
from vendor JSON to the canonical contact and back to the vendor's request bodies). Recorded vendor
payloads and their expected canonical results live in `tests/vendors/<vendor>/`.
"""
