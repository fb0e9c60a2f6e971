"""Inbound: changes vendors make by themselves, told by webhooks or found by reconciliation.

Owns applying one vendor's change to a link with the tenant's policy (`vendor_changes.py`),
verifying and applying webhook deliveries (`webhooks.py`, its refusals in `errors.py`),
fanning a whole customer's change out to its contacts (`customer_changes.py`), and
ReconcileFunction (`reconcile.py`: the scheduled run, watermarks and bounds;
`reconcile_checks.py`: what is read at each vendor).

May import `contacts` (the `mirror` policy archives or restores), `vendors`, `announcements`
and `ledger`; never `api` or `sync`.
"""
