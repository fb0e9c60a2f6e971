"""`make run`'s API explorer (/docs): Swagger UI for docs/openapi.json, in a real browser.

Debian's Chromium (`make chromium` installs it; CHROMIUM names another) driven by Playwright,
never a browser Playwright downloads. The test fails, never skips, when Chromium is missing: a
page nobody loads is a page that breaks unseen.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.support import ROOT

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
METHODS = {"get", "head", "put", "post", "patch", "delete"}
OPERATIONS = sorted(
    (method.upper(), path)
    for path, operations in json.loads((ROOT / "docs" / "openapi.json").read_text())[
        "paths"
    ].items()
    for method in operations
    if method in METHODS
)
# Swagger UI renders a spec of twenty operations in well under a second; two busy cores and a
# cold browser take longer.
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
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
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def test_the_explorer_renders_every_operation_and_tries_one(page: Page, local_api: str) -> None:
    origin = urlsplit(local_api).netloc
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    # Given the local API, When its explorer is opened
    page.goto(f"{local_api}/docs")

    # Then every operation of docs/openapi.json is rendered, once
    blocks = page.locator(".opblock")
    expect(blocks).to_have_count(len(OPERATIONS))
    rendered = sorted(
        (block.locator(".opblock-summary-method").inner_text().strip(), path)
        for block in blocks.all()
        if (path := block.locator(".opblock-summary-path").get_attribute("data-path"))
    )
    assert rendered == OPERATIONS

    # When GET /contacts is expanded, tried out and executed without any credentials
    listing = page.locator(".opblock-get").filter(
        has=page.locator('.opblock-summary-path[data-path="/contacts"]')
    )
    listing.locator(".opblock-summary").first.click()
    listing.get_by_role("button", name="Try it out").click()
    listing.get_by_role("button", name="Execute").click()

    # Then the live answer is the dev tenant's list: 200, with its items
    live = listing.locator(".live-responses-table .response")
    expect(live.locator(".response-col_status")).to_have_text("200")
    expect(live.locator(".response-col_description")).to_contain_text('"items"')

    # And the page needed nothing but the local server: it works offline
    outside = [
        url for url in requested if url.startswith("http") and urlsplit(url).netloc != origin
    ]
    assert outside == []
