"""Environment configuration: a validated model, read once per container."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field, ValidationError


class Settings(BaseModel):
    table_name: str = Field(min_length=3)
    cursor_signing_key: str | None = Field(default=None, min_length=16)
    cursor_secret_arn: str | None = None
    cursor_ttl_seconds: int = Field(default=24 * 3600, gt=0)
    # The key of the erased people's email hashes (`ledger/tombstones.py`): ERASURE_KEY, or the
    # Secrets Manager secret holding it. It must never change: imports match on the hashes.
    erasure_key: str | None = Field(default=None, min_length=16)
    erasure_secret_arn: str | None = None
    idempotency_ttl_hours: int = Field(default=24, gt=0)
    history_retention_days: int = Field(default=730, gt=0)
    # Vendor credentials: Secrets Manager `<prefix>/<tenant>/<vendor>` unless a local override
    # is set (a JSON file path, or the JSON itself), as in development and the local stack.
    vendor_secret_prefix: str = Field(default="contact-archive/vendors", min_length=1)
    vendor_credentials_file: str | None = None
    vendor_credentials: str | None = None
    event_bus_name: str | None = None  # where SyncFunction announces settled changes
    # RedriveFunction: SyncFunction's dead-letter queue, and SyncFunction itself to replay into.
    dead_letter_queue_url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    sync_function_name: str | None = Field(default=None, min_length=1, max_length=170)
    # ReconcileFunction: per tenant and vendor, at most this many pages a run, of this size
    # (ledger pages; Constant Contact's take up to 500), and nothing new started with less time
    # left than the reserve.
    reconcile_max_pages: int = Field(default=10, ge=1, le=1000)
    reconcile_page_size: int = Field(default=100, ge=1, le=500)
    reconcile_time_reserve_seconds: int = Field(default=30, ge=0, le=600)
    # Bulk jobs: their queue (JobsFunction sends, JobWorkerFunction sends its looks again), the
    # queue's maxReceiveCount (the last delivery of a unit gives it up), and the first wait
    # before a unit's links are looked at again (it doubles, up to SQS's 15 minutes).
    job_queue_url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    job_max_receives: int = Field(default=5, ge=1, le=1000)
    job_check_seconds: int = Field(default=10, ge=0, le=900)
    job_check_max_seconds: int = Field(default=900, ge=0, le=900)


class ConfigurationError(RuntimeError):
    pass


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    env = {key.lower(): value for key, value in os.environ.items() if value != ""}
    fields = Settings.model_fields.keys()
    try:
        return Settings.model_validate({key: env[key] for key in fields if key in env})
    except ValidationError as error:
        # Name the variables, never their values: some are secrets.
        names = sorted({str(item["loc"][0]).upper() for item in error.errors()})
        raise ConfigurationError(f"invalid or missing environment variables: {names}") from None
