"""The local stack's jobs queue: SQS as moto's server answers it on 127.0.0.1 (the real SQS API,
with the template's redrive policy to a dead-letter queue), and pollers that deliver its
messages to JobWorkerFunction as Lambda's SQS event source does: one message per event, the
receive count in its attributes, failed messages (`batchItemFailures`) left to come again, and
as many messages at once as the event's MaximumConcurrency (each in a container of its own).

JobsFunction and JobWorkerFunction reach it through `AWS_ENDPOINT_URL_SQS` and `JOB_QUEUE_URL`
(`environment()`), exactly as they reach SQS when deployed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from devtools.containers import error_type
from devtools.template import functions

REGION = "us-east-1"
MAX_RECEIVES = 5  # the template's maxReceiveCount
# Locally a failed message comes back after this (deployed: the queue's VisibilityTimeout).
RETRY_AFTER_SECONDS = 1
# Longer than any local unit takes: a message is not delivered twice while it is worked on.
VISIBILITY_SECONDS = 600
POLL_SECONDS = 0.2  # an empty queue is asked again this much later


def worker_concurrency(template: dict[str, Any], logical_id: str = "JobWorkerFunction") -> int:
    """How many of the queue's messages Lambda works on at once: the SQS event's
    `ScalingConfig.MaximumConcurrency` (1 when the template sets none)."""
    for event in (functions(template)[logical_id].get("Events") or {}).values():
        if event.get("Type") == "SQS":
            scaling = event.get("Properties", {}).get("ScalingConfig") or {}
            return int(scaling.get("MaximumConcurrency", 1))
    return 1


def quiet_moto_server() -> ThreadedMotoServer:
    """moto's server on a free loopback port, without a log line per request: a poller asks
    several times a second, which would bury what the local stack prints."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    return ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)


class LocalJobQueue:
    def __init__(
        self,
        invoke: Callable[[dict[str, Any]], Any],
        *,
        check_seconds: int = 1,
        deliver_times: int = 1,
        concurrency: int = 1,
        log: Callable[[str], None] = print,
    ) -> None:
        """`deliver_times` > 1 delivers each message that many times (SQS delivers at least
        once: tests show that a message coming again changes nothing). `concurrency`: messages
        worked on at once, each in its own invocation (the event source's MaximumConcurrency,
        `worker_concurrency`)."""
        self._invoke = invoke
        self._check_seconds = check_seconds
        self._log = log
        self._deliver_times = deliver_times
        self._running = threading.Event()
        self._running.set()
        self._server = quiet_moto_server()
        self._stopping = threading.Event()
        # One receiver hands messages to `concurrency` workers; the queue's own SQS calls go one
        # at a time (moto's SQS is not safe for concurrent receives).
        self._thread = threading.Thread(target=self._run, name="job-queue", daemon=True)
        self._workers = ThreadPoolExecutor(concurrency, thread_name_prefix="job-worker")
        self._free = threading.Semaphore(concurrency)
        self._sqs_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self.endpoint_url = ""
        self.queue_url = ""
        self.dead_letter_url = ""
        self.deliveries = 0

    def environment(self) -> dict[str, str]:
        """What the jobs functions need to find the queue."""
        return {
            "AWS_ENDPOINT_URL_SQS": self.endpoint_url,
            "JOB_QUEUE_URL": self.queue_url,
            "JOB_MAX_RECEIVES": str(MAX_RECEIVES),
            "JOB_CHECK_SECONDS": str(self._check_seconds),
            "JOB_CHECK_MAX_SECONDS": "5",
        }

    def client(self) -> Any:
        return boto3.client(
            "sqs",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - moto takes any key
        )

    def __enter__(self) -> LocalJobQueue:
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        sqs = self.client()
        self.dead_letter_url = sqs.create_queue(QueueName="contact-archive-local-job-dlq")[
            "QueueUrl"
        ]
        dead_letter_arn = sqs.get_queue_attributes(
            QueueUrl=self.dead_letter_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        redrive = {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": str(MAX_RECEIVES)}
        self.queue_url = sqs.create_queue(
            QueueName="contact-archive-local-jobs",
            Attributes={
                "VisibilityTimeout": str(VISIBILITY_SECONDS),
                "RedrivePolicy": json.dumps(redrive),
            },
        )["QueueUrl"]
        self._sqs = sqs
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stopping.set()
        self._thread.join(timeout=30)
        self._workers.shutdown(wait=True, cancel_futures=True)
        self._server.stop()

    def dead_letters(self) -> int:
        with self._sqs_lock:
            attributes = self._sqs.get_queue_attributes(
                QueueUrl=self.dead_letter_url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])

    def wait_until_empty(self, timeout: float) -> bool:
        """Wait until every message sent has been delivered and deleted (none waiting, delayed
        or in flight); False if that took longer than `timeout` seconds."""
        deadline = time.monotonic() + timeout
        names = [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ]
        while time.monotonic() < deadline:
            with self._sqs_lock:
                attributes = self._sqs.get_queue_attributes(
                    QueueUrl=self.queue_url, AttributeNames=names
                )["Attributes"]
            if not any(int(attributes.get(name, 0)) for name in names):
                return True
            self._stopping.wait(POLL_SECONDS)
        return False

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """No message is delivered within the block (a worker that has not started yet)."""
        self._running.clear()
        try:
            yield
        finally:
            self._running.set()

    def _run(self) -> None:
        while not self._stopping.is_set():
            if not self._running.wait(timeout=POLL_SECONDS):
                continue
            if not self._free.acquire(timeout=POLL_SECONDS):
                continue  # every worker busy
            try:
                with self._sqs_lock:
                    messages = self._sqs.receive_message(
                        QueueUrl=self.queue_url,
                        MaxNumberOfMessages=1,
                        MessageSystemAttributeNames=["All"],
                    ).get("Messages", [])
            except Exception as error:  # noqa: BLE001 - keep polling; say what happened
                self._log(f"jobs queue: receive failed ({type(error).__name__}); retrying")
                messages = []
            if not messages:
                self._free.release()
                self._stopping.wait(POLL_SECONDS)
                continue
            self._workers.submit(self._work_on, messages[0])

    def _work_on(self, message: dict[str, Any]) -> None:
        try:
            self._deliver(message)
        finally:
            self._free.release()

    def _deliver(self, message: dict[str, Any]) -> None:
        with self._count_lock:
            self.deliveries += 1
        record = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {},
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": f"arn:aws:sqs:{REGION}:000000000000:contact-archive-local-jobs",
            "awsRegion": REGION,
        }
        try:
            for _ in range(self._deliver_times):
                response = self._invoke({"Records": [record]})
            failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
        except Exception as error:  # noqa: BLE001 - a crash fails the message, as in Lambda
            self._log(f"jobs queue: JobWorkerFunction failed ({error_type(error)})")
            failed = {message["MessageId"]}
        with self._sqs_lock:
            if message["MessageId"] in failed:
                self._sqs.change_message_visibility(
                    QueueUrl=self.queue_url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=RETRY_AFTER_SECONDS,
                )
                return
            self._sqs.delete_message(
                QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
            )
