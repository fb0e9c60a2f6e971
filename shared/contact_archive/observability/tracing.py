"""X-Ray subsegments around vendor calls, when the deployer turns tracing on.

template.yaml's `Tracing` parameter: `Active` sets Lambda's X-Ray tracing and
`POWERTOOLS_TRACE_DISABLED=false`; the default, `PassThrough`, sets it `true`. Off (and wherever
the variable is unset: tests, the local runner), neither Powertools' Tracer nor `aws_xray_sdk` is
imported, so a cold start pays nothing for tracing it does not do.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib.util import find_spec
from typing import TYPE_CHECKING

from contact_archive.observability import logger

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

TRACE_DISABLED_ENV = "POWERTOOLS_TRACE_DISABLED"


def tracing_enabled() -> bool:
    return os.getenv(TRACE_DISABLED_ENV, "true").strip().lower() not in {"true", "1", "yes"}


@cache
def active_tracer() -> Tracer | None:
    """The container's Tracer, made on first use; None while tracing is off, or when the layer
    lacks `aws_xray_sdk` (then Lambda's own trace of the invocation is still there)."""
    if not tracing_enabled():
        return None
    # The Tracer's provider; missing, the Tracer would fail only at its first subsegment.
    if find_spec("aws_xray_sdk") is None:
        logger.warning("tracing is on but aws_xray_sdk is not installed: no subsegments")
        return None
    from aws_lambda_powertools import Tracer

    # patch_modules: the vendors' httpx calls and DynamoDB's botocore calls appear as their
    # own subsegments, inside the vendor's one below.
    return Tracer(patch_modules=("botocore", "httpx"))


@contextmanager
def vendor_subsegment(vendor: str, method: str) -> Iterator[None]:
    """A vendor call (its retries and waits included) as one subsegment named by the vendor.
    The method only is kept, never the path or the body: they hold vendor ids and emails."""
    tracer = active_tracer()
    if tracer is None:
        yield
        return
    with tracer.provider.in_subsegment(f"## vendor {vendor}") as subsegment:
        subsegment.put_annotation(key="vendor", value=vendor)
        subsegment.put_annotation(key="method", value=method)
        yield
