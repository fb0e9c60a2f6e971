"""Sync: the vendors brought in line with the ledger, from the table's stream.

Owns SyncFunction's trigger (`stream.py`: each stream record's in-flight links synced, then
what its write made true announced), one link's sync against its vendor (`link_sync.py`), and
RedriveFunction (`redrive.py`: dead letters read back from the stream through
`stream_ranges.py` and replayed).

May import `inbound` (a stream record of a customer change is handed to it), `contacts`,
`vendors`, `announcements` and `ledger`; never `api`.
"""
