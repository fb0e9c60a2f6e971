"""A JSON-answering HTTP server on 127.0.0.1, on a free port, in a thread of its own: what the
local stand-ins for AWS services (`LocalEventBus`, `LocalLambda`) are served by."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class JsonHandler(BaseHTTPRequestHandler):
    """A request handler that answers JSON and logs nothing (the stand-ins print what counts)."""

    content_type = "application/json"

    def answer(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        content = json.dumps(payload).encode()
        self.send_response(status)
        for name, value in {"Content-Type": self.content_type, **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's name
        return


class LoopbackServer:
    """Serves `handler` on 127.0.0.1 while entered (`with`)."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
