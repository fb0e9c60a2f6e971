"""A vendor's sandbox and a client on it, as the registry builds one: what the shared client tests
(`test_clients.py`) and each vendor's own client tests stand on.

Each vendor folder has a `case.py` with its `VendorCase`: how its client is built against its
sandbox, and what the shared tests expect of that vendor where vendors differ (the requests each
call costs, what an archived contact looks like in the vendor's store, its credentials...).
`tests/vendors/cases.py` lists the four.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, ClassVar, NamedTuple, Self

import httpx

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.client import LinkRef, RestoreStrategy, VendorClient
from contact_archive.vendors.retry import RetryPolicy
from devtools.sandboxes.base import Sandbox

type Call = tuple[str, str]  # one request, as its method and path
type Intercept = Callable[[httpx.Request], httpx.Response | None]


def calls_of(requests: Iterable[httpx.Request]) -> list[Call]:
    return [(request.method, request.url.path) for request in requests]


class Absent:
    """The value of a field a stored contact does not have."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = Absent()


def typed(fields: Mapping[str, Any]) -> dict[str, tuple[str, Any]]:
    """Each value with its type's name: so True is not taken for 1, nor False for 0."""
    return {key: (type(value).__name__, value) for key, value in fields.items()}


def stored_fields(stored: Mapping[str, Any] | None, like: Mapping[str, Any]) -> dict[str, Any]:
    """The stored contact's fields named in `like`, typed, ABSENT where it has none: to compare
    with `typed(like)`."""
    assert stored is not None, "no such contact"
    return typed({key: stored.get(key, ABSENT) for key in like})


class Seen(NamedTuple):
    """One request as the wire saw it: its answer (None: timed out, or the answer was lost),
    and when it arrived, on the clock the wire was given."""

    request: httpx.Request
    response: httpx.Response | None
    arrived: float | None

    @property
    def status(self) -> int | None:
        return None if self.response is None else self.response.status_code


class Wire:
    """The sandbox's transport, noting each request's answer and the time it arrived;
    `intercept` may answer instead of the sandbox, `after` sees each answer."""

    def __init__(self, sandbox: Sandbox, clock: Callable[[], float] | None = None) -> None:
        self.sandbox = sandbox
        self.clock = clock
        self.seen: list[Seen] = []
        self.intercept: Intercept = lambda request: None
        self.after: Callable[[httpx.Response], object] = lambda response: None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        arrived = None if self.clock is None else self.clock()
        try:
            response = self.intercept(request) or self.sandbox.handle(request)
        except httpx.TimeoutException:
            self.seen.append(Seen(request, None, arrived))
            raise
        self.seen.append(Seen(request, response, arrived))
        self.after(response)
        return response

    def statuses(self, method: str, path: str) -> list[int | None]:
        return [
            seen.status
            for seen in self.seen
            if seen.request.method == method and seen.request.url.path == path
        ]


