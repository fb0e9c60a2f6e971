"""Contacts: the use cases the API and the EventBridge commands call.

Owns registering a contact (`register.py`), archiving and restoring it and retrying its failed
links (`changes.py`), reading it, its history and pages of contacts (`reading.py`), importing a
vendor's contacts (`importing.py`), the `ArchiveContact` / `RestoreContact` commands
(`commands.py`, the EventBridge trigger) and the contact's JSON body (`views.py`).

May import `ledger` and `vendors`; never `api`, `sync` or `inbound`.
"""
