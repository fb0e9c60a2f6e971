"""JobsFunction: submits bulk jobs and reports on them (the work is JobWorkerFunction's)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from contact_archive.entrypoints import jobs_entrypoint
from contact_archive.observability import logger, metrics

handle = jobs_entrypoint()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, context)
