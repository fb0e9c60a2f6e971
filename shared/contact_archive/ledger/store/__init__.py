"""The ledger's data access: the only code that talks to DynamoDB, one module per item type.

One table (docs/architecture.md): `keys.py` lays it out, `table.py` holds the one botocore client
and turns DynamoDB's refusals into `ConditionFailed` / `TransactionRefused`, and each store owns
one kind of item with one method per operation:

| store | items | module |
| --- | --- | --- |
| `contacts` | contact items: get, list pages, register | `contacts.py` |
| `status` | archive and restore (one conditional write each) | `status.py` |
| `links` | what vendor sync and vendor changes write on a link | `links.py` (a vendor's own change: `vendor_state.py`) |
| `history` | history events and history pages | `history.py` |
| `vendor_refs` | vendor id to contact | `vendor_refs.py` |
| `idempotency_keys` | Idempotency-Key claims | `idempotency_keys.py` |
| `deliveries` | vendor notifications kept, customer changes | `deliveries.py` |
| `watermarks` | reconciliation watermarks | `watermarks.py` |
| `tenant_settings` | a tenant's settings | `tenant_settings.py` |
| `vendor_accounts` | the fleet's token versions and leases, rate-limit slots and counters | `vendor_accounts.py` |
| `jobs` | bulk jobs, their work units and each unit's progress | `jobs.py` |
| `erasures` | erased contacts' tombstones, the erased emails, the purge of a contact's partition | `erasures.py` |
| `api_keys` | built-in API keys, read by key id (their layout: `ledger/api_keys.py`) | `api_keys.py` |

Imports only `ledger` (models, records, errors, encoding) and botocore.
"""

from __future__ import annotations

import threading
from functools import cached_property
from typing import TYPE_CHECKING

from contact_archive.ledger.store.contacts import ContactStore
from contact_archive.ledger.store.erasures import ErasureStore
from contact_archive.ledger.store.history import HistoryStore
from contact_archive.ledger.store.status import StatusStore
from contact_archive.ledger.store.table import Table
from contact_archive.ledger.store.vendor_refs import VendorRefStore

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from contact_archive.ledger.store.api_keys import ApiKeyStore
    from contact_archive.ledger.store.deliveries import DeliveryStore
    from contact_archive.ledger.store.due import DueStore
    from contact_archive.ledger.store.idempotency_keys import IdempotencyKeyStore
    from contact_archive.ledger.store.jobs import JobStore
    from contact_archive.ledger.store.links import LinkStore
    from contact_archive.ledger.store.tenant_settings import TenantSettingsStore
    from contact_archive.ledger.store.vendor_accounts import VendorAccountStore
    from contact_archive.ledger.store.watermarks import WatermarkStore


class LedgerStore:
    """Every item store over one table and one client, built once per container.

    The stores every API function reads and changes contacts with are built here; the others
    on first use, so that a function's cold start imports only the stores it uses (the status
    store's modules are most of the rest: contacts, history, erasures, vendor refs).
    """

    def __init__(
        self, client: DynamoDBClient, table_name: str, *, history_retention_days: int = 730
    ) -> None:
        self.table = Table(client, table_name)
        self.history = HistoryStore(self.table, retention_days=history_retention_days)
        self.contacts = ContactStore(self.table, self.history)
        self.status = StatusStore(self.table, self.history)
        self.vendor_refs = VendorRefStore(self.table)
        self.erasures = ErasureStore(self.table)
        self._vendor_accounts: VendorAccountStore | None = None
        self._jobs: JobStore | None = None
        self._lock = threading.Lock()

    # Built on first use (each keeps nothing but the table, so a race builds two alike).

    @cached_property
    def links(self) -> LinkStore:
        from contact_archive.ledger.store.links import LinkStore

        return LinkStore(self.table, self.history)

    @cached_property
    def idempotency_keys(self) -> IdempotencyKeyStore:
        from contact_archive.ledger.store.idempotency_keys import IdempotencyKeyStore

        return IdempotencyKeyStore(self.table)

    @cached_property
    def deliveries(self) -> DeliveryStore:
        from contact_archive.ledger.store.deliveries import DeliveryStore

        return DeliveryStore(self.table)

    @cached_property
    def watermarks(self) -> WatermarkStore:
        from contact_archive.ledger.store.watermarks import WatermarkStore

        return WatermarkStore(self.table)

    @cached_property
    def tenant_settings(self) -> TenantSettingsStore:
        from contact_archive.ledger.store.tenant_settings import TenantSettingsStore

        return TenantSettingsStore(self.table)

    @cached_property
    def api_keys(self) -> ApiKeyStore:
        from contact_archive.ledger.store.api_keys import ApiKeyStore

        return ApiKeyStore(self.table)

    @cached_property
    def due(self) -> DueStore:
        from contact_archive.ledger.store.due import DueStore

        return DueStore(self.table)

    def build_deferred(self) -> None:
        """Build the stores above now (before a SnapStart snapshot: a restored container's
        request then imports none of them, whatever its route and headers)."""
        for name, attribute in vars(LedgerStore).items():
            if isinstance(attribute, cached_property):
                getattr(self, name)

    @property
    def vendor_accounts(self) -> VendorAccountStore:
        """Built on first use: only the functions that call vendors need it (cold starts). One
        per store, since it keeps the container's view of the rate-limit slots."""
        with self._lock:
            if self._vendor_accounts is None:
                from contact_archive.ledger.store.vendor_accounts import VendorAccountStore

                self._vendor_accounts = VendorAccountStore(self.table)
            return self._vendor_accounts

    @property
    def jobs(self) -> JobStore:
        """Built on first use: only the jobs functions need it."""
        with self._lock:
            if self._jobs is None:
                from contact_archive.ledger.store.jobs import JobStore

                self._jobs = JobStore(self.table)
            return self._jobs

    @property
    def client(self) -> DynamoDBClient:
        """The botocore client every request goes through (tests and benchmarks count them)."""
        return self.table.client
