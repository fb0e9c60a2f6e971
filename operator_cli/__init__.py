"""The operator CLI, `contact-archive`: bulk archive and restore jobs driven from a terminal.

It owns the command line (`main`), a small client of the jobs API (`api`), reading the CSV of
contacts a job names (`files`), the requests a submit sends and their Idempotency-Keys
(`submission`), the live progress view (`progress`) and the tables it prints (`tables`). It talks to the service over HTTP only and imports nothing of `contact_archive`: it is
installed into the developer's virtualenv (`make`), never deployed. Importing it has no side
effects; `main.main()` runs the app.
"""
