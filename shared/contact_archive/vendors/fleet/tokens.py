"""One rotating token per vendor account for the whole fleet.

Constant Contact's refresh token rotates: a refresh answers a new pair and kills the old refresh
token. Two containers refreshing with one token would leave the second with `invalid_grant`. So:

- the pair stays where the secrets are (Secrets Manager; the JSON source locally), never in the
  ledger table; a small ledger item per tenant and vendor holds its `token_version` and, while
  one container renews it, a lease;
- a container meeting a 401 reads that item: a newer version than the one it holds means the
  pair was renewed elsewhere, and it reads the saved pair (past its cache) and resends;
- otherwise it takes the lease (a conditional write on the version), refreshes, saves the new
  pair, moves the version on and releases the lease, in that order, so a version never names a
  pair not saved yet;
- a container that finds the lease held waits (bounded) for the version to move, then reads.

A refresh refused with `invalid_grant` by the holder of the lease means the pair it had was not
the last one (saved by a renewal whose version never moved, or by hand): the saved pair is read
again, and used if it is another.

Routera's client-credentials token needs none of this: it has no refresh token, each container
may hold a token of its own, and getting one kills no other (`routera/auth.py`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.credential_sources import CredentialSource
from contact_archive.vendors.credentials import VendorCredentials
from contact_archive.vendors.errors import TransientVendorError
from contact_archive.vendors.fleet.ledgers import TokenLedger

# The refresh's own timeouts (10 s read, 3 s connect) and the save, with room to spare. A lease
# past its time is free again: a container that died holding it blocks nobody for long.
LEASE_SECONDS = 30.0
# How long a container waits for another one's renewal before giving up on this call (it is
# retried: transient), and how often it looks meanwhile.
WAIT_SECONDS = 15.0
POLL_SECONDS = 0.2
# Leases refused in one wait although the item read just before showed it free (taken, or the
# version moved, in between): more means something is wrong, and the call is retried.
MAX_LEASE_RACES = 8


@dataclass(frozen=True)
class Renewal:
    """What to do after a 401: resend with `credentials` (renewed elsewhere), or, when `refresh`,
    refresh them (this container holds the lease). `version`: the token version they are, when
    known."""

    credentials: VendorCredentials
    version: int | None
    refresh: bool


class TokenRenewal(Protocol):
    def after_unauthorized(self, used: VendorCredentials, version: int | None) -> Renewal:
        """The access token in `used` was refused: what to resend with, or to refresh."""
        ...

    def renewed(self, renewal: Renewal, credentials: VendorCredentials) -> int | None:
        """The refresh answered `credentials`: save them and move the version on (its number,
        when known). If saving raises, the lease is released and the error goes up."""
        ...

    def refused(self, renewal: Renewal) -> Renewal | None:
        """The refresh was refused as a dead grant: the lease is released, and the saved pair is
        what to resend with, if it is another than the one refused; else None (authorise again)."""
        ...

    def abandon(self, renewal: Renewal) -> None:
        """The refresh failed otherwise: release the lease."""
        ...


class SharedToken:
    """A tenant's rotating token for one vendor, renewed once for the fleet (`owner` names this
    container). `clock` is UNIX time: leases must mean the same in every container."""

    def __init__(
        self,
        tenant_id: str,
        vendor: Vendor,
        source: CredentialSource,
        ledger: TokenLedger,
        *,
        owner: str,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        lease_seconds: float = LEASE_SECONDS,
        wait_seconds: float = WAIT_SECONDS,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self._tenant_id = tenant_id
        self._vendor = vendor
        self._source = source
        self._ledger = ledger
        self._owner = owner
        self._clock = clock
        self._sleep = sleep
        self._lease_seconds = lease_seconds
        self._wait_seconds = wait_seconds
        self._poll_seconds = poll_seconds

    def after_unauthorized(self, used: VendorCredentials, version: int | None) -> Renewal:
        """A version other than the one held (or none held yet): the saved pair, if it is not
        the one refused. Else the lease, if free; else wait for the version to move."""
        deadline = self._clock() + self._wait_seconds
        races = 0
        while races < MAX_LEASE_RACES:
            state = self._ledger.token_state(self._tenant_id, self._vendor)
            if version is None or state.version != version:
                saved = self._source.load(self._tenant_id, self._vendor, fresh=True)
                if saved != used:
                    return Renewal(saved, state.version, refresh=False)
                version = state.version  # what is held is what was saved last
            now = self._clock()
            if not state.leased(now):
                if self._ledger.take_lease(
                    self._tenant_id,
                    self._vendor,
                    version=version,
                    owner=self._owner,
                    now=now,
                    until=now + self._lease_seconds,
                ):
                    return Renewal(used, version, refresh=True)
                races += 1
                continue  # taken, or the version moved, since the read: read again
            if now >= deadline:
                break
            self._sleep(min(self._poll_seconds, deadline - now))
        raise TransientVendorError(
            self._vendor,
            "the token is being renewed by another container",
            retry_after=self._poll_seconds,
        )

    def renewed(self, renewal: Renewal, credentials: VendorCredentials) -> int | None:
        """Saved first, then the version: a container that sees the new version reads the new
        pair. A lease lost meanwhile (it outlived `lease_seconds`) moves no version: the pair is
        saved all the same, and whoever refreshes next with the old one is refused and reads it
        (`refused`)."""
        try:
            self._source.save(self._tenant_id, self._vendor, credentials)
        except BaseException:
            self.abandon(renewal)
            raise
        version = (renewal.version or 0) + 1
        published = self._ledger.publish(
            self._tenant_id, self._vendor, version=version, owner=self._owner, now=self._clock()
        )
        return version if published else None

    def refused(self, renewal: Renewal) -> Renewal | None:
        self.abandon(renewal)
        saved = self._source.load(self._tenant_id, self._vendor, fresh=True)
        if saved == renewal.credentials:
            return None
        return Renewal(saved, None, refresh=False)

    def abandon(self, renewal: Renewal) -> None:
        self._ledger.release(self._tenant_id, self._vendor, owner=self._owner)
