"""RedriveFunction: replays SyncFunction's dead letters from the table's stream (invoked by hand:
`sam remote invoke RedriveFunction --event '{"max_messages": 10}'`)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from contact_archive.entrypoints import redrive_entrypoint
from contact_archive.observability import logger, metrics

handle = redrive_entrypoint()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, context)
