"""Lambda event filtering for the local stack and tests: the stream mapping's `FilterCriteria`,
read from template.yaml and applied as Lambda applies it, so that SyncFunction sees locally only
the records it would see deployed.

Covers the pattern syntax the template uses: nested objects, lists of literal values, and
`{"exists": true|false}`.
"""

from __future__ import annotations

import json
from typing import Any

from devtools.template import functions, load_template


def stream_filters(function: str = "SyncFunction") -> list[dict[str, Any]]:
    """The patterns of the function's stream mapping; none means every record passes."""
    definition = functions(load_template())[function]
    for event in (definition.get("Events") or {}).values():
        if event["Type"] == "DynamoDB":
            criteria = event["Properties"].get("FilterCriteria") or {}
            return [json.loads(item["Pattern"]) for item in criteria.get("Filters", [])]
    return []


def passes(record: dict[str, Any], patterns: list[dict[str, Any]]) -> bool:
    """Whether Lambda hands the record to the function: any pattern matches (or there is none)."""
    return not patterns or any(_matches(pattern, record) for pattern in patterns)


def _matches(pattern: dict[str, Any], value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    for key, wanted in pattern.items():
        if isinstance(wanted, dict):
            if not _matches(wanted, value.get(key)):
                return False
        elif not _leaf(wanted, key in value, value.get(key)):
            return False
    return True


def _leaf(wanted: list[Any], present: bool, value: Any) -> bool:
    for option in wanted:
        if isinstance(option, dict) and "exists" in option:
            if option["exists"] is present:
                return True
        elif present and value == option:
            return True
    return False
