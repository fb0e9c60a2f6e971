"""Recorded vendor payloads and the vendors' specs, shared by the vendor mapper tests.

Each vendor keeps its payloads in `tests/vendors/<vendor>/payloads/`: `contact_*.json`,
`list_*.json` and `error_*.json`, and beside each contact payload `<name>.expected.json`, the
canonical contact it maps to. The specs are `../shared/vendor-specs/` beside the checkout.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import yaml

KINDS = ("contact_", "list_", "error_")
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

    @property
    def contacts(self) -> list[Path]:
        return sorted(
            path
            for path in self.directory.glob("contact_*.json")
            if not path.name.endswith(EXPECTED_SUFFIX)
        )

    def expected_for(self, payload: Path) -> Any:
        return _read(payload.with_name(payload.stem + EXPECTED_SUFFIX))

    def layout_problems(self) -> list[str]:
        """Files of an unknown kind, contacts without a result, results without a contact."""
        problems = []
        for path in sorted(self.directory.glob("*.json")):
            if path.name.endswith(EXPECTED_SUFFIX):
                payload = path.with_name(path.name.removesuffix(EXPECTED_SUFFIX) + ".json")
                if payload not in self.contacts:
                    problems.append(f"{path.name} has no contact payload")
            elif not path.name.startswith(KINDS):
                problems.append(f"{path.name} is not a contact, list or error payload")
            elif (
                path.name.startswith("contact_")
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
