"""The vendors the ledger links contacts to: one package per vendor, one common shape.

Per vendor: `types.py` (the vendor's own JSON, as it documents it) and `mapper.py` (pure functions
from vendor JSON to the canonical contact and back to the vendor's request bodies); for vendors
that send webhooks (Intercom, Sequence), `webhook.py` (signature check and parser to the
`webhooks.VendorNotification`). Recorded vendor payloads and webhook bodies, each beside its
expected canonical result, live in `tests/vendors/<vendor>/payloads/`.
"""
