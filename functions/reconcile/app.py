"""ReconcileFunction: on a schedule, finds what vendors changed by themselves (drift) and applies
it to the ledger, per tenant and vendor, bounded and resumable from a stored watermark."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from contact_archive.entrypoints import reconcile_entrypoint
from contact_archive.observability import logger, metrics

handle = reconcile_entrypoint()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, context)
