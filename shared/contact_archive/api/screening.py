"""What a request's body must be before any route reads it: UTF-8 JSON, sent as such.

API Gateway hands the function whatever the client sent: a body marked base64 that is not, bytes
that are not UTF-8, a form or a multipart body (which Powertools would read as `{}`, and a PUT
would then wipe the contact), JSON nested deeper than a parser can follow. Each is refused here
with a 4xx naming what was wrong, never any part of the body (it may hold personal data), and
the route never runs. A body that passes is handed on as plain text.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from contact_archive.ledger.errors import DomainError

JSON_MEDIA_TYPE = "application/json"
# The methods whose routes may read a body; any other route never reads one.
BODY_METHODS = {"POST", "PUT", "PATCH"}


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"

    def __init__(self) -> None:
        super().__init__(f"send the body as {JSON_MEDIA_TYPE} (UTF-8)")


class MalformedBody(DomainError):
    code = "malformed_body"

    def __init__(self, why: str) -> None:
        super().__init__(f"the body {why}")


class MalformedJson(DomainError):
    code = "malformed_json"

    def __init__(self, why: str = "is not valid JSON") -> None:
        super().__init__(f"the body {why}")


def screened(event: dict[str, Any]) -> dict[str, Any]:
    """`event` with its body as UTF-8 text, or a `DomainError` saying why it cannot be read."""
    body = event.get("body")
    if body is None or body == "" or event.get("httpMethod") not in BODY_METHODS:
        return event
    if not isinstance(body, str):
        raise MalformedBody("is not text")
    _require_json_content_type(event)
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedBody("is marked base64 and is not") from None
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedBody("is not UTF-8") from None
    try:
        json.loads(body)
    except RecursionError:
        raise MalformedJson("is nested too deeply") from None
    except ValueError:
        raise MalformedJson() from None
    return {**event, "body": body, "isBase64Encoded": False}


def _require_json_content_type(event: dict[str, Any]) -> None:
    headers = event.get("headers") or {}
    values = [
        value
        for name, value in headers.items()
        if isinstance(name, str) and name.lower() == "content-type"
    ]
    if not values:
        return  # absent: read as JSON, as the API has always done
    media_type, *parameters = str(values[-1]).split(";")
    if media_type.strip().lower() != JSON_MEDIA_TYPE:
        raise UnsupportedMediaType()
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() != "utf-8":
            raise UnsupportedMediaType()
