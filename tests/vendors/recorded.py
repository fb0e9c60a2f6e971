"""Recorded vendor payloads and the vendors' specs, shared by the vendor mapper tests.

Each vendor keeps its payloads in `tests/vendors/<vendor>/payloads/`: `contact_*.json`,
`webhook_*.json`, `list_*.json` and `error_*.json`. Beside each contact payload is
`<name>.expected.json`, the canonical contact it maps to; beside each webhook body (the raw bytes
a vendor POSTs) the `VendorNotification` it parses to. The specs are `../shared/vendor-specs/`
beside the checkout.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import yaml

KINDS = ("contact_", "webhook_", "list_", "error_")
PAIRED_KINDS = ("contact_", "webhook_")  # each needs an expected result beside it
EXPECTED_SUFFIX = ".expected.json"
# The vendors' specs sit in ../shared/vendor-specs beside the checkout (so they do in CI);
# VENDOR_SPECS points elsewhere.
SPECS = Path(
    os.environ.get(
        "VENDOR_SPECS", Path(__file__).resolve().parents[2].parent / "shared" / "vendor-specs"
    )
)


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


class RecordedPayloads:
    def __init__(self, test_module: str) -> None:
        self.directory = Path(test_module).resolve().parent / "payloads"

    def load(self, name: str) -> Any:
        """A payload by name, with or without `.json`."""
        return _read(self.directory / f"{name.removesuffix('.json')}.json")

    def load_bytes(self, name: str) -> bytes:
        """A payload's exact bytes (webhook signatures and ids are computed over them)."""
        return (self.directory / f"{name.removesuffix('.json')}.json").read_bytes()

    def _of_kind(self, prefix: str) -> list[Path]:
        return sorted(
            path
            for path in self.directory.glob(f"{prefix}*.json")
            if not path.name.endswith(EXPECTED_SUFFIX)
        )

    @property
    def contacts(self) -> list[Path]:
        return self._of_kind("contact_")

    @property
    def webhooks(self) -> list[Path]:
        return self._of_kind("webhook_")

    def expected_for(self, payload: Path) -> Any:
        return _read(payload.with_name(payload.stem + EXPECTED_SUFFIX))

    def layout_problems(self) -> list[str]:
        """Files of an unknown kind, payloads without a result, results without a payload."""
        problems = []
        paired = {*self.contacts, *self.webhooks}
        for path in sorted(self.directory.glob("*.json")):
            if path.name.endswith(EXPECTED_SUFFIX):
                payload = path.with_name(path.name.removesuffix(EXPECTED_SUFFIX) + ".json")
                if payload not in paired:
                    kind = "webhook" if payload.name.startswith("webhook_") else "contact"
                    problems.append(f"{path.name} has no {kind} payload")
            elif not path.name.startswith(KINDS):
                problems.append(f"{path.name} is not a contact, webhook, list or error payload")
            elif (
                path.name.startswith(PAIRED_KINDS)
                and not path.with_name(path.stem + EXPECTED_SUFFIX).exists()
            ):
                problems.append(f"{path.name} has no {path.stem}{EXPECTED_SUFFIX}")
        if not self.contacts:
            problems.append("no contact payloads recorded")
        return problems


@cache
def load_spec(file_name: str) -> dict[str, Any]:
    """A vendor spec, JSON or YAML, parsed once per test session (some are megabytes)."""
    path = SPECS / file_name
    assert path.is_file(), f"no vendor spec at {path}: ../shared/ must sit beside the checkout"
    text = path.read_text(encoding="utf-8")
    if file_name.endswith(".json"):
        document: dict[str, Any] = json.loads(text)
    else:
        document = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return document


def resolve(spec: dict[str, Any], node: Any) -> Any:
    """Follow local `$ref`s (`#/...`) until a node that is not a reference."""
    while isinstance(node, dict) and "$ref" in node:
        reference: str = node["$ref"]
        assert reference.startswith("#/"), reference
        target: Any = spec
        for part in reference[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def resolve_schema(spec: dict[str, Any], node: Any) -> dict[str, Any]:
    """`resolve` for a node that is a schema (an object) once its `$ref`s are followed."""
    schema: dict[str, Any] = resolve(spec, node)
    return schema
