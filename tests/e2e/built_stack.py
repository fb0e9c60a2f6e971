"""The functions of `make build-host`'s build, run as Lambda runs them (`devtools/built.py`), on
DynamoDB Local with the vendor sandboxes and the local AWS stand-ins, as `make invoke` points
them: for the tests that invoke the built artifacts."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from devtools.built import HOST_BUILD_DIR, BuiltFunctionRunner
from devtools.dynamodb_local import DynamoDBLocal, provision_table
from devtools.invoke import put_sample_key
from devtools.local_api import local_vendors
from devtools.local_services import local_services
from devtools.template import load_template


@contextmanager
def built_stack(
    runtime: Path, extra_environment: dict[str, str] | None = None
) -> Iterator[BuiltFunctionRunner]:
    """A runner over the host build, on a table of its own; `extra_environment` on top of every
    function's."""
    template = load_template()
    table = f"built-{uuid.uuid4().hex}"
    built: BuiltFunctionRunner | None = None

    def invoke(name: str, event: Any) -> Any:
        assert built is not None
        return built.invoke(name, event)

    with (
        DynamoDBLocal() as database,
        local_vendors() as vendors,
        local_services(invoke, database.endpoint_url) as services,
    ):
        provision_table(database.endpoint_url, table, template)
        put_sample_key(database.endpoint_url, table)
        built = BuiltFunctionRunner(
            template,
            database.endpoint_url,
            table,
            {**services, **vendors, **(extra_environment or {})},
            output=io.StringIO(),  # the handlers' logs: not the tests' subject
            build_dir=HOST_BUILD_DIR,
            runtime=runtime,
        )
        with built:
            yield built
