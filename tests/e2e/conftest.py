"""e2e tier: the local API (`make run`'s server) in a subprocess, on DynamoDB Local, over HTTP;
and a browser for its API explorer (/docs).

The browser is Debian's Chromium (`make chromium` installs it; CHROMIUM names another) driven by
Playwright, never a browser Playwright downloads. A browser test fails, never skips, when Chromium
is missing: a page nobody loads is a page that breaks unseen.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from devtools.dynamodb_local import DynamoDBLocal
from devtools.local_process import LocalApiProcess, running_local_api

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Headless on a closed network: no sandbox (root in CI), no GPU, and none of the background
# calls (updates, sync, QUIC probes) Chromium would make to outside hosts. Playwright gives each
# launch a fresh throwaway profile (it refuses --user-data-dir here).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Swagger UI renders twenty operations in well under a second; two busy cores and a cold browser
# take longer.
BROWSER_TIMEOUT_MS = 60_000


@pytest.fixture(scope="session")
def local_process() -> Iterator[LocalApiProcess]:
    """A local API started as `make run` starts it, on a throwaway database."""
    with DynamoDBLocal() as database, running_local_api(database.endpoint_url) as process:
        yield process


@pytest.fixture(scope="session")
def local_api(local_process: LocalApiProcess) -> str:
    return local_process.url


# Per module, not per session: Playwright's event loop is not left around the other tests. (Named
# apart from pytest-playwright's `browser` and `page`: Debian's Chromium, not a downloaded one.)
@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[Browser]:
    executable = shutil.which(CHROMIUM) or CHROMIUM
    if not Path(executable).is_file():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `make chromium` (as root it installs "
            "Debian's package: apt-get install chromium), or set CHROMIUM to a Chromium binary"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def browser_page(chromium_browser: Browser) -> Iterator[Page]:
    """A fresh page: no cookies or stored authorization from another test."""
    context = chromium_browser.new_context()
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    yield context.new_page()
    context.close()
