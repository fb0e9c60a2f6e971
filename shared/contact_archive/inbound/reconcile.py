"""Scheduled reconciliation: find what vendors changed by themselves, without a webhook.

Every configured (tenant, vendor) pair of the credential source is visited once per run, bounded
(`Limits.max_pages` pages each, and nothing new started once the invocation's remaining time is
short) and resumable: a **watermark** item per pair (pk `TENANT#<tenant>`, sk
`RECONCILE#<vendor>`) keeps the cursor of the current pass and its high-water time. A run claims
the watermark before it starts (a conditional write with a lease as long as the invocation), so
two overlapping runs never work on, nor advance, the same pair; it saves where it got to and
releases the claim at the end, also when the vendor failed (rate limits past the client's
retries: the pages already checked are kept, the failed one is read again next time).

What is checked per vendor, and how a difference is applied: `reconcile_checks.py`.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from contact_archive.announcements.publisher import EventPublishFailed, Publisher
from contact_archive.inbound.reconcile_checks import CHECKS, PairRun, Stop, Tally
from contact_archive.ledger.models import Vendor, iso, utc_now
from contact_archive.ledger.store import LedgerStore
from contact_archive.observability import count, logger
from contact_archive.vendors.client import VendorClient
from contact_archive.vendors.errors import TransientVendorError, VendorError, VendorNotConfigured

DEFAULT_MAX_PAGES = 10
DEFAULT_PAGE_SIZE = 100
# Nothing new is started with less time left than this: a vendor call with its retries takes
# up to 20 s (`RetryPolicy.total_budget`), and the watermark must still be saved after it.
DEFAULT_TIME_RESERVE_SECONDS = 30.0
# A claim outlives the invocation by this much; without a Lambda context it lasts as long as
# the longest Lambda invocation.
LEASE_MARGIN_SECONDS = 60.0
DEFAULT_LEASE_SECONDS = 900.0


class ConfiguredSource(Protocol):
    def configured(self) -> list[tuple[str, Vendor]]: ...


@dataclass(frozen=True)
class Limits:
    max_pages: int = DEFAULT_MAX_PAGES  # per tenant and vendor, per run
    page_size: int = DEFAULT_PAGE_SIZE  # ledger pages; Constant Contact's pages (1 to 500)
    time_reserve_seconds: float = DEFAULT_TIME_RESERVE_SECONDS


class Budget:
    """The invocation's remaining time (`context.get_remaining_time_in_millis`); without one,
    time never runs short."""

    def __init__(self, remaining_ms: Callable[[], int] | None, reserve_seconds: float) -> None:
        self._remaining_ms = remaining_ms
        self._reserve_ms = reserve_seconds * 1000

    def short(self) -> bool:
        return self._remaining_ms is not None and self._remaining_ms() < self._reserve_ms

    def lease_seconds(self) -> float:
        if self._remaining_ms is None:
            return DEFAULT_LEASE_SECONDS
        return self._remaining_ms() / 1000 + LEASE_MARGIN_SECONDS


@dataclass(frozen=True)
class PairResult:
    tenant_id: str
    vendor: Vendor
    stopped: Stop
    pages: int = 0
    checked: int = 0
    drifts: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "vendor": self.vendor.value, "stopped": self.stopped.value}


@dataclass(frozen=True)
class RunResult:
    pairs: list[PairResult] = field(default_factory=list)

    @property
    def drifts(self) -> int:
        return sum(pair.drifts for pair in self.pairs)

    def as_dict(self) -> dict[str, Any]:
        return {"drifts": self.drifts, "pairs": [pair.as_dict() for pair in self.pairs]}


def reconcile(
    store: LedgerStore,
    clients: Callable[[str, Vendor], VendorClient],
    credentials: ConfiguredSource,
    publisher: Publisher,
    *,
    limits: Limits = Limits(),
    budget: Budget | None = None,
    run_id: str | None = None,
    clock: Callable[[], datetime] = utc_now,
    start: int | None = None,
) -> RunResult:
    """One run over every configured (tenant, vendor) pair. The pairs are taken in a rotating
    order (from `start`, random by default), so that pairs late in the list are not the ones a
    short run always leaves out."""
    budget = budget or Budget(None, limits.time_reserve_seconds)
    run_id = run_id or uuid.uuid4().hex
    pairs = credentials.configured()
    if pairs:
        offset = random.randrange(len(pairs)) if start is None else start % len(pairs)  # noqa: S311
        pairs = pairs[offset:] + pairs[:offset]
    results = []
    for tenant_id, vendor in pairs:
        if budget.short():
            results.append(PairResult(tenant_id, vendor, Stop.TIME))
            continue
        results.append(
            reconcile_pair(
                store,
                clients,
                publisher,
                tenant_id,
                vendor,
                limits=limits,
                budget=budget,
                run_id=run_id,
                clock=clock,
            )
        )
    return RunResult(results)


def reconcile_pair(
    store: LedgerStore,
    clients: Callable[[str, Vendor], VendorClient],
    publisher: Publisher,
    tenant_id: str,
    vendor: Vendor,
    *,
    limits: Limits,
    budget: Budget,
    run_id: str,
    clock: Callable[[], datetime] = utc_now,
) -> PairResult:
    """Claim the pair's watermark, check from where it stands, save where the run got to."""
    now = clock()
    watermark = store.watermarks.claim(
        tenant_id,
        vendor,
        run_id=run_id,
        now=iso(now),
        lease_until=iso(now + timedelta(seconds=budget.lease_seconds())),
    )
    if watermark is None:
        return PairResult(tenant_id, vendor, Stop.HELD)
    tally = Tally()
    try:
        client = clients(tenant_id, vendor)
    except (VendorNotConfigured, ValueError):
        stopped = Stop.NOT_CONFIGURED
    except TransientVendorError:
        stopped = Stop.VENDOR_ERROR  # its credentials could not be read now: the next run
    else:
        run = PairRun(
            store=store,
            client=client,
            publisher=publisher,
            watermark=watermark,
            max_pages=limits.max_pages,
            page_size=limits.page_size,
            short_of_time=budget.short,
            clock=clock,
            tally=tally,
        )
        stopped = _run_check(run)
        watermark = run.watermark
    if not store.watermarks.save(watermark, run_id=run_id, now=iso(clock())):
        stopped = Stop.LOST
    result = PairResult(
        tenant_id, vendor, stopped, pages=tally.pages, checked=tally.checked, drifts=tally.drifts
    )
    _log(result)
    return result


