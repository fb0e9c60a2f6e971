"""The sandboxes over real loopback HTTP (`devtools.sandboxes.server`): each vendor answers an
authenticated call and an archive through a real `httpx.Client`, requests arrive intact, injected
faults travel over the wire (a timeout as a hang), only 127.0.0.1 is bound, and a stop ends every
connection and thread promptly. Every socket here is loopback; every wait is bounded."""

from __future__ import annotations

import base64
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from devtools.sandboxes.base import Faults, Sandbox
from devtools.sandboxes.constant_contact import ConstantContactSandbox
from devtools.sandboxes.intercom import IntercomSandbox
from devtools.sandboxes.routera import RouteraSandbox
from devtools.sandboxes.sequence import SequenceSandbox
from devtools.sandboxes.server import SandboxServer, serve

TIMEOUT = httpx.Timeout(2.0)  # every call here answers in milliseconds or is meant to time out
# httpx builds a TLS context (loading the CA bundle, 0.1 s or more) for each client, even one
# that only speaks plain HTTP to loopback: build it once for the module.
TLS = ssl.create_default_context()


def loopback_client(base_url: str = "", **options: Any) -> httpx.Client:
    """A real httpx client for the loopback server, bounded by `TIMEOUT` unless told otherwise."""
    return httpx.Client(base_url=base_url, verify=TLS, **{"timeout": TIMEOUT, **options})


def sequence_archives(sandbox: SequenceSandbox, url: str) -> None:
    contact = sandbox.add_contact("customer-1")
    credentials = base64.b64encode(b"sandbox-client:sandbox-secret").decode()
    headers = {"Authorization": f"Basic {credentials}", "Sequence-Version": "2024-07-30"}
    with loopback_client(f"{url}/api", headers=headers) as client:
        listed = client.get("/customers/customer-1/contacts")
        assert [item["id"] for item in listed.json()["items"]] == [contact["id"]]
        archived = client.post(f"/customers/customer-1/contacts/{contact['id']}/archive")
    assert archived.status_code == 200 and "archivedAt" in archived.json()


def routera_archives(sandbox: RouteraSandbox, url: str) -> None:
    contact = sandbox.add_contact(email="ada@example.com")
    credentials = {
        "grant_type": "client_credentials",
        "client_id": "sandbox-client",
        "client_secret": "sandbox-secret",
    }
    with loopback_client(url) as client:
        token = client.post("/oauth2/token", data=credentials).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        assert client.get("/contacts").json()["pagination"]["count"] == 1
        archived = client.delete(f"/contacts/{contact['id']}")
    assert archived.status_code == 200 and isinstance(archived.json()["archived"], str)


def intercom_archives(sandbox: IntercomSandbox, url: str) -> None:
    contact = sandbox.add_contact(email="ada@example.com")
    headers = {"Authorization": "Bearer intercom-sandbox-token", "Intercom-Version": "2.10"}
    with loopback_client(url, headers=headers) as client:
        assert client.get(f"/contacts/{contact['id']}").json()["email"] == "ada@example.com"
        archived = client.post(f"/contacts/{contact['id']}/archive")
    assert archived.status_code == 200 and archived.json()["archived"] is True


def constant_contact_archives(sandbox: ConstantContactSandbox, url: str) -> None:
    contact = sandbox.add_contact(email="ada@example.com")
    headers = {"Authorization": "Bearer constant-contact-sandbox-token"}
    with loopback_client(f"{url}/v3", headers=headers) as client:
        assert client.get(f"/contacts/{contact['contact_id']}").status_code == 200
        deleted = client.delete(f"/contacts/{contact['contact_id']}")
        assert deleted.status_code == 204 and deleted.content == b""
        assert "deleted_at" in client.get(f"/contacts/{contact['contact_id']}").json()


SCENARIOS: list[tuple[Callable[[], Sandbox], Callable[[Any, str], None]]] = [
    (SequenceSandbox, sequence_archives),
    (RouteraSandbox, routera_archives),
    (IntercomSandbox, intercom_archives),
    (ConstantContactSandbox, constant_contact_archives),
]


@pytest.fixture(autouse=True)
def no_thread_left_behind() -> Iterator[None]:
    """Every test leaves no server or connection thread running."""
    before = set(threading.enumerate())
    yield
    assert set(threading.enumerate()) <= before


