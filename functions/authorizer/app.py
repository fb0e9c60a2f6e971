"""AuthorizerFunction: API Gateway's TOKEN authorizer over the built-in API keys."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from contact_archive.entrypoints import authorizer_entrypoint
from contact_archive.observability import logger

handle = authorizer_entrypoint()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, context)
