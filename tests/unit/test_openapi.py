"""The committed OpenAPI document is the one the routers generate."""

from contact_archive.api.openapi import openapi_document
from tests.support import ROOT


def test_committed_openapi_document_is_fresh() -> None:
    committed = (ROOT / "docs" / "openapi.json").read_text()
    assert committed == openapi_document(), "docs/openapi.json is stale: run `make openapi`"


def test_every_route_is_documented() -> None:
    import json

    paths = json.loads(openapi_document())["paths"]
    assert set(paths) == {
        "/contacts",
        "/contacts/{contact_id}",
        "/contacts/{contact_id}/history",
        "/contacts/{contact_id}/archive",
        "/contacts/{contact_id}/restore",
    }
