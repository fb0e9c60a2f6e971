"""events/: a sample for every route and trigger in template.yaml, in the shapes AWS sends."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr

from contact_archive.ledger.api_keys import parse_bearer
from contact_archive.sync.redrive import RedriveRequest
from contact_archive.vendors.intercom import webhook as intercom_webhook
from contact_archive.vendors.sequence import webhook as sequence_webhook
from devtools.template import api_routes, functions, load_template
from devtools.webhooks import TEST_WEBHOOK_SECRET
from tests.support import API_TENANT, EVENTS


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
    sampled = {
        event["detail-type"]
        for event in samples().values()
        if "detail-type" in event and event.get("source") != SCHEDULER_SOURCE
    }
    assert detail_types == sampled == {"ArchiveContact", "RestoreContact"}


# A schedule's events come from EventBridge itself, always in this shape.
SCHEDULER_SOURCE = "aws.events"


def test_every_schedule_trigger_has_a_scheduled_event_sample() -> None:
    schedules = [
        logical_id
        for logical_id, definition in functions(load_template()).items()
        for event in (definition.get("Events") or {}).values()
        if event["Type"] in ("Schedule", "ScheduleV2")
    ]
    sampled = [event for event in samples().values() if event.get("source") == SCHEDULER_SOURCE]
    assert sorted(schedules) == ["ReconcileFunction", "SweepFunction"]
    assert len(sampled) == len(schedules)
    assert samples()["reconcile_schedule"] in sampled and samples()["sweep_schedule"] in sampled
    for event in sampled:
        assert event["detail-type"] == "Scheduled Event"
        assert event["detail"] == {}
        assert len(event["resources"]) == 1 and ":rule/" in event["resources"][0]


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
        if event["resource"].startswith("/webhooks/"):
            # No authorizer on the webhook routes: the tenant is in the path (and the signature)
            assert "authorizer" not in context, name
            assert event["pathParameters"]["tenant_id"] == API_TENANT, name
        else:
            assert context["authorizer"]["tenant_id"] == API_TENANT, name
        assert set(event["multiValueHeaders"]) == set(event["headers"]), name
        if event["pathParameters"]:
            resolved = event["resource"]
            for parameter, value in event["pathParameters"].items():
                resolved = resolved.replace(f"{{{parameter}}}", value)
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
            if event["source"] != SCHEDULER_SOURCE:  # a command names its contact
                assert {"tenant_id", "contact_id"} <= set(event["detail"]), name


def test_every_function_invoked_by_hand_has_a_sample_it_accepts() -> None:
    by_hand = sorted(
        logical_id
        for logical_id, definition in functions(load_template()).items()
        if not definition.get("Events")
    )
    # AuthorizerFunction has no events of its own: API Gateway calls it (LedgerApi's Auth).
    assert by_hand == ["AuthorizerFunction", "RedriveFunction"]
    request = RedriveRequest.model_validate(samples()["redrive_dead_letters"])
    assert request.max_messages == 10
    token = samples()["authorize_api_key"]
    assert token["type"] == "TOKEN" and parse_bearer(token["authorizationToken"])


# -- webhooks ----------------------------------------------------------------------------------


def _webhook_samples() -> dict[str, dict[str, Any]]:
    return {
        name: event
        for name, event in samples().items()
        if event.get("httpMethod") == "POST" and event["resource"].startswith("/webhooks/")
    }


def test_every_webhook_topic_has_a_sample_signed_with_the_test_secret() -> None:
    """Each sample verifies with `TEST_WEBHOOK_SECRET` (Sequence's at its own fixed `t`: later
    it is outside the 5-minute window, so tests give the handler a clock) and parses."""
    secret = SecretStr(TEST_WEBHOOK_SECRET)
    topics = set()
    for name, event in _webhook_samples().items():
        body = event["body"].encode()
        if event["isBase64Encoded"]:
            body = base64.b64decode(event["body"])
        vendor = event["pathParameters"]["vendor"]
        if vendor == "intercom":
            intercom_webhook.verify(body, event["headers"], secret)
            notification = intercom_webhook.parse(body)
        else:
            signed = event["headers"][sequence_webhook.SIGNATURE_HEADER]
            moment = datetime.fromtimestamp(int(signed.split(",")[0][2:]) / 1000, UTC)
            delivered_at = sequence_webhook.verify(body, event["headers"], secret, moment)
            notification = sequence_webhook.parse(body, delivered_at=delivered_at)
        assert event["path"] == f"/webhooks/{vendor}/{API_TENANT}", name
        topics.add((vendor, notification.topic))
    assert topics == {
        ("intercom", "contact.archived"),
        ("intercom", "contact.unarchived"),
        ("intercom", "contact.deleted"),
        ("sequence", "CUSTOMER_ARCHIVED"),
    }
    assert any(event["isBase64Encoded"] for event in _webhook_samples().values())
