"""The API on http://127.0.0.1:3000 without Docker or an AWS account (`make run`).

Serves every `Type: Api` route of `template.yaml` through the same handlers Lambda runs, each
function in warm containers of its own (`devtools/containers.py`: child processes with only the
function's environment), on DynamoDB Local (started and provisioned from the template's own table
definition).
Each HTTP request becomes the API Gateway REST (v1 proxy) event that API Gateway would send, and
the handler's proxy response becomes the HTTP response.

Local only: the tenant is `dev-tenant`, or the value of the request header `X-Tenant-Id`. With
LOCAL_AUTH=keys, API keys are enforced instead, through AuthorizerFunction's own code as API
Gateway calls it (`contact-archive keys create --tenant T` makes one): the tenant is the key's, a
missing or refused key is the API's 401.

Propagation: SyncFunction runs from DynamoDB Local's stream (`devtools/local_sync.py`), so an
archive visibly reaches the vendors; what it announces is printed and listed at the URL shown.
ReconcileFunction and SweepFunction run on local schedules (`devtools/local_schedule.py`, every
LOCAL_RECONCILE_SECONDS and LOCAL_SWEEP_SECONDS, default 60, 0 for never), so a change made in a
sandbox's own state shows up in the ledger as drift, and links no stream record settled move on.

Vendors: unless VENDOR_CREDENTIALS_FILE or VENDOR_CREDENTIALS name real accounts, the four vendor
sandboxes run on loopback ports, seeded with a few contacts, and `dev-tenant` has credentials for
them (so `POST /contacts/import` has something to import).

Environment: PORT (default 3000), HOST (default 127.0.0.1), DYNAMODB_ENDPOINT (use that DynamoDB
instead of starting DynamoDB Local), DYNAMODB_PORT (default 8000), TABLE_NAME (default
contact-archive-local).

API explorer: Swagger UI for docs/openapi.json at /docs (`devtools/api_docs.py`), from the npm
package swagger-ui-dist, so that every route can be tried from a browser.

While it serves, `.local/stack-<port>.json` says what (`devtools/local_state.py`): `make seed`
finds the stack there.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from devtools.api_docs import DOCS_PATH, ApiDocs
from devtools.api_gateway import (
    authorizer_context,
    build_event,
    compile_routes,
    dev_authorizer,
    error_body,
    match,
    response_parts,
    token_event,
)
from devtools.containers import FunctionError
from devtools.dynamodb_local import provision_table
from devtools.local_queue import LocalJobQueue, worker_concurrency
from devtools.local_schedule import LocalSchedule, interval_from_environment
from devtools.local_state import StackState, published
from devtools.local_sync import LocalEventBus, StreamPump
from devtools.runtime import LAYER_DIR, LOCAL_TABLE_NAME, FunctionRunner, local_dynamodb
from devtools.template import api_routes, gateway_response, load_template

if TYPE_CHECKING:
    from devtools.sandboxes.stack import SandboxStack

DEV_TENANT = "dev-tenant"
TENANT_HEADER = "x-tenant-id"
DEFAULT_PORT = 3000
AUTHORIZER = "AuthorizerFunction"
JSON_TYPE = [("Content-Type", "application/json")]


class LocalApi:
    """Routes HTTP requests to the template's handlers; with `api_keys`, through the built-in
    authorizer first, as API Gateway does."""

    def __init__(
        self, template: dict[str, Any], runner: FunctionRunner, *, api_keys: bool = False
    ) -> None:
        routes = api_routes(template)
        self.routes = compile_routes(routes)
        self.docs = ApiDocs(routes, api_keys=api_keys)
        self.runner = runner
        self.api_keys = api_keys
        self.refusals = {
            name: gateway_response(template, name) for name in ("UNAUTHORIZED", "ACCESS_DENIED")
        }

    def handle(
        self,
        method: str,
        target: str,
        header_items: list[tuple[str, str]],
        body: bytes,
        source_ip: str,
    ) -> tuple[int, list[tuple[str, str]], bytes, str]:
        """(status, headers, body, what served it)."""
        split = urlsplit(target)
        raw_path = split.path or "/"
        host = next((v for k, v in header_items if k.lower() == "host"), None)
        page = self.docs.answer(method, raw_path, host)
        if page is not None:
            return (*page, "api explorer")
        route, params, allowed = match(self.routes, method, raw_path)
        if route is None:
            if allowed:
                message = f"method {method} is not allowed on {raw_path}"
                headers = [*JSON_TYPE, ("Allow", ", ".join(sorted(set(allowed))))]
                return 405, headers, error_body("method_not_allowed", message), "-"
            message = f"no route matches {method} {raw_path}"
            return 404, JSON_TYPE, error_body("not_found", message), "-"
        if self.api_keys and route.authorized:
            try:
                authorizer = self._authorize(header_items, method, raw_path)
            except FunctionError:
                return _failed(AUTHORIZER)
            if isinstance(authorizer, str):
                status, refusal = self.refusals[authorizer]
                return status, JSON_TYPE, refusal, AUTHORIZER
        else:
            tenant = next(
                (v for k, v in header_items if k.lower() == TENANT_HEADER and v.strip()),
                DEV_TENANT,
            )
            authorizer = dev_authorizer(tenant)
        event = build_event(
            route, params, method, raw_path, split.query, header_items, body, source_ip, authorizer
        )
        try:
            result = self.runner.invoke(route.function, event)
            status, headers, payload = response_parts(result)
        except Exception:  # noqa: BLE001 - API Gateway answers 502 whatever the handler did
            return _failed(route.function)
        return status, headers, payload, route.function

    def _authorize(
        self, header_items: list[tuple[str, str]], method: str, raw_path: str
    ) -> dict[str, Any] | str:
        """The authorizer's context for the request, or the gateway response refusing it."""
        token = next((v for k, v in header_items if k.lower() == "authorization"), "").strip()
        if not token:
            return "UNAUTHORIZED"  # API Gateway refuses it without calling the authorizer
        try:
            answer = self.runner.invoke(AUTHORIZER, token_event(token, method, raw_path))
        except FunctionError as error:
            # Raising "Unauthorized" is how an authorizer asks API Gateway for a 401; anything
            # else it raises is API Gateway's 500, answered 502 here like a failed function.
            if str(error).endswith(": Unauthorized"):
                return "UNAUTHORIZED"
            raise
        context = authorizer_context(answer)
        return "ACCESS_DENIED" if context is None else context


