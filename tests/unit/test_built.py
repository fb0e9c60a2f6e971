"""What decides that the built-artifacts test may run the host build in the deployed one's place
(`devtools/built.py`): the builds compared file by file, compiled code aside, and when a build is
made again."""

from __future__ import annotations

import os
from pathlib import Path

from devtools.built import build_differences, stale


def _write(root: Path, name: str, content: bytes) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def test_builds_differing_only_in_compiled_code_and_wheel_metadata_are_the_same(
    tmp_path: Path,
) -> None:
    # Given two builds of the same sources for two architectures
    deployed, host = tmp_path / "arm64", tmp_path / "x86_64"
    for root, arch in ((deployed, b"aarch64"), (host, b"x86_64")):
        _write(root, "ArchiveFunction/app.py", b"handler")
        _write(root, "SharedLayer/python/pydantic/__pycache__/main.cpython-313.pyc", b"code")
        _write(root, "SharedLayer/python/pydantic_core/_core.so", arch)
        _write(root, "SharedLayer/python/pydantic_core-2.0.dist-info/WHEEL", arch)
        _write(root, "SharedLayer/python/pydantic_core-2.0.dist-info/sboms/core.json", arch)
        _write(root, "template.yaml", arch)

    # Then they do not differ
    assert build_differences(deployed, host) == []

    # But a source file, its bytecode, or a package's presence that differs is named
    _write(host, "ArchiveFunction/app.py", b"another handler")
    _write(host, "SharedLayer/python/extra/__init__.py", b"")
    _write(host, "SharedLayer/python/pydantic/__pycache__/main.cpython-313.pyc", b"other code")
    assert build_differences(deployed, host) == [
        "ArchiveFunction/app.py",
        "SharedLayer/python/extra/__init__.py",
        "SharedLayer/python/pydantic/__pycache__/main.cpython-313.pyc",
    ]


def test_a_build_is_stale_when_missing_or_older_than_a_source(tmp_path: Path) -> None:
    # Given sources and a build made after them
    sources, build = tmp_path / "repo", tmp_path / "build"
    _write(sources, "template.yaml", b"t")
    _write(sources, "shared/contact_archive/config.py", b"c")
    _write(sources, "functions/archive/app.py", b"a")
    assert stale(build, sources)  # missing
    _write(build, "template.yaml", b"built")
    os.utime(build / "template.yaml", (2_000_000_000, 2_000_000_000))
    assert not stale(build, sources)

    # When a source changes after the build (its bytecode cache does not count)
    _write(sources, "shared/contact_archive/__pycache__/config.pyc", b"x")
    os.utime(sources / "shared/contact_archive/__pycache__/config.pyc", (2_100_000_000,) * 2)
    assert not stale(build, sources)
    os.utime(sources / "functions/archive/app.py", (2_100_000_000, 2_100_000_000))

    # Then the build is stale
    assert stale(build, sources)
