"""Bulk jobs: archive or restore thousands of contacts in one call.

A job is submitted over HTTP (`api/job_routes.py` -> `submit.py`): its names (contact ids, emails,
vendor ids) are cut into work units at once, a filter is cut by a planning message (`planning.py`).
Each unit is one SQS message to JobWorkerFunction (`worker.py`), which makes the ledger changes
(`work.py`), carries the unit's links itself instead of leaving them to the stream
(`bulk_vendors.py`: Constant Contact's activities, instead of one call per contact;
`paced_vendors.py`: the others, many at once within their shared limits), and comes back later to
see the unit's links settle (`progress.py`). Every step is safe to repeat: a change made by the job
is recognised as its own (the change carries the job id), and a unit's progress is written whole,
never added to.

Imports `sync` (its one-link step), `contacts`, `vendors` and `ledger`; nothing imports it but
`api/` and the entry points.
"""
