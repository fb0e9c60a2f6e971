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

The layer carries its bytecode (shared/Makefile compiles it): Lambda's /opt is read-only, so what
is not compiled in the build is compiled at every cold start. Every source of both builds' layer
has its pyc, one Python 3.13 uses without reading the source, and the containers (run with -B, as
on a read-only file system) compile none of the layer's sources.
"""

from __future__ import annotations

import importlib.util
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools import REPO_ROOT
from devtools.built import (
    BOOTSTRAP,
    BUILD_DIR,
    HOST_BUILD_DIR,
    LAYER,
    BuiltFunctionRunner,
    build_differences,
    ensure_built,
    runtime_path,
)
from devtools.lambda_bootstrap import COMPILED_REQUEST, MODULES_REQUEST
from tests.e2e.built_stack import built_stack
from tests.samples import SAMPLES


@pytest.fixture(scope="module")
def builds() -> None:
    ensure_built()


@pytest.fixture(scope="module")
def runner(builds: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltFunctionRunner]:
    with built_stack(runtime_path(tmp_path_factory.mktemp("lambda-runtime"))) as built:
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


# A pyc's header: magic number, flags, then (hash-based) the source's hash. Flags 0b01: checked
# by hash, and the check not made (unchecked-hash): the source is never read.
UNCHECKED_HASH = 0b01


@pytest.mark.parametrize("build_dir", [BUILD_DIR, HOST_BUILD_DIR], ids=["deployed", "host"])
def test_every_source_of_the_built_layer_has_bytecode_python_3_13_loads_as_is(
    builds: None, build_dir: Path
) -> None:
    # Given the built layer's sources
    layer = build_dir / LAYER / "python"
    sources = sorted(layer.rglob("*.py"))
    assert any(path.parent.name == "contact_archive" for path in sources)
    assert any(path.parent.name == "pydantic" for path in sources)
    # Then each has the pyc this Python (the runtime's 3.13) looks for, with its magic number,
    # unchecked by hash (a zip deploy may not keep the sources' mtimes), of this very source
    wrong = {}
    for source in sources:
        cached = Path(importlib.util.cache_from_source(str(source)))
        if not cached.is_file():
            wrong[str(source.relative_to(layer))] = "no pyc"
            continue
        header = cached.read_bytes()[:16]
        if header[:4] != importlib.util.MAGIC_NUMBER:
            wrong[str(source.relative_to(layer))] = "another Python's magic number"
        elif int.from_bytes(header[4:8], "little") != UNCHECKED_HASH:
            wrong[str(source.relative_to(layer))] = "not unchecked-hash"
        elif header[8:] != importlib.util.source_hash(source.read_bytes()):
            wrong[str(source.relative_to(layer))] = "compiled from another source"
    assert wrong == {}
    # And nothing else is cached: no bytecode of a source the layer does not ship
    orphans = [
        path
        for path in layer.rglob("*.pyc")
        if not (path.parent.parent / f"{path.name.split('.', 1)[0]}.py").is_file()
    ]
    assert orphans == []


def test_every_built_function_imports_the_layer_from_its_bytecode(
    runner: BuiltFunctionRunner,
) -> None:
    layer = HOST_BUILD_DIR / LAYER / "python"
    for function in sorted({sample.function for sample in SAMPLES}):
        # When the function's container has started (its handler imported, with -B: no
        # bytecode written, as on Lambda's read-only file system)
        compiled = runner.invoke(function, COMPILED_REQUEST)
        modules = runner.invoke(function, MODULES_REQUEST)
        # Then it loaded the layer's packages, and compiled none of their sources: every one
        # came from its pyc
        from_layer = [name for name, path in modules.items() if _under(Path(path), layer)]
        assert "contact_archive" in from_layer, function
        assert "pydantic" in from_layer, function
        assert [path for path in compiled if _under(Path(path), layer)] == [], function


def _under(path: Path, root: Path) -> bool:
    # Not resolved: a runtime package is reached through its link, which is what is checked.
    return path.is_relative_to(root)
