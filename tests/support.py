"""Helpers shared by the test tiers that go through the functions: the API's tenant, the events/
samples and the handlers that take them, a Lambda context, request counting, and reading
responses.

The ledger's tenants and actors, and Given-steps on the ledger and the vendor sandboxes, are in
tests/ledger_helpers.py. This module imports nothing of the service, so that benchmarks/ may
import it before they set the environment the service reads."""

from __future__ import annotations

import base64
import importlib.util
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from devtools.webhooks import SignedDelivery

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
FUNCTIONS = ROOT / "functions"
# The tenant of the events/ samples (the authorizer's) and of `make run`: the API tests' tenant.
API_TENANT = "dev-tenant"


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


class Functions:
    """The named functions' handlers, each imported as a cold Lambda container would, called as
    Lambda calls them: `functions("archive", event)` is ArchiveFunction's response."""

    def __init__(self, *names: str) -> None:
        self.modules = {name: load_handler(name) for name in names}

    def __call__(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        response: dict[str, Any] = self.modules[function].lambda_handler(event, FakeLambdaContext())
        return response


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
    tenant: str | None = API_TENANT,
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


def link_states_of(contact: dict[str, Any]) -> dict[str, str]:
    """A contact as the API answers it: the state of each of its links, by vendor (one link
    per vendor)."""
    return {link["vendor"]: link["state"] for link in contact["links"]}


def delivered(
    delivery: SignedDelivery,
    *,
    vendor: str | None = None,
    tenant: str = API_TENANT,
    headers: dict[str, str] | None = None,
    base64_body: bool = False,
) -> dict[str, Any]:
    """The API Gateway event of `delivery` POSTed to `/webhooks/{vendor}/{tenant}`: what
    WebhookFunction is handed (`headers` replace the delivery's own, signature included)."""
    vendor = vendor or delivery.vendor.value
    event = load_event("webhook_intercom_contact_archived")
    event["path"] = f"/webhooks/{vendor}/{tenant}"
    event["pathParameters"] = {"vendor": vendor, "tenant_id": tenant}
    event["requestContext"]["path"] = f"/dev{event['path']}"
    sent = dict(delivery.headers) if headers is None else headers
    event["headers"] = {"Host": "abc123.execute-api.us-east-1.amazonaws.com", **sent}
    event["multiValueHeaders"] = {name: [value] for name, value in event["headers"].items()}
    if base64_body:
        event["body"] = base64.b64encode(delivery.body).decode()
        event["isBase64Encoded"] = True
    else:
        event["body"] = delivery.body.decode("utf-8", errors="surrogateescape")
        event["isBase64Encoded"] = False
    return event


def flat(value: Any, at: str = "") -> dict[str, Any]:
    """Every leaf of a vendor's JSON contact by its path: `email_address.address`,
    `phone_numbers[1].kind`... (what the field-by-field round trips compare)."""
    if isinstance(value, dict) and value:
        return {
            path: leaf
            for key, item in value.items()
            for path, leaf in flat(item, f"{at}.{key}" if at else key).items()
        }
    if isinstance(value, list) and value:
        return {
            path: leaf
            for index, item in enumerate(value)
            for path, leaf in flat(item, f"{at}[{index}]").items()
        }
    return {at: value}


def covered(path: str, fields: set[str]) -> bool:
    """Whether a leaf's path lies under one of `fields` (a field, or its nested paths)."""
    return any(path == field or path.startswith((f"{field}.", f"{field}[")) for field in fields)


def stream_record(
    item: dict[str, Any], sequence_number: str = "100", *, old: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The record Lambda hands SyncFunction for a write that left `item` (INSERT, or MODIFY
    with the `old` image)."""
    images = {"NewImage": item} | ({"OldImage": old} if old is not None else {})
    return {
        "eventID": f"event-{sequence_number}",
        "eventName": "INSERT" if old is None else "MODIFY",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026-11-22",
        "dynamodb": {
            "ApproximateCreationDateTime": 1_795_381_800,
            "Keys": {"pk": item["pk"], "sk": item["sk"]},
            **images,
            "SequenceNumber": sequence_number,
            "SizeBytes": 256,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }
