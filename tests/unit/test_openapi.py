"""The committed OpenAPI document is the one the routers generate, and it covers every route."""

import json

from contact_archive.api.openapi import openapi_document
from devtools.template import api_routes, load_template
from tests.support import ROOT


def test_committed_openapi_document_is_fresh() -> None:
    committed = (ROOT / "docs" / "openapi.json").read_text()
    assert committed == openapi_document(), "docs/openapi.json is stale: run `make openapi`"


def test_every_route_in_the_template_is_documented() -> None:
    documented = {
        (method.upper(), path)
        for path, operations in json.loads(openapi_document())["paths"].items()
        for method in operations
    }
    assert documented == {
        (route.method.upper(), route.path) for route in api_routes(load_template())
    }
