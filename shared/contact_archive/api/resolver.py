"""Builds a function's API resolver from its routers."""

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from aws_lambda_powertools.utilities.typing import LambdaContext

from contact_archive.api.errors import refusal, register_error_handlers
from contact_archive.api.screening import screened
from contact_archive.ledger.errors import DomainError


def build_resolver(*routers: APIGatewayRouter) -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True)
    register_error_handlers(app)
    for router in routers:
        app.include_router(router)
    return app


def build_api(
    *routers: APIGatewayRouter,
) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """The routers' handler for JSON routes: each request's body screened (`screening.py`)
    before the resolver reads it."""
    app = build_resolver(*routers)

    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        try:
            event = screened(event)
        except DomainError as error:
            return refusal(error)
        return app.resolve(event, context)

    return handle
