"""`make run`'s server in a child process, for the e2e tests and the benchmarks: started on a
free loopback port against a given DynamoDB, its output collected line by line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx

from devtools import REPO_ROOT

# The server answers once every routed function's container has started (eleven cold starts,
# side by side): seconds on an idle machine, minutes on two busy cores.
STARTUP_SECONDS = 180


@dataclass
class LocalApiProcess:
    url: str
    output: list[str] = field(default_factory=list)  # what it printed, line by line


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_local_api(
    dynamodb_endpoint: str, extra_environment: dict[str, str] | None = None
) -> Iterator[LocalApiProcess]:
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "DYNAMODB_ENDPOINT": dynamodb_endpoint,
        **(extra_environment or {}),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "devtools.local_api"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    process = LocalApiProcess(f"http://127.0.0.1:{port}")
    # Drained all along: a full pipe would block the server's prints.
    threading.Thread(target=_collect, args=(server, process.output), daemon=True).start()
    try:
        _wait_until_up(process, server)
        yield process
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def _collect(server: subprocess.Popen[str], lines: list[str]) -> None:
    assert server.stdout is not None
    for line in server.stdout:
        lines.append(line.rstrip("\n"))


def _wait_until_up(process: LocalApiProcess, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            time.sleep(0.5)  # let the collector read the last lines
            output = "\n".join(process.output)
            raise RuntimeError(f"local API exited early:\n{output}")
        try:
            httpx.get(f"{process.url}/contacts", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError("local API did not answer in time")
