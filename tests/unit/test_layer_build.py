"""The layer's build (shared/Makefile, which `sam build` runs for SharedLayer): the wheels of the
architecture the template being built names, the lock installed exactly, and bytecode compiled
for the runtime. Read from `make -n` (what it would run), without building."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support import ROOT

LAYER_MAKEFILE = ROOT / "shared" / "Makefile"


def _make(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """The layer's target, run as `sam build` runs it (ARTIFACTS_DIR set, in another directory)."""
    return subprocess.run(
        ["make", "-f", str(LAYER_MAKEFILE), "build-SharedLayer", *arguments],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "ARTIFACTS_DIR": str(tmp_path / "SharedLayer")},
        capture_output=True,
        text=True,
        check=False,
    )


def _dry_run(tmp_path: Path, **variables: str) -> str:
    """The commands the target would run, with these variables."""
    done = _make(tmp_path, "-n", *(f"{name}={value}" for name, value in variables.items()))
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_repositorys_template_builds_the_arm64_wheels(tmp_path: Path) -> None:
    # When sam build runs the layer's target on the repository's template (arm64)
    commands = _dry_run(tmp_path)
    # Then pip installs the lock, hash-checked and nothing else, as wheels for aarch64
    (install,) = [line for line in commands.splitlines() if " pip install " in line]
    for option in ("--require-hashes", "--no-deps", "--only-binary=:all:", "--no-compile"):
        assert option in install
    assert "--python-version 3.13" in install
    assert "--platform manylinux2014_aarch64" in install
    assert "x86_64" not in install
    assert install.endswith("-r requirements.txt")
    # And everything is then compiled for the runtime, unchecked-hash
    assert "-m compileall" in commands
    assert "--invalidation-mode unchecked-hash" in commands


def test_the_architecture_follows_the_template_built(tmp_path: Path) -> None:
    # Given the template as `make build-host` rewrites it for an x86_64 machine
    host_template = tmp_path / "template-host.yaml"
    host_template.write_text(
        (ROOT / "template.yaml").read_text().replace("arm64", "x86_64"), encoding="utf-8"
    )
    # When the layer is built from it
    commands = _dry_run(tmp_path, LAYER_TEMPLATE=str(host_template))
    # Then its wheels are x86_64's
    assert "--platform manylinux2014_x86_64" in commands
    assert "aarch64" not in commands


def test_an_unknown_architecture_is_refused(tmp_path: Path) -> None:
    done = _make(tmp_path, "LAYER_ARCHITECTURE=sparc")
    assert done.returncode != 0
    assert "not one of arm64 and x86_64" in done.stderr
    assert not (tmp_path / "SharedLayer").exists()
