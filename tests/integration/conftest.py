"""moto tier: a fresh ledger table per test, created from template.yaml's own definition; the
API's functions on it; the vendor sandboxes, in-process."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from contact_archive.config import get_settings
from contact_archive.dependencies import get_store
from contact_archive.ledger.store import LedgerStore
from devtools.sandboxes.stack import SandboxStack
from devtools.template import load_template, table_definition
from tests.support import Functions, RequestCounter, body_of, load_event


@pytest.fixture
def ledger_table() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb")
        client.create_table(
            **table_definition(load_template(), table_name=os.environ["TABLE_NAME"])
        )
        yield client


@pytest.fixture
def store(ledger_table: Any) -> LedgerStore:
    """The store the handlers use, so that tests and handlers share one client."""
    return get_store()


@pytest.fixture
def counter(store: LedgerStore) -> RequestCounter:
    return RequestCounter(store.client)


@pytest.fixture
def functions(store: LedgerStore) -> Functions:
    """The API's functions, on the test's table."""
    return Functions("archive", "restore", "list", "register")


@pytest.fixture
def registered(functions: Functions) -> dict[str, Any]:
    """Ada (c-1001), registered with her four vendor links by the sample PUT: the response."""
    response = functions("register", load_event("register_contact"))
    assert response["statusCode"] == 201
    contact: dict[str, Any] = body_of(response)
    return contact


@pytest.fixture
def stack() -> SandboxStack:
    """The four vendor sandboxes, fresh for each test."""
    return SandboxStack()


@pytest.fixture
def queue(monkeypatch: pytest.MonkeyPatch, ledger_table: Any) -> tuple[Any, str]:
    """The jobs queue in moto's SQS, named to the functions; a unit's next look is due at once."""
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    monkeypatch.setenv("JOB_QUEUE_URL", url)
    monkeypatch.setenv("JOB_CHECK_SECONDS", "0")
    get_settings.cache_clear()
    return sqs, url
