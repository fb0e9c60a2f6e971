"""ArchiveFunction: archives contacts, from the API and from EventBridge `ArchiveContact` commands."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from contact_archive.entrypoints import change_entrypoint
from contact_archive.ledger.models import ChangeAction
from contact_archive.observability import logger, metrics

handle = change_entrypoint(ChangeAction.ARCHIVE)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, context)