def _failed(function: str) -> tuple[int, list[tuple[str, str]], bytes, str]:
    """API Gateway's answer when a function (or the authorizer) failed."""
    traceback.print_exc()
    failure = json.dumps({"message": "Internal server error"}).encode()
    return 502, JSON_TYPE, failure, function


class _RequestHandler(BaseHTTPRequestHandler):
    server_version = "contact-archive-local"
    protocol_version = "HTTP/1.1"
    api: LocalApi

    def _serve(self) -> None:
        started = time.perf_counter()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        status, headers, payload, served_by = self.api.handle(
            self.command, self.path, list(self.headers.items()), body, self.client_address[0]
        )
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        elapsed = (time.perf_counter() - started) * 1000
        sys.stderr.write(
            f"{self.command} {self.path} -> {status} ({served_by}, {elapsed:.0f} ms)\n"
        )

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, QUERY...: a fuzzer sends them) is routed too, and no route
        # taking it, answered 405 as the API does, not with http.server's own 501 page.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # _serve logs one line per request


def make_server(api: LocalApi, host: str, port: int) -> ThreadingHTTPServer:
    handler = type("RequestHandler", (_RequestHandler,), {"api": api})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


@contextlib.contextmanager
def local_vendors(sandbox_urls: dict[str, str] | None = None) -> Iterator[dict[str, str]]:
    """The vendor sandboxes on loopback ports, and the environment that gives `dev-tenant` their
    credentials; nothing when the developer configured credentials of their own. Their base
    URLs go into `sandbox_urls` (by vendor), to be published."""
    if os.environ.get("VENDOR_CREDENTIALS_FILE") or os.environ.get("VENDOR_CREDENTIALS"):
        print("Vendors: the credentials you configured (VENDOR_CREDENTIALS_FILE / _CREDENTIALS)")
        yield {}
        return
    if str(LAYER_DIR) not in sys.path:
        sys.path.insert(0, str(LAYER_DIR))  # the sandboxes share the layer's vendor types
    from devtools.sandboxes.stack import SandboxStack, serve_stack

    stack = SandboxStack()
    seed_demo_contacts(stack)
    with serve_stack(stack) as base_urls:
        for vendor, url in base_urls.items():
            print(f"Vendor sandbox {vendor.value}: {url}")
            if sandbox_urls is not None:
                sandbox_urls[vendor.value] = url
        yield {"VENDOR_CREDENTIALS": json.dumps(stack.credentials(DEV_TENANT, base_urls))}