class DateClock:
    """A datetime clock that moves only when told: the one time a sandbox and a client read."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class VendorCase(ABC):
    """One vendor's sandbox, and a client on it through a `Wire`, built per test; then what the
    shared tests expect of this vendor where vendors differ. Use it as a context manager: the
    httpx client it opens is closed at the end."""

    vendor: ClassVar[Vendor]
    restore_strategy: ClassVar[RestoreStrategy]
    base_url: ClassVar[str]
    # The paths the vendor takes its tokens at (Routera, Constant Contact): no API request.
    token_paths: ClassVar[frozenset[str]] = frozenset()
    # The tenant's secrets, and wrong ones the vendor does not know: no text may show either.
    secrets: ClassVar[tuple[str, ...]]
    wrong_secrets: ClassVar[tuple[str, ...]]
    unknown: ClassVar[LinkRef]  # a contact the vendor never had
    scope: ClassVar[str | None] = None  # where the vendor's contacts live (Sequence's customer)
    # Ada as the vendor stores her after her archive (the clock not moved), and active; ABSENT
    # for a field she does not have.
    archived_fields: ClassVar[Mapping[str, Any]]
    active_fields: ClassVar[Mapping[str, Any]]

    sandbox: Sandbox
    clock: Any  # the vendor's fake time: a `DateClock` or `tests.fakes.FakeTime`

    def __init__(self) -> None:
        self.waits: list[float] = []  # the waits the client asked for (retries, polls)
        # Credentials handed over to be saved after a refresh rotated them (Constant Contact's)
        self.rotations: list[Any] = []
        self.clock = self.new_clock()
        self.sandbox = self.new_sandbox()
        self.wire = Wire(self.sandbox, self.arrival_clock())
        self.http = httpx.Client(base_url=self.base_url, transport=httpx.MockTransport(self.wire))
        self.client: VendorClient = self.client_with()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.http.close()

    # -- building -------------------------------------------------------------------------------

    @abstractmethod
    def new_clock(self) -> Any:
        """The fake time the sandbox and the client both read, at the case's start."""

    @abstractmethod
    def new_sandbox(self) -> Sandbox:
        """The vendor's sandbox on the case's clock, knowing the tenant's credentials."""

    def arrival_clock(self) -> Callable[[], float] | None:
        """The clock the wire notes arrivals on (Constant Contact's rate limit reads them)."""
        return None

    @abstractmethod
    def client_with(
        self, *, wrong_credentials: bool = False, retry: RetryPolicy | None = None
    ) -> VendorClient:
        """Another client on the case's httpx client, as the registry builds one."""

    @abstractmethod
    def add_ada(self) -> LinkRef:
        """Seed Ada, an active contact, at the vendor: her link."""

    @abstractmethod
    def stored(self, ref: LinkRef) -> dict[str, Any] | None:
        """The contact as the vendor stores it, or None."""

    # -- what a vendor's calls cost --------------------------------------------------------------

    @abstractmethod
    def unknown_fetch_calls(self) -> list[Call]:
        """The requests a fetch of the unknown contact makes, as the client's first call."""

    unknown_fetch_status: ClassVar[int | None] = 404  # the not-found error's HTTP status

    @abstractmethod
    def archive_calls(self, ref: LinkRef) -> list[Call]:
        """The requests an archive of an active contact makes, as the client's first call."""

    @abstractmethod
    def unknown_archive_calls(self) -> list[Call]:
        """The requests an archive of the unknown contact makes, as the client's first call."""

    @abstractmethod
    def round_trip_costs(self, ref: LinkRef) -> dict[str, list[Call]]:
        """The requests of each step of a round trip as a client's first calls: snapshot,
        archive, restore, fetch, and a first list page."""

    @abstractmethod
    def refused_calls(self, ref: LinkRef) -> list[Call]:
        """The requests a fetch and then an archive make with wrong credentials."""

    refused_status: ClassVar[int] = 401  # the status the vendor refuses wrong credentials with
    refused_match: ClassVar[str]  # what the refusal says

    @abstractmethod
    def api_headers(self) -> dict[str, str]:
        """The headers every API request carries (the tenant's credentials, the API version)."""

    # -- the answers that contradict a call ---------------------------------------------------------

    def archive_not_done(self, ref: LinkRef) -> tuple[Intercept, str] | None:
        """A vendor answering an archive as if it were not done, and what the client says of it;
        None where the vendor's answer to an archive says nothing of the result."""
        return None

    # -- restore material ---------------------------------------------------------------------------

    # Snapshots the client cannot restore from (None: no snapshot), what it says of each, and an
    # id; none where the vendor's restore needs no snapshot.
    unusable_snapshots: ClassVar[tuple[tuple[dict[str, Any] | None, str, str], ...]] = ()


class RecreatingCase(VendorCase):
    """A vendor restored by re-creating the contact from its saved fields."""

    restore_strategy = RestoreStrategy.RECREATE
    create_call: ClassVar[Call]  # the one request that re-creates a contact
    saved_fields: ClassVar[Mapping[str, Any]]  # Ada's fields, as a re-create brings them back
    # How many other active contacts it takes to fill more than a page of the paging client.
    others_to_page_through: ClassVar[int]

    @abstractmethod
    def add_like(self, ref: LinkRef, email: str) -> str:
        """Seed another active contact with the fields of `ref`'s but for the email: its id."""

    def paging_client(self) -> VendorClient:
        """A client reading the smallest pages the vendor allows (Sequence has no pages)."""
        return self.client
