"""One Constant Contact token for a fleet of containers, on a fake clock: whoever meets a 401
first renews it under the fleet's lease and saves it; the others read the saved pair instead of
refreshing with a dead refresh token. Each container is a registry with its own secret cache;
they share the secrets (as Secrets Manager) and one fleet ledger (in-process here)."""

from __future__ import annotations

from typing import Any

import pytest

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.constant_contact.client import ConstantContactClient
from contact_archive.vendors.errors import PermanentVendorError, TransientVendorError
from contact_archive.vendors.fleet.tokens import POLL_SECONDS
from contact_archive.vendors.registry import VendorClients
from contact_archive.vendors.retry import RetryPolicy
from tests.vendors.fleet.containers import (
    CC,
    ELSEWHERE,
    START,
    TENANT,
    ContainerSecrets,
    Fleet,
)


def credentials_of(container: VendorClients) -> Any:
    client = container(TENANT, CC)
    assert isinstance(client, ConstantContactClient)
    return client.credentials


@pytest.fixture
def fleet() -> Fleet:
    return Fleet()


def test_containers_meeting_a_token_renewed_elsewhere_resend_with_the_saved_pair(
    fleet: Fleet,
) -> None:
    # Given two warm containers (their secret caches hold the pair), and the access token
    # expiring; the first one meets the 401 and renews
    first, second = fleet.container(), fleet.container()
    fleet.fetch(first), fleet.fetch(second)
    fleet.sandbox.expire_access_token()
    fleet.fetch(first)
    # When the second one calls with its pair, now dead, and again after a second renewal
    fleet.fetch(second)
    fleet.sandbox.expire_access_token()
    fleet.fetch(first)
    fleet.fetch(second)
    # Then it never refreshed: it read the saved pair past its cache each time, and resent
    assert fleet.token_answers() == [200, 200]
    assert fleet.secrets.saves == 2
    assert credentials_of(second) == credentials_of(first) == fleet.saved()
    assert fleet.ledger.token_state(TENANT, CC).version == 2


def test_a_container_finding_the_renewal_under_way_waits_for_it(fleet: Fleet) -> None:
    # Given another container renewing the token (it holds the lease), done a moment later
    fleet.ledger.take_lease(
        TENANT, CC, version=0, owner=ELSEWHERE, now=fleet.clock.now, until=fleet.clock.now + 30
    )
    fleet.sandbox.expire_access_token()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        first_poll = seconds == POLL_SECONDS and POLL_SECONDS not in slept
        slept.append(seconds)
        fleet.clock.sleep(seconds)
        if first_poll:
            fleet.rotate_elsewhere(publish=True)

    container = fleet.container(sleep=sleep)
    # When this container meets the 401
    assert fleet.fetch(container) == fleet.ref.vendor_id
    # Then it waited for the version to move (one poll of 0.2 s; its other waits were its
    # turns in the rate limit), read the saved pair, and resent; it never refreshed
    assert slept.count(POLL_SECONDS) == 1
    assert all(wait <= 0.3 for wait in slept)
    assert fleet.token_answers() == []
    assert credentials_of(container) == fleet.saved()


def test_a_container_that_died_renewing_holds_the_others_back_for_its_lease_only(
    fleet: Fleet,
) -> None:
    # Given a container that took the lease and died: nobody renews until it runs out (30 s)
    fleet.ledger.take_lease(
        TENANT, CC, version=0, owner=ELSEWHERE, now=fleet.clock.now, until=fleet.clock.now + 30
    )
    fleet.sandbox.expire_access_token()
    # When a container without retries meets the 401, then it fails transient after waiting
    # 15 s: its caller tries the link again later; no refresh was sent
    impatient = fleet.container(retry=RetryPolicy(max_attempts=1))
    with pytest.raises(TransientVendorError, match="being renewed by another container"):
        fleet.fetch(impatient)
    assert fleet.clock.now - START == pytest.approx(15.0, abs=0.3)  # and its turn to call
    assert fleet.token_answers() == []
    # And a container whose retries outlast the lease takes it over, and renews
    assert fleet.fetch(fleet.container()) == fleet.ref.vendor_id
    assert fleet.clock.now - START >= 30
    assert fleet.token_answers() == [200]
    assert fleet.ledger.token_state(TENANT, CC).version == 1


def test_a_refused_refresh_under_the_lease_resends_with_a_pair_saved_meanwhile(
    fleet: Fleet,
) -> None:
    # Given a container that renewed once (version 1), and another renewal elsewhere whose
    # lease ran out before it moved the version: the pair is saved, the version is still 1
    container = fleet.container()
    fleet.sandbox.expire_access_token()
    fleet.fetch(container)
    fleet.rotate_elsewhere(publish=False)
    # When the container's token is refused, and its refresh with it too (a dead grant)
    assert fleet.fetch(container) == fleet.ref.vendor_id
    # Then it read the saved pair and resent with it, and gave the lease back
    assert fleet.token_answers() == [200, 400]
    assert credentials_of(container) == fleet.saved()
    assert not fleet.ledger.token_state(TENANT, CC).leased(fleet.clock.now)


def test_a_dead_grant_with_nothing_newer_saved_must_be_authorised_again(fleet: Fleet) -> None:
    # Given the tenant's authorisation revoked at Constant Contact: the saved pair is dead
    fleet.sandbox.refresh_token = "revoked-elsewhere"
    fleet.sandbox.expire_access_token()
    container = fleet.container()
    # When a container calls, then the refused refresh is permanent: nothing newer was saved
    with pytest.raises(PermanentVendorError, match="invalid_grant") as raised:
        fleet.fetch(container)
    assert raised.value.status == 400
    assert fleet.token_answers() == [400]
    # And the lease is free for whoever tries after the account is authorised again
    state = fleet.ledger.token_state(TENANT, CC)
    assert state.version == 0 and not state.leased(fleet.clock.now)


def test_a_renewal_whose_save_fails_releases_the_lease_and_keeps_the_pair_in_memory(
    fleet: Fleet,
) -> None:
    # Given a container whose secret store refuses writes
    class Unwritable(ContainerSecrets):
        def save(self, tenant_id: str, vendor: Vendor, credentials: Any) -> None:
            raise OSError("the secret store is down")

    secrets = Unwritable(fleet.secrets, max_age=300, clock=fleet.clock)
    container = fleet.container(secrets=secrets)
    fleet.sandbox.expire_access_token()
    # When it renews the token, then the save's error goes up
    with pytest.raises(OSError, match="secret store is down"):
        fleet.fetch(container)
    # And the lease is released without a new version, and the client goes on with the new
    # pair (the old refresh token is dead)
    state = fleet.ledger.token_state(TENANT, CC)
    assert state.version == 0 and not state.leased(fleet.clock.now)
    renewed = credentials_of(container)
    assert renewed.refresh_token.get_secret_value() == fleet.sandbox.refresh_token
    assert fleet.fetch(container) == fleet.ref.vendor_id
    assert fleet.token_answers() == [200]
