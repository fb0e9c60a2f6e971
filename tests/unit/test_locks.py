"""The locks are whole and are what runs: every top-level pin of requirements/*.in is in its lock
at that version, every locked package is pinned with its hashes, the layer ships the versions the
tests ran, and the environment running this suite is the dev lock (a drifted .venv fails here,
not in some test that happens to touch the package that moved)."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.support import ROOT

REQUIREMENTS = ROOT / "requirements"
LAYER_IN = REQUIREMENTS / "layer.in"
# `sam build` installs the layer from the file in its ContentUri (template.yaml: shared/).
LAYER_LOCK = ROOT / "shared" / "requirements.txt"
DEV_LOCK = REQUIREMENTS / "dev.txt"


def lock_of(source: Path) -> Path:
    """Where `make lock` writes the lock of a requirements/*.in."""
    return LAYER_LOCK if source == LAYER_IN else source.with_suffix(".txt")


def logical_lines(path: Path) -> list[str]:
    """The file's requirement lines: comments dropped, backslash continuations joined."""
    lines: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = (pending + line).strip()
        pending = ""
        if line:
            lines.append(line)
    return lines


def top_level(source: Path) -> dict[str, Requirement]:
    """Name -> requirement of every package a .in file names, following its `-r` includes."""
    found: dict[str, Requirement] = {}
    for line in logical_lines(source):
        if line.startswith("-r "):
            found.update(top_level(source.parent / line.removeprefix("-r ").strip()))
        elif not line.startswith("-"):
            requirement = Requirement(line)
            found[canonicalize_name(requirement.name)] = requirement
    return found


def locked(lock: Path) -> dict[str, tuple[Requirement, list[str]]]:
    """Name -> (requirement, its hashes) of every package of a lock."""
    entries: dict[str, tuple[Requirement, list[str]]] = {}
    for line in logical_lines(lock):
        if line.startswith("-"):  # an option of the whole file (an index, say), not a package
            continue
        spec, *options = line.split(" --hash=")
        requirement = Requirement(spec.strip())
        entries[canonicalize_name(requirement.name)] = (requirement, [o.strip() for o in options])
    return entries


def pinned_version(requirement: Requirement) -> str:
    """The version a lock's `name==version` line pins."""
    (specifier,) = requirement.specifier
    assert specifier.operator == "==", requirement
    return specifier.version


SOURCES = sorted(REQUIREMENTS.glob("*.in"))


def test_there_is_a_lock_for_the_dev_environment_the_sam_cli_and_the_layer() -> None:
    # Given the inputs of `make lock`
    names = {source.name for source in SOURCES}
    # Then the three this project installs are among them, and each has its lock
    assert {"dev.in", "sam.in", "layer.in"} <= names
    for source in SOURCES:
        assert lock_of(source).is_file(), f"{source.name} has no lock: run `make lock`"


@pytest.mark.parametrize("source", SOURCES, ids=lambda source: source.name)
def test_every_top_level_pin_is_in_its_lock_at_that_version(source: Path) -> None:
    # Given the packages a requirements/*.in names and the lock `make lock` wrote from it
    wanted = top_level(source)
    entries = locked(lock_of(source))
    # When each is looked up in the lock
    stale = {
        name: f"{requirement}, locked {pinned_version(entries[name][0]) if name in entries else 'none'}"
        for name, requirement in wanted.items()
        if name not in entries
        or not requirement.specifier.contains(pinned_version(entries[name][0]), prereleases=True)
    }
    # Then every one is there at a version its .in allows: the pinned one, for a `==` pin (else the
    # .in changed after the last `make lock`)
    assert stale == {}, f"{source.name} and its lock differ: run `make lock`"


@pytest.mark.parametrize("source", SOURCES, ids=lambda source: source.name)
def test_every_locked_package_is_pinned_with_its_hashes(source: Path) -> None:
    # Given a lock
    entries = locked(lock_of(source))
    # Then each package in it is pinned to one version and carries sha256 hashes, which puts pip
    # in --require-hashes mode: nothing unpinned, unhashed or changed since can be installed
    assert entries
    for name, (requirement, hashes) in entries.items():
        assert pinned_version(requirement), name
        assert hashes, f"{name} has no hash"
        assert all(h.startswith("sha256:") and len(h) == len("sha256:") + 64 for h in hashes)


def test_the_layer_ships_the_versions_the_tests_ran() -> None:
    # Given the layer's lock (what `sam build` installs) and the dev lock (what the tests ran)
    layer = locked(LAYER_LOCK)
    dev = locked(DEV_LOCK)
    # Then every package of the layer is in the dev lock at the same version, with the same files
    for name, (requirement, hashes) in layer.items():
        assert name in dev, f"the layer's {name} is not in the dev lock"
        assert pinned_version(requirement) == pinned_version(dev[name][0]), name
        assert set(hashes) == set(dev[name][1]), name
    # And boto3 is not shipped, nor botocore and its dependencies, which the layer's packages
    # require (aws-xray-sdk): the Lambda runtime provides them, and a copy in the layer would
    # shadow the runtime's (`make lock` leaves them out, shared/Makefile installs with --no-deps)
    for provided in ("boto3", "botocore", "s3transfer", "python-dateutil", "six", "urllib3"):
        assert provided not in layer, provided


def test_the_layer_ships_the_xray_sdk_the_tracer_records_with() -> None:
    # Given the layer's lock; Then Powertools' Tracer has its provider there (Tracing=Active)
    layer = locked(LAYER_LOCK)
    assert "aws-xray-sdk" in layer
    assert "wrapt" in layer


def test_botocore_is_the_release_boto3_pairs_with_and_the_stubs_are_boto3s_minor() -> None:
    # Given the dev lock and the SAM CLI's
    for lock in (DEV_LOCK, REQUIREMENTS / "sam.txt"):
        versions = {name: pinned_version(entry[0]) for name, entry in locked(lock).items()}
        # Then botocore is boto3's own release (boto3 would take any botocore of its minor)
        assert versions["botocore"] == versions["boto3"], lock.name
    dev = {name: pinned_version(entry[0]) for name, entry in locked(DEV_LOCK).items()}
    # And the type stubs describe the same minor release of boto3
    minor = dev["boto3"].split(".")[:2]
    for stubs in ("boto3-stubs", "botocore-stubs"):
        assert dev[stubs].split(".")[:2] == minor, stubs


def test_no_function_installs_a_dependency_of_its_own() -> None:
    # Given each function's requirements.txt (sam build runs pip on it, outside every lock)
    files = sorted((ROOT / "functions").glob("*/requirements.txt"))
    assert files
    # Then none names a package: the functions' dependencies are the layer's, and locked
    for path in files:
        assert logical_lines(path) == [], path


def test_the_environment_running_the_tests_is_the_dev_lock() -> None:
    # Given the dev lock's packages for this platform and Python
    entries = [
        requirement
        for requirement, _ in locked(DEV_LOCK).values()
        if requirement.marker is None or requirement.marker.evaluate()
    ]
    # When each is looked up in the environment running this suite
    drifted: dict[str, str] = {}
    for requirement in entries:
        try:
            installed = importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            installed = "missing"
        if installed != pinned_version(requirement):
            drifted[requirement.name] = f"{installed}, locked {pinned_version(requirement)}"
    # Then every one is installed at its locked version (else: `make venv` reinstalls from the lock)
    assert drifted == {}
