"""The AWS calls a function's code makes, recorded with botocore's event hooks, each as the IAM
authorisation it needs: the action, the resource's ARN, and the partition keys it touches
(what `dynamodb:LeadingKeys` is evaluated on).

The hooks go into botocore's built-in handlers, so that every session created while recording
carries them, whichever module builds its client (the store, Powertools Parameters, ...)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from botocore import handlers

from tests.iam_policies import ACCOUNT, REGION

# Operations whose IAM action is named otherwise (Service Authorization Reference): SQS's batch
# calls are authorised as their single-message actions.
ACTION_NAMES = {
    ("lambda", "Invoke"): "lambda:InvokeFunction",
    ("sqs", "SendMessageBatch"): "sqs:SendMessage",
    ("sqs", "DeleteMessageBatch"): "sqs:DeleteMessage",
    ("sqs", "ChangeMessageVisibilityBatch"): "sqs:ChangeMessageVisibility",
}
# Transactions have no action of their own: each item is authorised as its single-item action.
TRANSACT_ITEMS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


@dataclass(frozen=True)
class Call:
    """One authorisation a call needs: `dynamodb:PutItem` on the table, for keys `{pk}`."""

    function: str
    action: str
    resource: str
    keys: frozenset[str] | None = None  # the partition keys; None where the call names none


@dataclass
class Recorder:
    """Records the calls made while `running(function)`; setup outside that is not recorded."""

    calls: list[Call] = field(default_factory=list)
    function: str | None = None
    _iterators: dict[str, str] = field(default_factory=dict)  # shard iterator -> stream ARN

    @contextmanager
    def installed(self) -> Iterator[Recorder]:
        hooks = [
            ("before-parameter-build", self._before),
            ("after-call.dynamodbstreams", self._after),
        ]
        handlers.BUILTIN_HANDLERS.extend(hooks)
        try:
            yield self
        finally:
            for hook in hooks:
                handlers.BUILTIN_HANDLERS.remove(hook)

    @contextmanager
    def running(self, function: str) -> Iterator[None]:
        """Calls made meanwhile are `function`'s; a function it invokes records its own."""
        previous, self.function = self.function, function
        try:
            yield
        finally:
            self.function = previous

    def by_function(self, function: str) -> list[Call]:
        return [call for call in self.calls if call.function == function]

    def _before(
        self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> None:
        service = model.service_model.service_name
        if service == "dynamodbstreams":
            stream = params.get("StreamArn") or self._iterators[params["ShardIterator"]]
            context["stream_arn"] = stream
        if self.function is None:
            return
        for action, resource, keys in authorisations(service, model.name, params, context):
            self.calls.append(Call(self.function, action, resource, keys))

    def _after(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        for name in ("ShardIterator", "NextShardIterator"):
            if parsed.get(name):
                self._iterators[parsed[name]] = context["stream_arn"]


Authorisation = tuple[str, str, frozenset[str] | None]


def authorisations(
    service: str, operation: str, params: dict[str, Any], context: dict[str, Any]
) -> list[Authorisation]:
    if service == "dynamodb":
        return _dynamodb(operation, params)
    if service == "dynamodbstreams":
        return [(f"dynamodb:{operation}", context["stream_arn"], None)]
    action = ACTION_NAMES.get((service, operation), f"{service}:{operation}")
    if service == "secretsmanager":
        secret = params.get("SecretId")
        return [(action, _secret_arn(secret) if secret else "*", None)]
    if service == "sqs":
        _, account, name = urlparse(params["QueueUrl"]).path.split("/")
        return [(action, f"arn:aws:sqs:{REGION}:{account}:{name}", None)]
    if service == "events":
        buses = {entry.get("EventBusName", "default") for entry in params["Entries"]}
        return [(action, _arn("events", f"event-bus/{bus}", bus), None) for bus in sorted(buses)]
    if service == "lambda":
        name = params["FunctionName"]
        return [(action, _arn("lambda", f"function:{name}", name), None)]
    raise AssertionError(f"no IAM mapping for {service}.{operation}: add one")


def _dynamodb(operation: str, params: dict[str, Any]) -> list[Authorisation]:
    if operation in ("TransactWriteItems", "TransactGetItems"):
        found = []
        for item in params["TransactItems"]:
            ((kind, request),) = item.items()
            key = request.get("Key") or request.get("Item")
            found.append((f"dynamodb:{TRANSACT_ITEMS[kind]}", _table(request), _keys([key])))
        return found
    if operation in ("BatchWriteItem", "BatchGetItem"):
        found = []
        for table, requests in params["RequestItems"].items():
            if operation == "BatchGetItem":
                keys = requests["Keys"]
            else:
                keys = [
                    (r.get("PutRequest") or {}).get("Item") or r["DeleteRequest"]["Key"]
                    for r in requests
                ]
            found.append((f"dynamodb:{operation}", _table({"TableName": table}), _keys(keys)))
        return found
    if operation == "Query" and "IndexName" not in params:
        # A Query of the table: its leading key is the partition key its key condition names.
        named = re.search(r"\bpk\s*=\s*(:\w+)", params["KeyConditionExpression"])
        pk = params["ExpressionAttributeValues"][named.group(1)]["S"] if named else None
        return [(f"dynamodb:{operation}", _table(params), frozenset({pk}) if pk else None)]
    key = params.get("Key") or params.get("Item")
    return [(f"dynamodb:{operation}", _table(params), _keys([key]) if key else None)]


def _table(request: dict[str, Any]) -> str:
    arn = _arn("dynamodb", f"table/{request['TableName']}", request["TableName"])
    return f"{arn}/index/{request['IndexName']}" if "IndexName" in request else arn


def _keys(items: list[dict[str, Any]]) -> frozenset[str]:
    return frozenset(item["pk"]["S"] for item in items)


def _secret_arn(secret: str) -> str:
    # A secret's ARN ends in six random characters after its name: any six stand for them.
    return _arn("secretsmanager", f"secret:{secret}-AbC123", secret)


def _arn(service: str, resource: str, name_or_arn: str) -> str:
    if name_or_arn.startswith("arn:"):
        return name_or_arn
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"
