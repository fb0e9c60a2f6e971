"""Helpers shared by the test tiers: events, handlers, a Lambda context, request counting."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
FUNCTIONS = ROOT / "functions"
TENANT = "dev-tenant"


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return event


def load_handler(function_dir: str) -> ModuleType:
    """Import `functions/<dir>/app.py` afresh, as a cold Lambda container would."""
    path = FUNCTIONS / function_dir / "app.py"
    spec = importlib.util.spec_from_file_location(f"function_{function_dir}_app", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class FakeLambdaContext:
    function_name: str = "test-function"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"


class RequestCounter:
    """Counts the DynamoDB API calls a client makes, with botocore's event hooks."""

    def __init__(self, client: Any) -> None:
        self.calls: Counter[str] = Counter()
        client.meta.events.register("before-call.dynamodb", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def reset(self) -> None:
        self.calls.clear()


def api_event(
    name: str,
    *,
    body: Any = ...,
    raw_body: str | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    contact_id: str | None = None,
    tenant: str | None = TENANT,
) -> dict[str, Any]:
    """A sample event from events/, with the parts a test varies replaced."""
    event = load_event(name)
    if contact_id is not None:
        event["pathParameters"] = {"contact_id": contact_id}
        event["path"] = event["resource"].replace("{contact_id}", contact_id)
    if body is not ...:
        event["body"] = None if body is None else json.dumps(body)
        event["isBase64Encoded"] = False
    if raw_body is not None:
        event["body"] = raw_body
        event["isBase64Encoded"] = False
    if headers:
        event["headers"] = {**event["headers"], **headers}
        event["multiValueHeaders"] = {k: [v] for k, v in event["headers"].items()}
    if query is not None:
        event["queryStringParameters"] = query or None
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} or None
    authorizer = event["requestContext"]["authorizer"]
    if tenant is None:
        authorizer.pop("tenant_id", None)
    else:
        authorizer["tenant_id"] = tenant
    return event


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


def header_of(response: dict[str, Any], name: str) -> str | None:
    values = response.get("multiValueHeaders", {}).get(name) or []
    return values[0] if values else (response.get("headers") or {}).get(name)
