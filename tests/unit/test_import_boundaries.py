"""What a plain cold start of the contact functions imports: only their own path. The stores
they do not use are built on first use (`LedgerStore`), and nothing of the vendors' clients,
the jobs or the sync is loaded (docs/benchmarks.md (b): each of these cost import time)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

NOT_ON_THEIR_PATH = (
    "httpx",
    "contact_archive.jobs",
    "contact_archive.sync",
    "contact_archive.ledger.records",
    "contact_archive.ledger.api_keys",
    "contact_archive.ledger.store.api_keys",
    "contact_archive.ledger.store.deliveries",
    "contact_archive.ledger.store.due",
    "contact_archive.ledger.store.idempotency_keys",
    "contact_archive.ledger.store.jobs",
    "contact_archive.ledger.store.links",
    "contact_archive.ledger.store.snapshots",
    "contact_archive.ledger.store.tenant_settings",
    "contact_archive.ledger.store.vendor_accounts",
    "contact_archive.ledger.store.vendor_state",
    "contact_archive.ledger.store.watermarks",
)


def _imported_by(function_dir: str) -> list[str]:
    """The modules a fresh interpreter holds once the function's handler is imported."""
    code = (
        "import importlib.util, json, sys\n"
        f"spec = importlib.util.spec_from_file_location('app', 'functions/{function_dir}/app.py')\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    env = os.environ | {
        "PYTHONPATH": str(ROOT / "shared"),
        "AWS_DEFAULT_REGION": "us-east-1",
        "TABLE_NAME": "contact-archive-test",
    }
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    modules: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return modules


@pytest.mark.parametrize("function_dir", ["archive", "restore", "list"])
def test_a_contact_function_imports_only_its_own_path(function_dir: str) -> None:
    modules = _imported_by(function_dir)
    assert "contact_archive.ledger.store.status" in modules  # the handler was imported
    off_path = [
        name
        for name in modules
        if name.startswith(NOT_ON_THEIR_PATH)
        or (
            name.startswith("contact_archive.vendors.") and name != "contact_archive.vendors.errors"
        )
    ]
    assert off_path == []
