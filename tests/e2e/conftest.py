"""e2e tier: the local API (`make run`'s server) in a subprocess, on DynamoDB Local, over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from devtools.dynamodb_local import DynamoDBLocal
from tests.support import ROOT

pytestmark = pytest.mark.e2e
STARTUP_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def local_api() -> Iterator[str]:
    """The base URL of a local API started as `make run` starts it, on a throwaway database."""
    with DynamoDBLocal() as database:
        port = _free_port()
        env = {**os.environ, "PORT": str(port), "DYNAMODB_ENDPOINT": database.endpoint_url}
        server = subprocess.Popen(
            [sys.executable, "-m", "devtools.local_api"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        base_url = f"http://127.0.0.1:{port}"
        # Drained all along: a full pipe would block the server's prints.
        reader = threading.Thread(target=_collect, args=(server, OUTPUT), daemon=True)
        reader.start()
        try:
            _wait_until_up(base_url, server)
            yield base_url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)


OUTPUT: list[str] = []  # what the local API printed, line by line


def _collect(server: subprocess.Popen[str], lines: list[str]) -> None:
    assert server.stdout is not None
    for line in server.stdout:
        lines.append(line.rstrip("\n"))


def _wait_until_up(base_url: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            time.sleep(0.5)
            output = "\n".join(OUTPUT)
            raise RuntimeError(f"local API exited early:\n{output}")
        try:
            httpx.get(f"{base_url}/contacts", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError("local API did not answer in time")
