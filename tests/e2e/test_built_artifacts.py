"""Built artifacts run: after `sam build`, each function runs from the build with only its own code
and the built layer on the import path, as Lambda runs it, and answers its sample events.

Why a second build: the template builds for arm64, and the layer's compiled wheels (pydantic_core)
cannot be imported on this x86_64 machine. `make build-host` builds the same template with only the
architecture switched to this machine's, into `.aws-sam/build-host`; the first test shows that the
two builds differ in nothing but compiled code and wheel metadata, so what runs here is what
deploys, with other wheels. Both builds are made by the Makefile's targets when missing or older
than the sources (`devtools/built.py`), never skipped.

Each function's container is `python -I -S devtools/lambda_bootstrap.py`: on `sys.path` only the
built function's directory, the built layer's `python/`, the standard library, and boto3 with its
dependencies (linked one by one from this environment, as the Lambda runtime provides them); its
environment is its template's, pointed at DynamoDB Local, the sandboxes and the local stand-ins as
`make invoke` points it. The samples are invoked in `tests/samples.py`'s order, and every module
each container loaded is checked to come from those places only.
"""

from __future__ import annotations

import io
import sysconfig
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devtools import REPO_ROOT
from devtools.built import (
    BOOTSTRAP,
    HOST_BUILD_DIR,
    LAYER,
    BuiltFunctionRunner,
    build_differences,
    ensure_built,
    runtime_path,
)
from devtools.dynamodb_local import DynamoDBLocal, provision_table
from devtools.invoke import put_sample_key
from devtools.lambda_bootstrap import MODULES_REQUEST
from devtools.local_api import local_vendors
from devtools.local_services import local_services
from devtools.template import load_template
from tests.samples import SAMPLES


@pytest.fixture(scope="module")
def builds() -> None:
    ensure_built()


@pytest.fixture(scope="module")
def runner(builds: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltFunctionRunner]:
    template = load_template()
    table = f"built-{uuid.uuid4().hex}"
    runtime = runtime_path(tmp_path_factory.mktemp("lambda-runtime"))
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
            {**services, **vendors},
            output=io.StringIO(),  # the handlers' logs: not this test's subject
            build_dir=HOST_BUILD_DIR,
            runtime=runtime,
        )
        with built:
            yield built


def test_the_host_build_differs_from_the_deployed_one_only_in_compiled_code(
    builds: None,
) -> None:
    assert build_differences() == []


def test_every_built_function_answers_its_samples_from_the_build_alone(
    runner: BuiltFunctionRunner,
) -> None:
    # When every sample is invoked, in order, from the built artifacts
    problems = {}
    for sample in SAMPLES:
        try:
            wrong = sample.check(runner.invoke(sample.function, sample.load()))
        except Exception as error:  # reported with the others
            wrong = f"{type(error).__name__}: {error}"
        if wrong is not None:
            problems[sample.event] = wrong

    # Then each answered as it should
    assert problems == {}

    # And every module each function loaded came from its build, the layer's build, the
    # standard library or the runtime (its packages, and the bootstrap standing in for Lambda's
    # own): nothing from the repository's sources
    runtime = runner.runtime
    stdlib = {Path(sysconfig.get_paths()[key]) for key in ("stdlib", "platstdlib")}
    strays = {}
    for function in sorted({sample.function for sample in SAMPLES}):
        allowed = (
            HOST_BUILD_DIR / function,
            HOST_BUILD_DIR / LAYER / "python",
            runtime,
            BOOTSTRAP,
            *stdlib,
        )
        modules = runner.invoke(function, MODULES_REQUEST)
        found = [
            f"{name}: {path}"
            for name, path in modules.items()
            if not any(_under(Path(path), root) for root in allowed)
        ]
        if found:
            strays[function] = found
    assert strays == {}
    assert "contact_archive" in modules
    assert _under(Path(modules["contact_archive"]), HOST_BUILD_DIR / LAYER / "python")
    assert not _under(Path(modules["contact_archive"]), REPO_ROOT / "shared")


def _under(path: Path, root: Path) -> bool:
    # Not resolved: a runtime package is reached through its link, which is what is checked.
    return path.is_relative_to(root)
