"""Any sandbox behind a real HTTP port on 127.0.0.1, for what an in-process `MockTransport` cannot
show: real sockets, connection reuse, timeouts that expire on the client's clock, and programs that
only take a URL (the local stack, another process).

    with serve(IntercomSandbox()) as url:
        httpx.get(f"{url}/contacts", headers=...)

Each request becomes an `httpx.Request` (method, full URL, headers, body) handed to
`Sandbox.handle`, and its `httpx.Response` goes back as is. An injected timeout (`Faults.
timeout_rate`) cannot be raised across the wire, so the server hangs instead: it holds the request
unanswered for `hang_seconds` (longer than a vendor client's 10 s read timeout by default, so that
client times out as on a hung vendor), then closes the connection without an answer; `stop()` cuts
every hang short. Only loopback is bound, on a port the OS picks.

Paths under `/__sandbox__/` are no vendor's: they are the back door (`back_door.py`) that seeds
many contacts at once for `make seed`, answered here without going through the sandbox's
request log, limits or faults, and only to loopback clients.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

import httpx

from devtools.sandboxes import back_door
from devtools.sandboxes.base import Sandbox

HOST = "127.0.0.1"
DEFAULT_HANG_SECONDS = 15.0
IDLE_CONNECTION_SECONDS = 10.0  # a kept-alive connection left idle this long is closed
# Hop-by-hop or recomputed here: the body is sent whole, with its own Content-Length.
DROPPED_RESPONSE_HEADERS = frozenset({"connection", "content-length", "transfer-encoding"})
LOOPBACK_CLIENTS = frozenset({"127.0.0.1", "::1"})

logger = logging.getLogger(__name__)


class SandboxServer:
    """`sandbox` served on `url` (`http://127.0.0.1:<port>`) from `start()` until `stop()`; a
    context manager too. Each connection gets a thread; `stop()` closes them all and waits for
    every thread to end."""

    def __init__(self, sandbox: Sandbox, *, hang_seconds: float = DEFAULT_HANG_SECONDS) -> None:
        self.sandbox = sandbox
        self.hang_seconds = hang_seconds
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the sandbox server is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> str:
        """Bind a free loopback port, serve from a background thread, and return the URL."""
        if self._server is not None:
            raise RuntimeError("the sandbox server is already running")
        self._server = _Server(self.sandbox, self.hang_seconds)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"sandbox-server-{type(self.sandbox).__name__}",
            daemon=True,
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        """Stop accepting, end hangs and open connections, and join every thread."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.shutdown()  # serve_forever returns
        thread.join()
        server.close_connections()
        server.server_close()  # joins the connection threads (block_on_close)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


@contextmanager
def serve(sandbox: Sandbox, *, hang_seconds: float = DEFAULT_HANG_SECONDS) -> Iterator[str]:
    """`sandbox` on a loopback URL for the `with` block."""
    with SandboxServer(sandbox, hang_seconds=hang_seconds) as server:
        yield server.url


class _Server(ThreadingHTTPServer):
    """One thread per connection, joined on close (not daemons), connections tracked so that a
    stop can close the kept-alive ones instead of waiting for their clients."""

    daemon_threads = False
    block_on_close = True

    def __init__(self, sandbox: Sandbox, hang_seconds: float) -> None:
        super().__init__((HOST, 0), _Handler)
        self.sandbox = sandbox
        self.hang_seconds = hang_seconds
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def track(self, connection: socket.socket, *, open_: bool) -> None:
        with self._connections_lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        self.stopping.set()
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with suppress(OSError):  # the client closed it first
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    """Every method goes to the sandbox; the answer is written back whole."""

    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, as vendors and httpx's pool expect
    timeout = IDLE_CONNECTION_SECONDS

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in separate writes: without this, Nagle's algorithm holds the
        # body for the client's delayed ACK, some 40 ms per kept-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, open_=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, open_=False)

    def do_GET(self) -> None:
        self._relay()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def _relay(self) -> None:
        if "Transfer-Encoding" in self.headers:
            # Vendor clients send sized JSON bodies; a chunked one would be misread, so refuse.
            self.send_error(411, "sandbox server: send a Content-Length, not chunks")
            self.close_connection = True
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith(back_door.PREFIX):
            self._write(self._back_door(body))
            return
        request = httpx.Request(
            self.command,
            f"http://{self.headers.get('Host', self._own_host())}{self.path}",
            headers=list(self.headers.items()),
            content=body,
        )
        try:
            response = self.server.sandbox.handle(request)
        except httpx.TimeoutException:
            logger.debug("injected timeout: %s %s hangs", self.command, self.path)
            self.server.stopping.wait(self.server.hang_seconds)
            self.close_connection = True  # and no answer at all
            return
        self._write(response)

    def _back_door(self, body: bytes) -> httpx.Response:
        if self.client_address[0] not in LOOPBACK_CLIENTS:
            return httpx.Response(403, json={"message": "the sandbox back door is loopback only"})
        return back_door.answer(self.server.sandbox, self.command, self.path, body)

    def _write(self, response: httpx.Response) -> None:
        content = response.read()
        self.send_response(response.status_code)
        for name, value in response.headers.multi_items():
            if name.lower() not in DROPPED_RESPONSE_HEADERS:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)

    def _own_host(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{host!s}:{port}"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        logger.debug(format, *args)
