"""`make run`'s API explorer (/docs): Swagger UI for docs/openapi.json, in a real browser
(tests/e2e/conftest.py's `browser_page`). With LOCAL_AUTH=keys: tests/e2e/test_local_api_keys.py."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from tests.e2e.explorer import execute, operation, try_it
from tests.support import ROOT

METHODS = {"get", "head", "put", "post", "patch", "delete"}
OPERATIONS = sorted(
    (method.upper(), path)
    for path, operations in json.loads((ROOT / "docs" / "openapi.json").read_text())[
        "paths"
    ].items()
    for method in operations
    if method in METHODS
)


def test_the_explorer_renders_every_operation_and_tries_one(
    browser_page: Page, local_api: str
) -> None:
    page = browser_page
    origin = urlsplit(local_api).netloc
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    # Given the local API, When its explorer is opened
    opened = page.goto(f"{local_api}/docs")
    assert opened is not None and opened.ok, opened and opened.text()  # e.g. "run `npm ci`"

    # Then every operation of docs/openapi.json is rendered, once
    blocks = page.locator(".opblock")
    expect(blocks).to_have_count(len(OPERATIONS))
    rendered = sorted(
        (block.locator(".opblock-summary-method").inner_text().strip(), path)
        for block in blocks.all()
        if (path := block.locator(".opblock-summary-path").get_attribute("data-path"))
    )
    assert rendered == OPERATIONS

    # When GET /contacts is tried out and executed without any credentials
    listing = operation(page, "GET", "/contacts")
    try_it(listing)
    live = execute(listing)

    # Then the live answer is the dev tenant's list: 200, with its items
    expect(live.locator(".response-col_status")).to_have_text("200")
    expect(live.locator(".response-col_description")).to_contain_text('"items"')

    # And the page needed nothing but the local server: it works offline
    outside = [
        url for url in requested if url.startswith("http") and urlsplit(url).netloc != origin
    ]
    assert outside == []
