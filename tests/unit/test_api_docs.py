"""The API explorer's side of `make run` (devtools/api_docs.py): which paths it answers, and the
document it serves for each local mode. The page in a browser: tests/e2e/test_api_explorer.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from devtools import api_docs
from devtools.api_docs import PAGE, ApiDocs
from devtools.template import api_routes, load_template

HOST = "127.0.0.1:3123"
WEBHOOK = ("post", "/webhooks/{vendor}/{tenant_id}")


def served_document(api_keys: bool) -> dict[str, Any]:
    answer = ApiDocs(api_routes(load_template()), api_keys=api_keys).answer(
        "GET", "/openapi.json", HOST
    )
    assert answer is not None
    status, headers, body = answer
    assert (status, headers) == (200, [("Content-Type", "application/json")])
    document: dict[str, Any] = json.loads(body)
    return document


def operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    found: dict[str, Any] = document["paths"][path][method]
    return found


def test_by_default_no_credentials_act_as_the_dev_tenant_and_authorize_can_pick_another() -> None:
    # When the document is served without LOCAL_AUTH=keys
    document = served_document(api_keys=False)

    # Then it points at the origin the browser used
    assert document["servers"] == [{"url": f"http://{HOST}", "description": "make run (local)"}]
    # And no credentials at all are allowed, or the local-only tenant header
    assert document["security"] == [{}, {"tenant": []}]
    scheme = document["components"]["securitySchemes"]["tenant"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "X-Tenant-Id")
    # And the webhooks, which take no authorizer, need nothing
    assert operation(document, *WEBHOOK)["security"] == []
    assert "security" not in operation(document, "get", "/contacts")


def test_with_api_keys_authorize_takes_a_bearer_key() -> None:
    # When the document is served with LOCAL_AUTH=keys
    document = served_document(api_keys=True)

    # Then every authorized operation asks for the key, the webhooks for nothing
    assert document["security"] == [{"apiKey": []}]
    scheme = document["components"]["securitySchemes"]["apiKey"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert operation(document, *WEBHOOK)["security"] == []
    assert operation(document, "head", "/webhooks/{vendor}/{tenant_id}")["security"] == []


def test_the_committed_document_stays_as_generated() -> None:
    # The overlay is the server's: docs/openapi.json itself declares no local credentials.
    served_document(api_keys=True)
    committed = json.loads(api_docs.OPENAPI_FILE.read_text())
    assert "security" not in committed
    assert "securitySchemes" not in committed.get("components", {})


def test_the_page_loads_nothing_from_outside() -> None:
    assert "http://" not in PAGE and "https://" not in PAGE
    assert "validatorUrl: null" in PAGE


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/docs"),
        ("GET", "/contacts"),
        ("GET", "/docs/../template.yaml"),
        ("GET", "/docs/swagger-ui.js.map"),
        ("GET", "/docs/index.html"),
    ],
)
def test_other_requests_are_left_to_the_api(method: str, path: str) -> None:
    assert ApiDocs([], api_keys=False).answer(method, path, HOST) is None


def test_the_page_and_its_assets_come_from_swagger_ui_dist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given swagger-ui-dist as npm installs it
    (tmp_path / "swagger-ui.css").write_text("body {}")
    monkeypatch.setattr(api_docs, "SWAGGER_UI_DIR", tmp_path)
    docs = ApiDocs([], api_keys=False)

    # Then the page and its stylesheet are served
    page = docs.answer("GET", "/docs", HOST)
    assert page is not None and page[0] == 200 and page[2] == PAGE.encode()
    css = docs.answer("HEAD", "/docs/swagger-ui.css", HOST)
    assert css is not None
    assert (css[0], dict(css[1])["Content-Type"], css[2]) == (200, "text/css", b"body {}")


def test_without_swagger_ui_dist_the_page_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api_docs, "SWAGGER_UI_DIR", tmp_path / "absent")
    answer = ApiDocs([], api_keys=False).answer("GET", "/docs/", HOST)
    assert answer is not None
    assert answer[0] == 503 and b"npm ci" in answer[2]
