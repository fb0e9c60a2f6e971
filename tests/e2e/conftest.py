"""e2e tier: the local API (`make run`'s server) in a subprocess, on DynamoDB Local, over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devtools.dynamodb_local import DynamoDBLocal
from devtools.local_process import LocalApiProcess, running_local_api


@pytest.fixture(scope="session")
def local_process() -> Iterator[LocalApiProcess]:
    """A local API started as `make run` starts it, on a throwaway database."""
    with DynamoDBLocal() as database, running_local_api(database.endpoint_url) as process:
        yield process


@pytest.fixture(scope="session")
def local_api(local_process: LocalApiProcess) -> str:
    return local_process.url
