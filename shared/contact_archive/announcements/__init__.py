"""Announcements: what other services learn, on the service's EventBridge bus.

Owns the events' shape and their publishing (`publisher.py`, the only EventBridge code) and
what a contact's change makes true (`contact_changes.py`: `ContactArchived`, `ContactRestored`,
`VendorSyncFailed`), and what an erasure's completion makes true (`erasures.py`:
`ContactErased`). SyncFunction and ReconcileFunction announce through it.

May import `ledger` only.
"""
