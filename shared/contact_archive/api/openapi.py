"""The OpenAPI document of the whole API, generated from the routers (`make openapi`)."""

from __future__ import annotations

import sys
from pathlib import Path

from contact_archive.api.changes import change_router
from contact_archive.api.erasure_routes import router as erasure_router
from contact_archive.api.job_routes import router as jobs_router
from contact_archive.api.read_routes import router as read_router
from contact_archive.api.register_routes import router as register_router
from contact_archive.api.resolver import build_resolver
from contact_archive.api.settings_routes import router as settings_router
from contact_archive.api.webhook_routes import router as webhook_router
from contact_archive.ledger.models import ChangeAction

TITLE = "contact-archive"
VERSION = "1.0.0"


def openapi_document() -> str:
    app = build_resolver(
        register_router,
        erasure_router,
        read_router,
        change_router(ChangeAction.ARCHIVE),
        change_router(ChangeAction.RESTORE),
        settings_router,
        jobs_router,
        webhook_router,
    )
    document = app.get_openapi_json_schema(
        title=TITLE,
        version=VERSION,
        description=(
            "Archive, list and restore contacts across Sequence, Routera, Intercom and Constant "
            "Contact through one soft-delete ledger. Every request is scoped to the tenant that "
            "the API authorizer puts in the request context, except the vendors' webhook "
            "deliveries (`/webhooks/...`): no authorizer, the tenant is in the URL and the "
            "delivery's signature, keyed by that tenant's secret, authenticates it."
        ),
    )
    return document + "\n"


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    if target:
        target.write_text(openapi_document())
    else:
        sys.stdout.write(openapi_document())
