"""X-Ray subsegments around vendor calls, when the deployer turns tracing on.

template.yaml's `Tracing` parameter: `Active` sets Lambda's X-Ray tracing and
`POWERTOOLS_TRACE_DISABLED=false`; the default, `PassThrough`, sets it `true`. Off (and wherever
the variable is unset: tests, the local runner), neither Powertools' Tracer nor `aws_xray_sdk` (in
the layer, for the Tracer) is imported, so a cold start pays nothing for tracing it does not do.

A trace holds no contact: a vendor subsegment names the vendor and the method, never the path, the
body or an error's message (a vendor's error text may name the contact), and httpx is not patched
(its subsegments would record each URL, vendor ids in the path, and send the trace header to the
vendors). DynamoDB's and the other AWS calls are (botocore), under the vendor's subsegment.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

TRACE_DISABLED_ENV = "POWERTOOLS_TRACE_DISABLED"


@runtime_checkable
class _Faultable(Protocol):
    """X-Ray's subsegment (Powertools types it as its own BaseSegment, which lacks this)."""

    def add_fault_flag(self) -> None: ...


def tracing_enabled() -> bool:
    return os.getenv(TRACE_DISABLED_ENV, "true").strip().lower() not in {"true", "1", "yes"}


@cache
def active_tracer() -> Tracer | None:
    """The container's Tracer, made on first use; None while tracing is off."""
    if not tracing_enabled():
        return None
    from aws_lambda_powertools import Tracer

    return Tracer(patch_modules=("botocore",))


@contextmanager
def vendor_subsegment(vendor: str, method: str) -> Iterator[None]:
    """A vendor call (its retries and waits included) as one subsegment named by the vendor,
    annotated with the vendor and the method; a failure with its error's type only (X-Ray's own
    record of an exception would keep its message)."""
    tracer = active_tracer()
    if tracer is None:
        yield
        return
    failure: Exception | None = None
    with tracer.provider.in_subsegment(f"## vendor {vendor}") as subsegment:
        if subsegment is not None:  # None: no segment to hang it on
            subsegment.put_annotation(key="vendor", value=vendor)
            subsegment.put_annotation(key="method", value=method)
        try:
            yield
        except Exception as error:  # noqa: BLE001 - raised again below, outside the subsegment
            failure = error
            if subsegment is not None:
                subsegment.put_annotation(key="error", value=type(error).__name__)
            if isinstance(subsegment, _Faultable):
                subsegment.add_fault_flag()
    if failure is not None:
        raise failure
