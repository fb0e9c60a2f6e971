"""template.yaml's operations side: alarms on every function, queue and stream, all notifying one
topic; the bus rules' dead letters; the tracing switch (no AWS, no network)."""

from __future__ import annotations

from typing import Any

import pytest

from devtools.template import functions, load_template

NOTIFY = [{"Fn::If": ["CreateAlarmTopic", {"Ref": "AlarmTopic"}, {"Ref": "AlarmTopicArn"}]}]
DEAD_LETTER_QUEUES = ("SyncDeadLetterQueue", "JobDeadLetterQueue", "CommandDeadLetterQueue")


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def _alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
    }


def test_every_alarm_notifies_the_topic_or_the_deployers(template: dict[str, Any]) -> None:
    alarms = _alarms(template)
    assert alarms
    for logical_id, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == NOTIFY, logical_id
    topic = template["Resources"]["AlarmTopic"]
    assert topic["Type"] == "AWS::SNS::Topic"
    assert topic["Condition"] == "CreateAlarmTopic"
    assert template["Conditions"]["CreateAlarmTopic"] == {
        "Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]
    }
    assert template["Parameters"]["AlarmTopicArn"]["Default"] == ""


@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_every_function_has_its_errors_and_throttles_alarmed(
    template: dict[str, Any], metric: str
) -> None:
    watched = {}
    for alarm in _alarms(template).values():
        properties = alarm["Properties"]
        if properties["Namespace"] == "AWS/Lambda" and properties["MetricName"] == metric:
            (dimension,) = properties["Dimensions"]
            assert dimension["Name"] == "FunctionName"
            watched[dimension["Value"]["Ref"]] = alarm
            assert properties["Threshold"] == 0
            assert properties["ComparisonOperator"] == "GreaterThanThreshold"
    assert set(watched) == set(functions(template))
    # An alarm on a function that may not exist (the built-in authorizer) exists with it.
    for function, alarm in watched.items():
        assert alarm.get("Condition") == template["Resources"][function].get("Condition")


def test_the_streams_iterator_age_is_alarmed_below_the_records_maximum_age(
    template: dict[str, Any],
) -> None:
    (alarm,) = (
        alarm["Properties"]
        for alarm in _alarms(template).values()
        if alarm["Properties"]["MetricName"] == "IteratorAge"
    )
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "SyncFunction"}}]
    (event,) = template["Resources"]["SyncFunction"]["Properties"]["Events"].values()
    assert alarm["Threshold"] < event["Properties"]["MaximumRecordAgeInSeconds"] * 1000


@pytest.mark.parametrize("queue", DEAD_LETTER_QUEUES)
def test_every_dead_letter_queue_is_encrypted_and_alarmed(
    template: dict[str, Any], queue: str
) -> None:
    # SQS-managed SSE, or the deployer's KMS key (KmsKeyArn) instead.
    properties = template["Resources"][queue]["Properties"]
    assert properties["SqsManagedSseEnabled"] == {"Fn::If": ["UseKmsKey", False, True]}
    assert properties["KmsMasterKeyId"] == {
        "Fn::If": ["UseKmsKey", {"Ref": "KmsKeyArn"}, {"Ref": "AWS::NoValue"}]
    }
    watched = [
        alarm["Properties"]
        for alarm in _alarms(template).values()
        if alarm["Properties"]["Namespace"] == "AWS/SQS"
        and alarm["Properties"]["Dimensions"]
        == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}]
    ]
    assert [alarm["MetricName"] for alarm in watched] == ["ApproximateNumberOfMessagesVisible"]


def test_commands_that_fail_go_to_a_dead_letter_queue(template: dict[str, Any]) -> None:
    dead_letters = {"Fn::GetAtt": ["CommandDeadLetterQueue", "Arn"]}
    for logical_id in ("ArchiveFunction", "RestoreFunction"):
        properties = template["Resources"][logical_id]["Properties"]
        (rule,) = (
            event["Properties"]
            for event in properties["Events"].values()
            if event["Type"] == "EventBridgeRule"
        )
        # Not delivered (EventBridge's retries spent), or delivered and failed (Lambda's).
        assert rule["DeadLetterConfig"] == {"Arn": dead_letters}
        assert rule["RetryPolicy"]["MaximumRetryAttempts"] > 2
        assert properties["DeadLetterQueue"] == {"Type": "SQS", "TargetArn": dead_letters}
    policy = template["Resources"]["CommandDeadLetterQueuePolicy"]["Properties"]
    assert policy["Queues"] == [{"Ref": "CommandDeadLetterQueue"}]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert "ArnLike" in statement["Condition"]  # only this bus's rules


def test_every_checkov_waiver_names_its_check_and_says_why(template: dict[str, Any]) -> None:
    waived = 0
    for logical_id, resource in template["Resources"].items():
        skips = ((resource.get("Metadata") or {}).get("checkov") or {}).get("skip") or []
        for skip in skips:
            assert skip["id"].startswith("CKV_AWS_"), logical_id
            assert len(skip["comment"]) > 20, (logical_id, skip["id"])  # a reason, not a shrug
            waived += 1
    assert waived > 0
