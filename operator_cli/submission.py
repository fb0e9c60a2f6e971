"""What `jobs archive` and `jobs restore` send: the request bodies and their Idempotency-Keys.

A file becomes one body per 10,000 contacts and a filter one body. Each body's key is derived from
the body itself (action, contacts, reason, vendors), so the same command run again after an
interruption finds the jobs it had submitted instead of starting others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from operator_cli.api import derived_idempotency_key
from operator_cli.files import MAX_JOB_SIZE, InputProblem, read_selection

FILTER_KEYS = ("status", "vendor", "email_domain", "scope")


@dataclass(frozen=True)
class JobRequest:
    body: dict[str, Any]
    idempotency_key: str


@dataclass(frozen=True)
class Submission:
    requests: list[JobRequest]
    notes: list[str] = field(default_factory=list)  # what the operator is told before submitting


def job_requests(
    action: str,
    file: Path | None,
    filter_text: str | None,
    reason: str | None,
    vendors: str | None,
    idempotency_key: str | None = None,
) -> Submission:
    """The jobs to submit; `idempotency_key` replaces the derived keys (suffixed per part)."""
    if (file is None) == (filter_text is None):
        raise InputProblem("give either --file or --filter (one of them)")
    common: dict[str, Any] = {"action": action}
    if reason is not None:
        common["reason"] = reason
    if vendors is not None:
        common["vendors"] = comma_list(vendors, "--vendors")
    notes: list[str] = []
    if filter_text is not None:
        bodies = [{**common, "filter": parse_filter(filter_text)}]
    else:
        assert file is not None  # one of the two, checked above
        selection = read_selection(file)
        parts = selection.parts()
        repeated = selection.duplicates
        rows = "row" if repeated == 1 else "rows"
        dropped = f"; {repeated:,} repeated {rows} left out" if repeated else ""
        columns = ", ".join(selection.columns)
        notes.append(f"{file.name}: {len(selection.items):,} contacts by {columns}{dropped}.")
        if len(parts) > 1:
            notes.append(
                f"More than {MAX_JOB_SIZE:,} contacts: submitting {len(parts)} jobs of up to "
                f"{MAX_JOB_SIZE:,}, each with its own job id."
            )
        bodies = [{**common, **selection.selector(part)} for part in parts]
    return Submission(
        [
            _request(body, idempotency_key, part, len(bodies))
            for part, body in enumerate(bodies, start=1)
        ],
        notes,
    )


def _request(body: dict[str, Any], given_key: str | None, part: int, parts: int) -> JobRequest:
    if not given_key:
        return JobRequest(body, derived_idempotency_key(body))
    return JobRequest(body, given_key if parts == 1 else f"{given_key}-{part}")


def parse_filter(text: str) -> dict[str, str]:
    """`status=archived,vendor=sequence` as the API's filter object."""
    selected: dict[str, str] = {}
    for pair in comma_list(text, "--filter"):
        key, equals, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        if not equals or key not in FILTER_KEYS or not value:
            raise InputProblem(
                f"--filter takes key=value pairs with keys {', '.join(FILTER_KEYS)}, "
                "e.g. status=archived,vendor=sequence"
            )
        if key in selected:
            raise InputProblem(f"--filter names {key} twice")
        selected[key] = value
    return selected


def comma_list(text: str, option: str) -> list[str]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise InputProblem(f"{option} is empty")
    return items
