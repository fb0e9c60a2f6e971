"""ListFunction: lists contacts and reads one contact or its history. Reads emit no metrics."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from contact_archive.entrypoints import list_entrypoint
from contact_archive.observability import logger

handle = list_entrypoint()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, context)
