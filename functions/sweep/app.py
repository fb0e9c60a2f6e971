"""SweepFunction: on a schedule, drives again the vendor links no stream record settled (a record
lost, a vendor down for long, a quota spent), from the ledger's due index."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from contact_archive.entrypoints import sweep_entrypoint
from contact_archive.observability import logger, metrics

handle = sweep_entrypoint()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, context)
