"""The one place where errors become HTTP responses: `{"error": {code, message, details}}`."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from contact_archive.api.screening import MalformedBody, MalformedJson, UnsupportedMediaType
from contact_archive.inbound import errors as inbound_errors
from contact_archive.ledger import errors
from contact_archive.observability import logger
from contact_archive.vendors import errors as vendor_errors


class MissingTenant(errors.DomainError):
    code = "unauthorized"

    def __init__(self) -> None:
        super().__init__("no tenant in the request's authorizer context")


class InvalidHeader(errors.DomainError):
    code = "invalid_header"

    def __init__(self, header: str, why: str) -> None:
        super().__init__(f"invalid {header} header: {why}", {"header": header})


class InvalidQuery(errors.DomainError):
    """Query parameters that are each valid but do not go together."""

    code = "invalid_query"

    def __init__(self, why: str) -> None:
        super().__init__(why)


class ReservedContactId(errors.DomainError):
    """A contact id that is a route of its own (`GET /contacts/resolve`)."""

    code = "reserved_contact_id"

    def __init__(self, contact_id: str) -> None:
        super().__init__(
            f"{contact_id!r} names a route (GET /contacts/{contact_id}): choose another id",
            {"contact_id": contact_id},
        )


STATUS_BY_ERROR: dict[type[errors.DomainError], HTTPStatus] = {
    InvalidQuery: HTTPStatus.UNPROCESSABLE_ENTITY,
    ReservedContactId: HTTPStatus.UNPROCESSABLE_ENTITY,
    errors.ContactNotFound: HTTPStatus.NOT_FOUND,
    errors.ContactErased: HTTPStatus.GONE,
    errors.JobNotFound: HTTPStatus.NOT_FOUND,
    errors.JobAlreadyFinished: HTTPStatus.CONFLICT,
    # SQS, not this service, failed (as a vendor's failure, a 424): the job is marked failed
    # and the key released for a retry.
    errors.JobNotQueued: HTTPStatus.FAILED_DEPENDENCY,
    errors.NoMatchingContact: HTTPStatus.NOT_FOUND,
    errors.AmbiguousContact: HTTPStatus.CONFLICT,
    errors.VersionConflict: HTTPStatus.CONFLICT,
    errors.VendorIdTaken: HTTPStatus.CONFLICT,
    errors.LinkLocked: HTTPStatus.CONFLICT,
    errors.IdempotencyInProgress: HTTPStatus.CONFLICT,
    errors.IdempotencyKeyReused: HTTPStatus.UNPROCESSABLE_ENTITY,
    errors.UnknownLink: HTTPStatus.UNPROCESSABLE_ENTITY,
    errors.InvalidCursor: HTTPStatus.BAD_REQUEST,
    InvalidHeader: HTTPStatus.BAD_REQUEST,
    UnsupportedMediaType: HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
    MalformedBody: HTTPStatus.BAD_REQUEST,
    MalformedJson: HTTPStatus.BAD_REQUEST,
    MissingTenant: HTTPStatus.UNAUTHORIZED,
    vendor_errors.VendorNotConfigured: HTTPStatus.CONFLICT,
    # The vendor, not this service, failed: not a 5xx of ours; `details.retryable` says more.
    vendor_errors.VendorCallFailed: HTTPStatus.FAILED_DEPENDENCY,
    # Inbound webhooks: the signature is the authentication; a URL without one is not there.
    inbound_errors.WebhookNotConfigured: HTTPStatus.NOT_FOUND,
    inbound_errors.WebhookUnauthenticated: HTTPStatus.UNAUTHORIZED,
    inbound_errors.WebhookBodyMalformed: HTTPStatus.BAD_REQUEST,
}


def error_response(
    status: HTTPStatus, code: str, message: str, details: Any = None
) -> Response[dict[str, Any]]:
    return Response(
        status_code=status.value,
        content_type=content_types.APPLICATION_JSON,
        body={"error": {"code": code, "message": message, "details": details}},
    )


def refusal(error: errors.DomainError) -> dict[str, Any]:
    """`error` as the proxy response API Gateway reads, for a request refused before the
    resolver ran (`screening.py`): the same status and body the resolver would answer."""
    status = STATUS_BY_ERROR.get(type(error), HTTPStatus.BAD_REQUEST)
    body = {"error": {"code": error.code, "message": error.message, "details": error.details}}
    return {
        "statusCode": status.value,
        "body": json.dumps(body, separators=(",", ":")),
        "isBase64Encoded": False,
        "multiValueHeaders": {"Content-Type": [content_types.APPLICATION_JSON]},
    }


def _field(location: tuple[Any, ...]) -> str:
    # ("body", "links", 0, "vendor") -> "body.links[0].vendor"
    name = ""
    for part in location:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name


def register_error_handlers(app: APIGatewayRestResolver) -> None:
    @app.exception_handler(errors.DomainError)
    def domain_error(error: errors.DomainError) -> Response[dict[str, Any]]:
        status = STATUS_BY_ERROR.get(type(error), HTTPStatus.BAD_REQUEST)
        return error_response(status, error.code, error.message, error.details)

    @app.exception_handler(RequestValidationError)
    def invalid_request(error: RequestValidationError) -> Response[dict[str, Any]]:
        problems = error.errors()
        if any(problem.get("type") == "json_invalid" for problem in problems):
            return error_response(
                HTTPStatus.BAD_REQUEST, "malformed_json", "the body is not valid JSON"
            )
        # Never echo the input back: it may hold personal data.
        fields = [
            {
                "field": _field(tuple(problem["loc"])),
                "type": problem["type"],
                "message": problem["msg"],
            }
            for problem in problems
        ]
        names = ", ".join(field["field"] for field in fields)
        return error_response(
            HTTPStatus.UNPROCESSABLE_ENTITY, "validation_error", f"invalid: {names}", fields
        )

    @app.exception_handler(RequestUnsupportedContentType)
    def unsupported_content_type(error: RequestUnsupportedContentType) -> Response[dict[str, Any]]:
        return error_response(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "send application/json"
        )

    @app.not_found
    def route_not_found(error: NotFoundError) -> Response[dict[str, Any]]:
        return error_response(HTTPStatus.NOT_FOUND, "route_not_found", "no such route")

    @app.exception_handler(Exception)
    def unexpected(error: Exception) -> Response[dict[str, Any]]:
        logger.exception("unhandled error")
        return error_response(
            HTTPStatus.INTERNAL_SERVER_ERROR,
            "internal_error",
            "an unexpected error occurred; it has been logged",
            {"request_id": app.current_event.request_context.request_id},
        )
