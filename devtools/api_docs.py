"""The API explorer of `make run`: Swagger UI at /docs for `docs/openapi.json`, served at
/openapi.json, so that every route can be tried from a browser.

Swagger UI's files come from the npm package `swagger-ui-dist` in node_modules (`make run`
installs it with the rest of package.json), never from a CDN: the page works offline.

The document served is the committed one with a local overlay: `servers` is the origin the
browser used, and the security schemes are those of `make run`'s mode. The committed document
declares none, because a deployment may put its own authorizer in front of the API
(TenantAuthorizerArn), so "Bearer key" is true of the built-in authorizer only; locally it is
known. By default the dev tenant needs no credentials, and Authorize can name another tenant
(the local-only X-Tenant-Id); with LOCAL_AUTH=keys, Authorize takes an API key. Routes that take
no authorizer (the webhooks) are marked as needing nothing.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from devtools import REPO_ROOT
from devtools.template import Route

DOCS_PATH = "/docs"
OPENAPI_PATH = "/openapi.json"
OPENAPI_FILE = REPO_ROOT / "docs" / "openapi.json"
SWAGGER_UI_DIR = REPO_ROOT / "node_modules" / "swagger-ui-dist"
TENANT_HEADER = "X-Tenant-Id"
# Only the files the page loads: the package also holds source maps and other bundles.
ASSETS = frozenset(
    {"swagger-ui.css", "swagger-ui-bundle.js", "favicon-16x16.png", "favicon-32x32.png"}
)

Answer = tuple[int, list[tuple[str, str]], bytes]

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>contact-archive API (local)</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      // A pasted key or tenant survives a reload of the page.
      persistAuthorization: true,
      displayRequestDuration: true,
      // The default validator badge calls an outside service: the page must work offline.
      validatorUrl: null,
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
    });
  </script>
</body>
</html>
"""

MISSING = (
    "Swagger UI is not installed (node_modules/swagger-ui-dist): run `npm ci`, or `make run`,"
    " which installs it.\n"
)


class ApiDocs:
    """Answers the explorer's paths (the page, its assets and the document); None for others."""

    def __init__(self, routes: Iterable[Route], *, api_keys: bool) -> None:
        self.api_keys = api_keys
        # Which operations go through the authorizer, as the template says.
        self.authorized = {(route.method.lower(), route.path): route.authorized for route in routes}

    def answer(self, method: str, path: str, host: str | None) -> Answer | None:
        if method not in ("GET", "HEAD"):
            return None
        if path == OPENAPI_PATH:
            document = local_document(
                json.loads(OPENAPI_FILE.read_text()), self.authorized, self.api_keys, host
            )
            return 200, [("Content-Type", "application/json")], json.dumps(document).encode()
        if path in (DOCS_PATH, DOCS_PATH + "/"):
            if not SWAGGER_UI_DIR.is_dir():
                return 503, [("Content-Type", "text/plain; charset=utf-8")], MISSING.encode()
            return 200, [("Content-Type", "text/html; charset=utf-8")], PAGE.encode()
        prefix = DOCS_PATH + "/"
        if path.startswith(prefix) and path[len(prefix) :] in ASSETS:
            return asset(SWAGGER_UI_DIR / path[len(prefix) :])
        return None


def asset(file: Path) -> Answer:
    if not file.is_file():
        return 404, [("Content-Type", "text/plain; charset=utf-8")], MISSING.encode()
    content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    # The bundle is 1.5 MB: let the browser keep it while the page is reloaded.
    headers = [("Content-Type", content_type), ("Cache-Control", "max-age=3600")]
    return 200, headers, file.read_bytes()


def local_document(
    document: dict[str, Any],
    authorized: dict[tuple[str, str], bool],
    api_keys: bool,
    host: str | None,
) -> dict[str, Any]:
    """The committed document as `make run` serves it: its origin and its mode's credentials."""
    if host:
        document["servers"] = [{"url": f"http://{host}", "description": "make run (local)"}]
    components = document.setdefault("components", {})
    if api_keys:
        scheme = "apiKey"
        components.setdefault("securitySchemes", {})[scheme] = {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key: `contact-archive keys create --tenant T` makes one.",
        }
        security: list[dict[str, list[str]]] = [{scheme: []}]
    else:
        scheme = "tenant"
        components.setdefault("securitySchemes", {})[scheme] = {
            "type": "apiKey",
            "in": "header",
            "name": TENANT_HEADER,
            "description": (
                "Local only, optional: act as this tenant. Without it, requests act as the"
                " development tenant `dev-tenant`."
            ),
        }
        # `{}` first: no credentials at all is allowed (the dev tenant).
        security = [{}, {scheme: []}]
    document["security"] = security
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and not authorized.get((method, path), True):
                operation["security"] = []
    return document
