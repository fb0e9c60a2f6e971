"""events/: a sample for every route and trigger in template.yaml, in the shapes AWS sends."""

from __future__ import annotations

import base64
import json
from typing import Any

from contact_archive.redrive import RedriveRequest
from devtools.template import api_routes, functions, load_template
from tests.support import EVENTS


def samples() -> dict[str, dict[str, Any]]:
    return {path.stem: json.loads(path.read_text()) for path in sorted(EVENTS.glob("*.json"))}


def test_every_api_route_has_a_sample_event() -> None:
    routes = {(route.method.upper(), route.path) for route in api_routes(load_template())}
    sampled = {
        (event["httpMethod"], event["resource"])
        for event in samples().values()
        if "httpMethod" in event
    }
    assert routes == sampled


def test_every_eventbridge_trigger_has_a_sample_event() -> None:
    detail_types = {
        detail_type
        for definition in functions(load_template()).values()
        for event in (definition.get("Events") or {}).values()
        if event["Type"] == "EventBridgeRule"
        for detail_type in event["Properties"]["Pattern"]["detail-type"]
    }
    sampled = {event["detail-type"] for event in samples().values() if "detail-type" in event}
    assert detail_types == sampled == {"ArchiveContact", "RestoreContact"}


def test_every_stream_trigger_has_a_sample_with_both_images_of_a_contact() -> None:
    streams = [
        event
        for definition in functions(load_template()).values()
        for event in (definition.get("Events") or {}).values()
        if event["Type"] == "DynamoDB"
    ]
    sampled = [
        record
        for event in samples().values()
        for record in event.get("Records", [])
        if record.get("eventSource") == "aws:dynamodb"
    ]
    assert len(streams) == 1 and sampled
    for record in sampled:
        images = record["dynamodb"]
        assert images["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert images["NewImage"]["type"] == {"S": "contact"}
        assert images["Keys"] == {key: images["NewImage"][key] for key in ("pk", "sk")}


def test_api_samples_have_the_rest_proxy_shape_and_a_tenant() -> None:
    for name, event in samples().items():
        if "httpMethod" not in event:
            continue
        context = event["requestContext"]
        assert context["resourcePath"] == event["resource"], name
        assert context["authorizer"]["tenant_id"] == "dev-tenant", name
        assert set(event["multiValueHeaders"]) == set(event["headers"]), name
        if event["pathParameters"]:
            resolved = event["resource"].replace(
                "{contact_id}", event["pathParameters"]["contact_id"]
            )
            assert event["path"] == resolved, name


def test_one_sample_carries_a_base64_encoded_body() -> None:
    encoded = [event for event in samples().values() if event.get("isBase64Encoded")]
    assert encoded
    for event in encoded:
        assert isinstance(json.loads(base64.b64decode(event["body"])), dict)


def test_eventbridge_samples_have_the_envelope_shape() -> None:
    envelope = {"version", "id", "detail-type", "source", "account", "time", "region", "resources"}
    for name, event in samples().items():
        if "detail-type" in event:
            assert envelope <= set(event), name
            assert {"tenant_id", "contact_id"} <= set(event["detail"]), name


def test_every_function_invoked_by_hand_has_a_sample_it_accepts() -> None:
    by_hand = sorted(
        logical_id
        for logical_id, definition in functions(load_template()).items()
        if not definition.get("Events")
    )
    assert by_hand == ["RedriveFunction"]
    request = RedriveRequest.model_validate(samples()["redrive_dead_letters"])
    assert request.max_messages == 10