@pytest.mark.parametrize(
    ("factory", "scenario"), SCENARIOS, ids=[factory.__name__ for factory, _ in SCENARIOS]
)
def test_each_sandbox_answers_an_authenticated_call_and_an_archive_over_loopback(
    factory: Callable[[], Sandbox], scenario: Callable[[Any, str], None]
) -> None:
    sandbox = factory()
    with serve(sandbox) as url:
        scenario(sandbox, url)
    assert sandbox.requests, "the calls reached the sandbox"


def test_a_request_reaches_the_sandbox_intact_and_its_answer_comes_back_whole() -> None:
    sandbox = IntercomSandbox()
    with serve(sandbox) as url, loopback_client() as client:
        response = client.post(
            f"{url}/contacts?source=test",
            json={"email": "ada@example.com"},
            headers={"Authorization": "Bearer intercom-sandbox-token", "Intercom-Version": "2.10"},
        )
    (seen,) = sandbox.requests
    assert (seen.method, str(seen.url)) == ("POST", f"{url}/contacts?source=test")
    assert seen.headers["Intercom-Version"] == "2.10"
    assert seen.content == b'{"email":"ada@example.com"}'
    assert response.status_code == 200 and response.json()["email"] == "ada@example.com"
    assert response.headers["X-RateLimit-Limit"] == "10000"  # the sandbox's own headers pass


def test_a_head_request_gets_the_status_and_headers_without_a_body() -> None:
    with serve(IntercomSandbox()) as url, loopback_client() as client:
        response = client.head(f"{url}/contacts")
    assert response.status_code == 404 and response.content == b""
    assert int(response.headers["Content-Length"]) > 0


def test_a_chunked_body_is_refused_rather_than_misread() -> None:
    with serve(IntercomSandbox()) as url, loopback_client() as client:
        response = client.post(f"{url}/contacts", content=iter([b"{}"]))
    assert response.status_code == 411


@pytest.mark.parametrize(
    ("faults", "status"),
    [(Faults(server_error_rate=1.0), 503), (Faults(throttle_rate=1.0, retry_after_seconds=7), 429)],
    ids=["outage", "throttle"],
)
def test_injected_errors_and_throttles_travel_over_the_wire(faults: Faults, status: int) -> None:
    with serve(RouteraSandbox(faults=faults)) as url, loopback_client() as client:
        response = client.get(f"{url}/contacts")
    assert response.status_code == status and "sandbox: injected" in response.json()["message"]
    if status == 429:
        assert response.headers["Retry-After"] == "7"


def test_an_injected_timeout_hangs_past_the_clients_read_timeout() -> None:
    sandbox = SequenceSandbox(faults=Faults(timeout_rate=1.0))
    server = SandboxServer(sandbox, hang_seconds=5.0)
    with server, loopback_client(timeout=httpx.Timeout(0.2)) as client:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            client.get(f"{server.url}/api/customers/c/contacts")
        assert time.monotonic() - started < 1.0
        stopping = time.monotonic()
    # Leaving the block stopped the server: the 5 s hang was cut short.
    assert time.monotonic() - stopping < 1.0
    assert sandbox.calls("GET", "/api/customers/c/contacts") == 1


def test_a_hang_ends_by_closing_the_connection_unanswered() -> None:
    sandbox = SequenceSandbox(faults=Faults(timeout_rate=1.0))
    with (
        serve(sandbox, hang_seconds=0.1) as url,
        loopback_client() as client,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        client.get(f"{url}/api/customers/c/contacts")


def test_only_loopback_is_bound_on_a_port_the_os_picks() -> None:
    with SandboxServer(IntercomSandbox()) as first, SandboxServer(IntercomSandbox()) as second:
        urls = [httpx.URL(first.url), httpx.URL(second.url)]
    assert [url.host for url in urls] == ["127.0.0.1", "127.0.0.1"]
    assert urls[0].port != urls[1].port


def test_a_stop_closes_kept_alive_connections_and_the_port() -> None:
    server = SandboxServer(IntercomSandbox())
    url = server.start()
    with loopback_client() as client:
        assert client.get(f"{url}/contacts").status_code == 401  # the connection stays open
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 1.0  # not the 10 s idle timeout
        with pytest.raises(httpx.TransportError):
            client.get(f"{url}/contacts")
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url
    server.stop()  # stopping twice is harmless
