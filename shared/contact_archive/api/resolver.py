"""Builds a function's API resolver from its routers."""

import json
import re
from typing import Any, cast

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from aws_lambda_powertools.utilities.typing import LambdaContext

from contact_archive.api.errors import refusal, register_error_handlers
from contact_archive.api.screening import BODY_METHODS, screened
from contact_archive.ledger.errors import DomainError

# What a warm-up request puts in each path parameter and names as its tenant: any valid id does,
# the route is what counts.
WARM_UP_PARAMETER = "snapstart-warm-up"


def build_resolver(*routers: APIGatewayRouter) -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True)
    register_error_handlers(app)
    for router in routers:
        app.include_router(router)
    return app


class Api:
    """The routers' handler for JSON routes: each request's body screened (`screening.py`)
    before the resolver reads it."""

    def __init__(self, *routers: APIGatewayRouter) -> None:
        self.app = build_resolver(*routers)

    def __call__(self, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        try:
            event = screened(event)
        except DomainError as error:
            return refusal(error)
        return self.app.resolve(event, context)

    def warm_up(self) -> None:
        """Answer one synthetic request per route, before a SnapStart snapshot: it builds the
        route's validation (Powertools builds it on first use) and runs the screening, the
        validators, the route and the error mapping once, so that a restored container's first
        request finds them warm.

        The caller answers AWS requests without the network meanwhile (`snapstart.py`): the
        warm-up tenant has nothing, and every write it tries is refused.
        """
        paths: dict[str, Any] = self.app.get_openapi_schema().paths or {}
        for template, item in paths.items():
            for method in ("get", "put", "post", "delete", "patch"):
                if getattr(item, method, None) is not None:
                    self(
                        _warm_up_event(method.upper(), template),
                        cast(LambdaContext, _WarmUpContext()),
                    )


class _WarmUpContext:
    function_name = "snapstart-warm-up"
    memory_limit_in_mb = 0
    invoked_function_arn = ""
    aws_request_id = "snapstart-warm-up"


def _warm_up_event(method: str, template: str) -> dict[str, Any]:
    names = re.findall(r"{(\w+)}", template)
    path = re.sub(r"{\w+}", WARM_UP_PARAMETER, template)
    headers = {"Content-Type": "application/json"}
    return {
        "resource": template,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": dict.fromkeys(names, WARM_UP_PARAMETER) or None,
        "requestContext": {
            "requestId": WARM_UP_PARAMETER,
            "httpMethod": method,
            "path": path,
            "authorizer": {"tenant_id": WARM_UP_PARAMETER, "principalId": WARM_UP_PARAMETER},
        },
        "body": json.dumps({}) if method in BODY_METHODS else None,
        "isBase64Encoded": False,
    }


def build_api(*routers: APIGatewayRouter) -> Api:
    return Api(*routers)
