"""JobWorkerFunction: the jobs queue; each message a unit of a bulk job, or a filter to cut."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from contact_archive.entrypoints import job_worker_entrypoint
from contact_archive.observability import logger, metrics

handle = job_worker_entrypoint()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, context)
