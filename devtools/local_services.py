"""The AWS services besides DynamoDB that functions call, as loopback stand-ins for one local
run (`make invoke`, the built-artifacts test): the event bus, SQS, and Lambda's Invoke API.

- EventBridge: `LocalEventBus` (`local_sync.py`) keeps what SyncFunction and ReconcileFunction
  announce, on `EVENT_BUS_NAME`.
- SQS: moto's server, with the bulk jobs queue (and its dead-letter queue, as the template
  redrives it) and an empty SyncFunction dead-letter queue for RedriveFunction to read.
- Lambda: `LocalLambda` answers `Invoke` for the functions of the runner, so that RedriveFunction
  replays into a local SyncFunction as it does into the deployed one.

`local_services(invoke, dynamodb_endpoint, declared)` runs those a function needs and yields the
variables that point it at them: the names the template gives deployed functions, plus endpoints.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Collection, Iterator
from typing import Any

import boto3

from devtools.containers import FunctionError
from devtools.local_sync import LocalEventBus
from devtools.loopback import JsonHandler, LoopbackServer

REGION = "us-east-1"
LOCAL_BUS_NAME = "contact-archive-local"
JOB_QUEUE_NAME = "contact-archive-local-jobs"
JOB_DEAD_LETTER_QUEUE_NAME = "contact-archive-local-job-dlq"
SYNC_DEAD_LETTER_QUEUE_NAME = "contact-archive-local-sync-dlq"
# Deployed, SYNC_FUNCTION_NAME is SyncFunction's physical name; locally its logical id, which is
# what `LocalLambda` (and `sam local start-lambda`) answer to.
SYNC_FUNCTION_NAME = "SyncFunction"

Invoke = Callable[[str, Any], Any]  # (logical id, event) -> the handler's result

_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")


class LocalLambda(LoopbackServer):
    """Lambda's synchronous `Invoke` on 127.0.0.1: the function named in the path (a logical
    id, or an ARN ending with one) is run by `invoke`; a handler's error comes back as Lambda
    reports it (`X-Amz-Function-Error: Unhandled`, its type and message as the payload)."""

    def __init__(self, invoke: Invoke) -> None:
        run = invoke

        class Handler(JsonHandler):
            def do_POST(self) -> None:
                found = _INVOKE_PATH.match(self.path.split("?")[0])
                body = self.body()
                if found is None:
                    self.answer(404, {"message": f"no such path {self.path}"})
                    return
                name = found.group("name").rsplit(":", 1)[-1]
                try:
                    result = run(name, json.loads(body or b"null"))
                except FunctionError as error:
                    payload = {"errorType": error.error_type, "errorMessage": str(error)}
                    self.answer(200, payload, {"X-Amz-Function-Error": "Unhandled"})
                    return
                self.answer(200, result)

        super().__init__(Handler)


class LocalQueues:
    """SQS as moto's server answers it: the jobs queue (redriven to its dead-letter queue after
    the template's maxReceiveCount) and SyncFunction's dead-letter queue. Nothing consumes them:
    a message sent in a call stays there, as it would in SQS with no poller attached."""

    def __init__(self) -> None:
        # Imported here: moto takes half a second to import, and most calls need no queue.
        from devtools.local_queue import quiet_moto_server

        self._server = quiet_moto_server()
        self.endpoint_url = ""
        self.job_queue_url = ""
        self.sync_dead_letter_url = ""

    def __enter__(self) -> LocalQueues:
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        self.job_queue_url, self.sync_dead_letter_url = ensure_queues(self.endpoint_url)
        return self

    def __exit__(self, *_: object) -> None:
        self._server.stop()

    def environment(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL_SQS": self.endpoint_url,
            "JOB_QUEUE_URL": self.job_queue_url,
            "DEAD_LETTER_QUEUE_URL": self.sync_dead_letter_url,
        }


def ensure_queues(endpoint_url: str) -> tuple[str, str]:
    """(jobs queue URL, SyncFunction's dead-letter queue URL) on the SQS at `endpoint_url`,
    created if missing: `make run`'s jobs queue is used as it is (`make env-vars`)."""
    from devtools.local_queue import MAX_RECEIVES  # imports moto: only when queues are wanted

    sqs = boto3.client(
        "sqs",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - moto takes any key
    )

    def queue(name: str, redrive: dict[str, str] | None = None) -> str:
        try:
            return str(sqs.get_queue_url(QueueName=name)["QueueUrl"])
        except sqs.exceptions.QueueDoesNotExist:
            if redrive is None:
                return str(sqs.create_queue(QueueName=name)["QueueUrl"])
            created = sqs.create_queue(
                QueueName=name, Attributes={"RedrivePolicy": json.dumps(redrive)}
            )
            return str(created["QueueUrl"])

    job_dlq = queue(JOB_DEAD_LETTER_QUEUE_NAME)
    job_dlq_arn = sqs.get_queue_attributes(QueueUrl=job_dlq, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    redrive = {"deadLetterTargetArn": job_dlq_arn, "maxReceiveCount": str(MAX_RECEIVES)}
    jobs = queue(JOB_QUEUE_NAME, redrive)
    return jobs, queue(SYNC_DEAD_LETTER_QUEUE_NAME)


# Which stand-ins a function needs, by the variables the template declares for it: a function
# that declares none of them gets none started (each costs a second or so of a local call).
NEEDS_BUS = "EVENT_BUS_NAME"
NEEDS_QUEUES = ("JOB_QUEUE_URL", "DEAD_LETTER_QUEUE_URL")
NEEDS_FUNCTIONS = "SYNC_FUNCTION_NAME"


@contextlib.contextmanager
def local_services(
    invoke: Invoke, dynamodb_endpoint: str, declared: Collection[str] | None = None
) -> Iterator[dict[str, str]]:
    """The bus, the queues and the Invoke API for the `with` block; yields the variables that
    point a function at them (and at DynamoDB Local's streams, which RedriveFunction reads).
    With `declared` (the variables the template gives the function), only what those need."""

    def wanted(*names: str) -> bool:
        return declared is None or any(name in declared for name in names)

    with contextlib.ExitStack() as running:
        environment = {"AWS_ENDPOINT_URL_DYNAMODB_STREAMS": dynamodb_endpoint}
        if wanted(NEEDS_BUS):
            bus = running.enter_context(LocalEventBus())
            environment |= {
                "EVENT_BUS_NAME": LOCAL_BUS_NAME,
                "AWS_ENDPOINT_URL_EVENTBRIDGE": bus.url,
            }
        if wanted(*NEEDS_QUEUES):
            environment |= running.enter_context(LocalQueues()).environment()
        if wanted(NEEDS_FUNCTIONS):
            functions = running.enter_context(LocalLambda(invoke))
            environment |= {
                "SYNC_FUNCTION_NAME": SYNC_FUNCTION_NAME,
                "AWS_ENDPOINT_URL_LAMBDA": functions.url,
            }
        yield environment