def seed_demo_contacts(stack: SandboxStack) -> None:
    """Grace in all four vendors (her email cased differently in Constant Contact; Sequence under
    the customer `demo-customer`), to import and then archive everywhere."""
    stack.intercom.add_contact(email="grace@example.com", name="Grace Hopper")
    stack.constant_contact.add_contact(
        email="Grace@Example.com",
        first_name="Grace",
        last_name="Hopper",
        list_ids=["07936f78-662a-11eb-af0a-fa163e56c9b0"],
    )
    stack.routera.add_contact(email="grace@example.com", first_name="Grace", last_name="Hopper")
    stack.sequence.add_contact(
        "demo-customer", name="Grace Hopper", email="grace@example.com", billingPreference="PRIMARY"
    )


def local_auth() -> str:
    """LOCAL_AUTH: `dev` (the default: the dev tenant, or X-Tenant-Id) or `keys`."""
    mode = os.environ.get("LOCAL_AUTH", "").strip().lower() or "dev"
    if mode not in ("dev", "keys"):
        raise SystemExit(f"LOCAL_AUTH is {mode!r}: use dev (the default) or keys")
    return mode


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", DEFAULT_PORT))
    table_name = os.environ.get("TABLE_NAME") or LOCAL_TABLE_NAME
    template = load_template()
    api_keys = local_auth() == "keys"
    auth_functions = {AUTHORIZER} if api_keys else set()

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    # Ctrl-C stops it even when started with SIGINT ignored (e.g. in the background).
    signal.signal(signal.SIGINT, stop)
    sandbox_urls: dict[str, str] = {}
    try:
        with (
            local_dynamodb() as endpoint,
            local_vendors(sandbox_urls) as vendor_environment,
            LocalEventBus() as event_bus,
            LocalJobQueue(
                lambda event: runner.invoke("JobWorkerFunction", event),
                concurrency=worker_concurrency(template),
            ) as job_queue,
        ):
            created = provision_table(endpoint, table_name, template)
            print(f"Table {table_name} {'created' if created else 'ready'} on {endpoint}")
            print(f"Events SyncFunction announces: {event_bus.url}/events")
            runner = FunctionRunner(
                template,
                endpoint,
                table_name,
                {
                    **vendor_environment,
                    "EVENT_BUS_NAME": "contact-archive-local",
                    "AWS_ENDPOINT_URL_EVENTBRIDGE": event_bus.url,
                    **job_queue.environment(),
                },
            )
            pump = StreamPump(
                endpoint, table_name, lambda event: runner.invoke("SyncFunction", event)
            )
            api = LocalApi(template, runner, api_keys=api_keys)
            routed = sorted({item.route.function for item in api.routes} | auth_functions)
            for function, error in sorted(runner.warm(routed).items()):
                # Keep serving the other functions; its container printed the traceback.
                print(
                    f"{function}: the handler failed to load ({error.error_type}); its routes"
                    " will answer 502"
                )
            server = make_server(api, host, port)
            for item in sorted(api.routes, key=lambda item: (item.route.path, item.route.method)):
                print(f"  {item.route.method:6} {item.route.path}  -> {item.route.function}")
            who = (
                "API keys enforced: contact-archive keys create --tenant T"
                if api_keys
                else f"tenant {DEV_TENANT}; header X-Tenant-Id picks another"
            )
            print(
                f"contact-archive local API listening on http://{host}:{port} ({who}). "
                "Ctrl-C stops it.",
            )
            print(
                f"Explore and try every route in a browser: http://{host}:{port}{DOCS_PATH}",
                flush=True,
            )
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            state = StackState(
                pid=os.getpid(),
                api_url=f"http://{host}:{port}",
                tenant=DEV_TENANT,
                dynamodb_endpoint=endpoint,
                table_name=table_name,
                sandboxes=sandbox_urls,
                event_bus_url=event_bus.url,
                sqs_endpoint=job_queue.endpoint_url,
            )
            schedules = [
                LocalSchedule(
                    lambda event, name=name: runner.invoke(name, event),  # type: ignore[misc]
                    interval_from_environment(name),
                    name,
                )
                for name in ("ReconcileFunction", "SweepFunction")
            ]
            try:
                with pump, schedules[0], schedules[1], published(port, state):
                    while thread.is_alive():
                        thread.join(0.5)
            finally:
                server.shutdown()
                server.server_close()
                runner.close()
    except KeyboardInterrupt:
        pass
    print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
