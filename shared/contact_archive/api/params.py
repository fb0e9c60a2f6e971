"""Parameter types shared by the routers."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header, Path

from contact_archive.ledger.models import CONTACT_ID_PATTERN

ContactIdPath = Annotated[str, Path(pattern=CONTACT_ID_PATTERN, description="The contact's id")]
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="idempotency-key",
        min_length=1,
        max_length=255,
        description="Same key and same body: the same response, and the change happens once.",
    ),
]
IfMatchHeader = Annotated[
    str | None,
    Header(alias="if-match", description='The version last seen, as in the ETag: "3".'),
]
