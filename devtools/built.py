"""Run the functions from `sam build`'s artifacts, as Lambda would: each in a container whose
`sys.path` holds only its built directory, the built layer's `python/`, the standard library and
what the Lambda runtime provides (boto3 and its dependencies), with its template environment.

The template builds for arm64 (Globals `Architectures`, the layer's `BuildArchitecture`), and the
layer's compiled wheels (pydantic_core) cannot be imported on another machine. So the artifacts
run here come from a second `sam build` of the same template with only the architecture switched
to this machine's (`make build-host`, into `.aws-sam/build-host`): the same sources, the same
pinned requirements, the same SAM build, other wheels. `build_differences` shows that the two
builds differ in nothing else (the layer's bytecode included: shared/Makefile compiles it, the same
for both), so running one says how the other runs.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any, TextIO

from devtools import REPO_ROOT
from devtools.containers import FunctionContainer, FunctionSpec
from devtools.runtime import FunctionRunner
from devtools.template import functions

BUILD_DIR = REPO_ROOT / ".aws-sam" / "build"  # `make build`: the template as it deploys
HOST_BUILD_DIR = REPO_ROOT / ".aws-sam" / "build-host"  # `make build-host`: this machine's
LAYER = "SharedLayer"
BOOTSTRAP = Path(__file__).resolve().parent / "lambda_bootstrap.py"
# What the Lambda python3.13 runtime has on its path besides the standard library.
# snapshot_restore_py: SnapStart's runtime hooks (contact_archive/snapstart.py).
RUNTIME_PACKAGES = (
    *("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3"),
    "snapshot_restore_py",
)
SOURCES = ("template.yaml", "functions", "shared")
# Files a build for another architecture may hold differently: compiled code, and the metadata
# of a compiled wheel (its platform tag, its files' hashes, the bill of what was compiled in).
COMPILED = (".so",)
WHEEL_METADATA = ("WHEEL", "RECORD", "sboms")


def host_architecture() -> str:
    """This machine's Lambda architecture name."""
    machine = platform.machine().lower()
    return "arm64" if machine in ("arm64", "aarch64") else "x86_64"


def stale(build_dir: Path, root: Path = REPO_ROOT) -> bool:
    """Whether `build_dir` is missing or older than a source file it is built from."""
    marker = build_dir / "template.yaml"
    if not marker.exists():
        return True
    built = marker.stat().st_mtime
    for source in SOURCES:
        path = root / source
        paths = [path] if path.is_file() else path.rglob("*")
        for found in paths:
            fresh = "__pycache__" in found.parts or not found.is_file()
            if not fresh and found.stat().st_mtime > built:
                return True
    return False


def ensure_built(log: TextIO = sys.stderr) -> None:
    """Both builds, each made with the Makefile's target when missing or stale."""
    for target, build_dir in (("build", BUILD_DIR), ("build-host", HOST_BUILD_DIR)):
        if stale(build_dir):
            print(
                f"{build_dir.relative_to(REPO_ROOT)} is missing or stale: make {target}", file=log
            )
            # The Makefile's own target: the build `make test` makes, not one of this module's.
            subprocess.run(["make", target], cwd=REPO_ROOT, check=True)  # noqa: S603, S607


def build_differences(deployed: Path = BUILD_DIR, host: Path = HOST_BUILD_DIR) -> list[str]:
    """The files in which the two builds differ, other than compiled code and wheel metadata
    (and SAM's own template copy, which names the architecture)."""
    left, right = _digests(deployed), _digests(host)
    return sorted(
        name
        for name in left.keys() | right.keys()
        if left.get(name) != right.get(name)
        and name != "template.yaml"
        and not _platform_specific(name)
    )


def _platform_specific(name: str) -> bool:
    if name.endswith(COMPILED):
        return True
    parts = name.split("/")
    in_metadata = [i for i, part in enumerate(parts) if part.endswith(".dist-info")]
    return bool(in_metadata) and parts[in_metadata[0] + 1] in WHEEL_METADATA


def runtime_path(directory: Path) -> Path:
    """A directory holding only the packages the Lambda runtime provides (links to this
    environment's own copies), for the end of a built function's `sys.path`."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise RuntimeError(f"{name} is not installed: the Lambda runtime provides it")
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        link = directory / source.name
        if not link.exists():
            link.symlink_to(source, target_is_directory=source.is_dir())
    return directory


class BuiltFunctionRunner(FunctionRunner):
    """`FunctionRunner` over built artifacts: each container runs `lambda_bootstrap.py` in an
    isolated interpreter from the function's built directory, with only its environment."""

    def __init__(self, *args: Any, build_dir: Path, runtime: Path, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.build_dir = build_dir
        self.runtime = runtime

    def _new_container(self, logical_id: str) -> FunctionContainer:
        properties = functions(self.template)[logical_id]
        task_root = self.build_dir / logical_id
        spec = FunctionSpec(
            logical_id=logical_id,
            code_dir=str(task_root),
            handler=str(properties.get("Handler", "app.lambda_handler")),
            function_name=f"contact-archive-built-{logical_id}",
            memory_limit_in_mb=int(properties.get("MemorySize", 128)),
            timeout_seconds=int(properties.get("Timeout", 3)),
        )
        # Nothing of this machine's environment: the function's, and what Lambda itself sets.
        environment = {
            **self.environment_for(logical_id),
            "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
            "LAMBDA_TASK_ROOT": str(task_root),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "PATH": os.defpath,
        }
        # -B: as on Lambda, whose file system is read-only, no bytecode is written next to the
        # build's sources; what is not compiled in the build is compiled at each start.
        command = [
            sys.executable,
            "-I",
            "-S",
            "-B",
            str(BOOTSTRAP),
            str(task_root),
            str(self.build_dir / LAYER / "python"),
            str(self.runtime),
        ]
        output = self._output or sys.stderr
        return FunctionContainer(
            spec,
            environment,
            stdout=lambda: output,
            stderr=lambda: output,
            command=command,
            cwd=task_root,
        )


def _digests(root: Path) -> dict[str, str]:
    # The layer's bytecode included: compiled from the same sources by the same Python, it is
    # the same for every architecture (and the runner, with -B, writes none into a build).
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in root.rglob("*")
        if path.is_file()
    }
