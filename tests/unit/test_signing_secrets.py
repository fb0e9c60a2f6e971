"""The container's cache of webhook signing secrets (`vendors/signing_secrets.py`), on a fake
Secrets Manager client that counts its reads and a clock the test moves: found and missing
secrets each kept for their TTL and within their bound, failures not kept, one read for many
threads."""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any, cast

from botocore.exceptions import ClientError

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.signing_secrets import (
    FOUND_TTL_SECONDS,
    MISSING_TTL_SECONDS,
    SecretCache,
    SecretsManagerSigningSecrets,
)

PREFIX = "p"
THREADS = 16


class FakeSecrets:
    """`get_secret_value` over a dict of names, counting each read; `failing` names answer with
    that error code instead."""

    def __init__(self, stored: dict[str, dict[str, str]]) -> None:
        self.stored = {f"{PREFIX}/{tenant}/webhooks": json.dumps(v) for tenant, v in stored.items()}
        self.failing: dict[str, str] = {}
        self.reads: Counter[str] = Counter()
        self.before_read = lambda: None

    def get_secret_value(self, *, SecretId: str) -> dict[str, Any]:
        self.before_read()
        self.reads[SecretId] += 1
        code = self.failing.get(SecretId)
        if code is None and SecretId not in self.stored:
            code = "ResourceNotFoundException"
        if code is not None:
            raise ClientError({"Error": {"Code": code, "Message": "-"}}, "GetSecretValue")
        return {"Name": SecretId, "SecretString": self.stored[SecretId]}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def source(fake: FakeSecrets, clock: Clock, **bounds: int) -> SecretsManagerSigningSecrets:
    return SecretsManagerSigningSecrets(
        cast(Any, fake), PREFIX, cache=SecretCache(clock=clock, **bounds)
    )


def test_found_secrets_are_read_once_per_ttl() -> None:
    # Given a tenant's secrets
    fake, clock = FakeSecrets({"t1": {"intercom": "s1"}}), Clock()
    secrets = source(fake, clock)
    # When asked for them often within the TTL
    found = {secrets.signing_secret("t1", Vendor.INTERCOM) for _ in range(50)}
    # Then one read answered all, and the next TTL reads again
    assert [s.get_secret_value() for s in found if s is not None] == ["s1"]
    assert fake.reads.total() == 1
    clock.now += FOUND_TTL_SECONDS
    secrets.signing_secret("t1", Vendor.INTERCOM)
    assert fake.reads.total() == 2


def test_a_flood_of_unknown_tenants_evicts_only_other_unknown_ones() -> None:
    # Given a known tenant read, and a cache bound to 3 missing names
    fake, clock = FakeSecrets({"known": {"intercom": "s"}}), Clock()
    secrets = source(fake, clock, max_missing=3)
    secrets.signing_secret("known", Vendor.INTERCOM)
    # When 10 unknown tenants are asked for
    for n in range(10):
        assert secrets.signing_secret(f"u{n}", Vendor.INTERCOM) is None
    # Then the 3 last stay kept, the first was evicted, and the known tenant is still kept
    reads = fake.reads.total()
    for n in range(7, 10):
        secrets.signing_secret(f"u{n}", Vendor.INTERCOM)
    assert secrets.signing_secret("known", Vendor.INTERCOM) is not None
    assert fake.reads.total() == reads
    secrets.signing_secret("u0", Vendor.INTERCOM)
    assert fake.reads.total() == reads + 1


def test_a_failed_read_is_not_kept_and_a_denied_one_is() -> None:
    # Given Secrets Manager throttling one tenant's read, and denying another's
    fake, clock = FakeSecrets({"t1": {"sequence": "s"}}), Clock()
    fake.failing = {
        "p/t1/webhooks": "ThrottlingException",
        "p/t2/webhooks": "AccessDeniedException",
    }
    secrets = source(fake, clock)
    # When each is asked for twice
    for _ in range(2):
        assert secrets.signing_secret("t1", Vendor.SEQUENCE) is None
        assert secrets.signing_secret("t2", Vendor.SEQUENCE) is None
    # Then the throttled one was read each time (no answer to keep), the denied one once
    assert fake.reads == {"p/t1/webhooks": 2, "p/t2/webhooks": 1}
    # And once the throttling stops, the secret is found
    fake.failing = {}
    found = secrets.signing_secret("t1", Vendor.SEQUENCE)
    assert found is not None and found.get_secret_value() == "s"


def test_many_threads_missing_the_same_name_make_one_read() -> None:
    # Given a read that waits until every thread has asked
    fake, clock = FakeSecrets({}), Clock()
    secrets = source(fake, clock)
    asked = threading.Semaphore(0)
    fake.before_read = lambda: [asked.acquire(timeout=5) for _ in range(THREADS)]
    answers: list[object] = []

    def deliver() -> None:
        asked.release()
        answers.append(secrets.signing_secret("nobody", Vendor.INTERCOM))

    # When THREADS deliveries for an unknown tenant arrive at once
    threads = [threading.Thread(target=deliver) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    # Then all are refused, from one read
    assert answers == [None] * THREADS
    assert fake.reads.total() == 1


def test_the_missing_ttl_is_shorter_than_the_found_one() -> None:
    # A new tenant's URL works within a minute; a rotation within the credentials' five.
    assert MISSING_TTL_SECONDS <= 60 < FOUND_TTL_SECONDS == 300