def _run_check(run: PairRun) -> Stop:
    """The vendor's check; a vendor failure ends it where it got to, with what it found so far
    announced. The client has already retried (honouring `Retry-After`) before failing."""
    try:
        try:
            return CHECKS[run.vendor](run)
        except TransientVendorError as error:
            run.publish()
            return Stop.THROTTLED if error.status == 429 else Stop.VENDOR_ERROR
        except VendorError:
            run.publish()
            return Stop.VENDOR_ERROR
    except EventPublishFailed:
        # Recorded in the ledger, but not announced: logged, and the run goes on elsewhere.
        logger.exception(
            "drift recorded but not announced",
            extra={"tenant_id": run.tenant_id, "vendor": run.vendor.value},
        )
        return Stop.PUBLISH_FAILED
    except Exception:  # noqa: BLE001 - one tenant's failure must not stop the others' checks
        logger.exception(
            "reconciliation failed", extra={"tenant_id": run.tenant_id, "vendor": run.vendor.value}
        )
        return Stop.FAILED


_EARLY = frozenset(
    {Stop.THROTTLED, Stop.VENDOR_ERROR, Stop.PUBLISH_FAILED, Stop.NOT_CONFIGURED, Stop.FAILED}
)


def _log(result: PairResult) -> None:
    details = result.as_dict()
    if result.stopped in _EARLY:
        logger.warning("reconciliation stopped early", extra=details)
    else:
        logger.info("reconciled", extra=details)


def handle_reconcile(
    event: Any,
    context: Any,
    store: LedgerStore,
    clients: Callable[[str, Vendor], VendorClient],
    credentials: ConfiguredSource,
    publisher: Publisher,
    limits: Limits,
) -> dict[str, Any]:
    """ReconcileFunction: a Scheduled Event (its content is not needed) starts one run."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    budget = Budget(remaining if callable(remaining) else None, limits.time_reserve_seconds)
    run_id = getattr(context, "aws_request_id", None) or uuid.uuid4().hex
    started = time.monotonic()
    result = reconcile(
        store, clients, credentials, publisher, limits=limits, budget=budget, run_id=run_id
    )
    count("DriftDetected", result.drifts)
    count("ReconcileStoppedEarly", sum(1 for pair in result.pairs if pair.stopped in _EARLY))
    answer = result.as_dict()
    answer["seconds"] = round(time.monotonic() - started, 3)
    return answer
