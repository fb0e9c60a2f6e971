"""The Constant Contact sandbox through a real httpx client: delete, revive, bulk delete, paging,
status filters, throttling, auth, faults and spec shapes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from contact_archive.vendors.canonical import VendorContact
from contact_archive.vendors.constant_contact import mapper
from devtools.sandboxes.constant_contact import TOKEN_PATH, ConstantContactSandbox
from tests.sandboxes.vendor_api import VendorApi
from tests.vendors.constant_contact.case import LISTS, START
from tests.vendors.recorded import load_spec, resolve

TOKEN = "test-cc-token"
TOKEN_URL = f"https://authz.constantcontact.com{TOKEN_PATH}"


def bearer(token: str | None) -> dict[str, str]:
    return {} if token is None else {"Authorization": f"Bearer {token}"}


API = VendorApi("https://api.cc.email", bearer(TOKEN))


class FakeClock:
    """Moves 1 s per request unless `step` says otherwise, so only throttle tests hit the limit."""

    def __init__(self, now: float = START, step: float = 1.0) -> None:
        self.now = now
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sandbox(clock: FakeClock) -> ConstantContactSandbox:
    return ConstantContactSandbox(TOKEN, clock=clock)


@pytest.fixture(scope="module")
def contact_properties() -> set[str]:
    spec = load_spec("constant-contact-v3-contacts.yml")
    schema: dict[str, Any] = resolve(spec, spec["definitions"]["ContactResource"])
    return set(schema["properties"])


@pytest.fixture(scope="module")
def activity_properties() -> tuple[set[str], set[str]]:
    spec = load_spec("constant-contact-v3-bulk-activities.yml")
    created = resolve(spec, spec["definitions"]["ActivityDeleteStatus"])
    polled = resolve(spec, spec["paths"]["/activities/{activity_id}"]["get"]["responses"]["200"])
    return set(created["properties"]), set(resolve(spec, polled["schema"])["properties"])


def _canonical(payload: dict[str, Any], properties: set[str]) -> VendorContact:
    """Checks a contact against `ContactResource` and maps it."""
    assert set(payload) <= properties, set(payload) - properties
    return mapper.to_canonical(payload)  # type: ignore[arg-type]


def _fetch(client: httpx.Client, contact_id: str) -> dict[str, Any]:
    response = client.get(f"/v3/contacts/{contact_id}", params={"include": "list_memberships"})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


# -- fetch ----------------------------------------------------------------------------------


def test_fetch_includes_list_memberships_only_when_asked(
    sandbox: ConstantContactSandbox, client: httpx.Client, contact_properties: set[str]
) -> None:
    # Given a contact on two lists
    added = sandbox.add_contact(email="ada@example.com", first_name="Ada", list_ids=LISTS)
    # When fetched with and without include=list_memberships
    with_lists = _fetch(client, added["contact_id"])
    without = client.get(f"/v3/contacts/{added['contact_id']}").json()
    # Then only the first carries the lists; both fit the spec and map cleanly
    assert _canonical(with_lists, contact_properties).list_ids == tuple(LISTS)
    assert "list_memberships" not in without
    assert _canonical(without, contact_properties).list_ids is None
    assert with_lists["email_address"]["address"] == "ada@example.com"
    assert with_lists["created_at"].endswith("+00:00")


def test_fetch_of_an_unknown_contact_is_404(client: httpx.Client) -> None:
    response = client.get("/v3/contacts/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert response.json()[0]["error_key"] == "contacts.api.not_found"


def test_fetch_rejects_an_unknown_include(
    sandbox: ConstantContactSandbox, client: httpx.Client
) -> None:
    added = sandbox.add_contact()
    response = client.get(f"/v3/contacts/{added['contact_id']}", params={"include": "secrets"})
    assert response.status_code == 400


# -- delete ---------------------------------------------------------------------------------


def test_delete_keeps_the_contact_with_a_date_and_drops_its_list_memberships(
    sandbox: ConstantContactSandbox, client: httpx.Client, contact_properties: set[str]
) -> None:
    # Given a contact on two lists
    added = sandbox.add_contact(email="del@example.com", list_ids=LISTS)
    # When it is deleted
    response = client.delete(f"/v3/contacts/{added['contact_id']}")
    # Then 204, and it is still readable: deleted today (a date) and on no list
    assert response.status_code == 204 and response.content == b""
    fetched = _fetch(client, added["contact_id"])
    assert fetched["deleted_at"] == "2026-03-17"
    assert fetched["list_memberships"] == []
    canonical = _canonical(fetched, contact_properties)
    assert canonical.archived is True and canonical.list_ids == ()


def test_delete_of_an_unknown_contact_is_404(client: httpx.Client) -> None:
    assert client.delete("/v3/contacts/nope").status_code == 404


# -- revive by PUT --------------------------------------------------------------------------


def test_put_with_update_source_account_revives_with_the_saved_memberships(
    sandbox: ConstantContactSandbox, client: httpx.Client, contact_properties: set[str]
) -> None:
    # Given a contact whose restore material was saved before it was deleted
    added = sandbox.add_contact(email="rev@example.com", first_name="Rae", list_ids=LISTS)
    saved = mapper.snapshot(_fetch(client, added["contact_id"]))  # type: ignore[arg-type]
    client.delete(f"/v3/contacts/{added['contact_id']}")
    # When the whole contact is PUT back from the snapshot
    response = client.put(
        f"/v3/contacts/{added['contact_id']}", json=dict(mapper.revive_body(saved))
    )
    # Then it is active again, on the same lists, with the same fields
    assert response.status_code == 200
    revived = _fetch(client, added["contact_id"])
    assert "deleted_at" not in revived
    canonical = _canonical(revived, contact_properties)
    assert canonical.archived is False and canonical.list_ids == tuple(LISTS)
    assert (canonical.email, canonical.first_name) == ("rev@example.com", "Rae")
    assert _canonical(response.json(), contact_properties).list_ids == tuple(LISTS)


def test_put_overwrites_properties_left_out_but_keeps_subresources(
    sandbox: ConstantContactSandbox, client: httpx.Client
) -> None:
    # Given a contact with a job title, on a list
    added = sandbox.add_contact(job_title="Poet", first_name="Old", list_ids=LISTS[:1])
    # When PUT without the job title nor the lists
    body = {
        "update_source": "Contact",
        "email_address": {"address": added["email_address"]["address"]},
        "first_name": "New",
    }
    assert client.put(f"/v3/contacts/{added['contact_id']}", json=body).status_code == 200
    # Then the job title is gone and the list membership stays
    stored = sandbox.contact(added["contact_id"])
    assert stored is not None
    assert stored["first_name"] == "New" and "job_title" not in stored
    assert stored["list_memberships"] == LISTS[:1]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"email_address": {"address": "a@example.com"}}, 400),  # no update_source
        ({"update_source": "Account"}, 400),  # no email_address
        ({"update_source": "Account", "email_address": {"address": "a@x.io"}, "id": 1}, 400),
        ({"update_source": "Contact", "email_address": {"address": "a@example.com"}}, 409),
    ],
)
def test_put_rejects_bodies_that_cannot_revive(
    sandbox: ConstantContactSandbox, client: httpx.Client, body: dict[str, Any], status: int
) -> None:
    # Given a deleted contact
    added = sandbox.add_contact(deleted_at="2026-01-02")
    # When PUT with a body that cannot revive it, then it is refused and stays deleted
    assert client.put(f"/v3/contacts/{added['contact_id']}", json=body).status_code == status
    stored = sandbox.contact(added["contact_id"])
    assert stored is not None and stored["deleted_at"] == "2026-01-02"


def test_put_of_an_unknown_contact_is_404(client: httpx.Client) -> None:
    body = {"update_source": "Account", "email_address": {"address": "a@example.com"}}
    assert client.put("/v3/contacts/nope", json=body).status_code == 404


# -- list -----------------------------------------------------------------------------------


def _list_ids(client: httpx.Client, **params: Any) -> list[str]:
    """Every contact id across pages, following `_links.next.href`."""
    ids: list[str] = []
    response = client.get("/v3/contacts", params=params)
    while True:
        assert response.status_code == 200, response.text
        contacts, following = mapper.list_page(response.json())
        ids += [contact["contact_id"] for contact in contacts]
        if following is None:
            return ids
        response = client.get(following)


def test_status_filters_select_active_deleted_or_all(
    sandbox: ConstantContactSandbox, client: httpx.Client
) -> None:
    # Given two active contacts and one deleted
    first = sandbox.add_contact()["contact_id"]
    gone = sandbox.add_contact(deleted_at="2026-01-02")["contact_id"]
    last = sandbox.add_contact()["contact_id"]
    # When listed by each status, then the default leaves deleted contacts out
    assert _list_ids(client) == [first, last]
    assert _list_ids(client, status="active") == [first, last]
    assert _list_ids(client, status="deleted") == [gone]
    assert _list_ids(client, status="all") == [first, gone, last]


def test_list_pages_by_links_next_and_counts_when_asked(
    sandbox: ConstantContactSandbox, client: httpx.Client, contact_properties: set[str]
) -> None:
    # Given five contacts on a list
    ids = [sandbox.add_contact(list_ids=LISTS[:1])["contact_id"] for _ in range(5)]
    # When listed two at a time with their lists and a count
    first = client.get(
        "/v3/contacts",
        params={"limit": 2, "include": "list_memberships", "include_count": "true"},
    ).json()
    # Then pages follow `_links.next.href` to the end, each contact in the spec's shape
    assert first["contacts_count"] == 5
    assert first["_links"]["next"]["href"].startswith("/v3/contacts?cursor=")
    for contact in first["contacts"]:
        assert _canonical(contact, contact_properties).list_ids == tuple(LISTS[:1])
    assert _list_ids(client, limit=2, include="list_memberships") == ids
    last = client.get("/v3/contacts", params={"limit": 5}).json()
    assert "_links" not in last and "contacts_count" not in last


def test_updated_after_finds_recently_deleted_contacts(
    sandbox: ConstantContactSandbox, client: httpx.Client, clock: FakeClock
) -> None:
    # Given two deleted contacts, one of them deleted after a checkpoint
    early = sandbox.add_contact()["contact_id"]
    late = sandbox.add_contact()["contact_id"]
    client.delete(f"/v3/contacts/{early}")
    checkpoint = datetime.fromtimestamp(clock.now + 0.5, UTC).isoformat()
    client.delete(f"/v3/contacts/{late}")
    # When deletes are polled for since the checkpoint
    found = _list_ids(client, status="deleted", updated_after=checkpoint)
    # Then only the later one is found
    assert found == [late]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 501},
        {"status": "unsubscribed"},
        {"include": "nope"},
        {"updated_after": "yesterday"},
        {"cursor": "!!"},
    ],
)
def test_list_rejects_bad_parameters(client: httpx.Client, params: dict[str, Any]) -> None:
    response = client.get("/v3/contacts", params=params)
    assert response.status_code == 400
    assert mapper.error_message(response.json())


def test_list_accepts_the_maximum_limit(client: httpx.Client) -> None:
    assert client.get("/v3/contacts", params={"limit": 500}).status_code == 200


# -- bulk delete ----------------------------------------------------------------------------


def test_bulk_delete_runs_as_an_activity_completed_when_polled(
    sandbox: ConstantContactSandbox,
    client: httpx.Client,
    activity_properties: tuple[set[str], set[str]],
) -> None:
    # Given three contacts on lists
    ids = [sandbox.add_contact(list_ids=LISTS)["contact_id"] for _ in range(3)]
    # When two are deleted in bulk
    created = client.post(
        "/v3/activities/contact_delete", json=dict(mapper.bulk_delete_body(ids[:2]))
    )
    # Then the activity is queued and nothing is deleted yet
    assert created.status_code == 201
    activity = created.json()
    created_keys, polled_keys = activity_properties
    assert set(activity) <= created_keys
    assert activity["state"] == "initialized"
    assert activity["status"] == {"items_total_count": 2, "items_completed_count": 0}
    assert _list_ids(client) == ids
    # When the activity is polled at its self link
    polled = client.get(activity["_links"]["self"]["href"])
    # Then it has completed, and the two contacts are deleted without their lists
    assert polled.status_code == 200
    status = polled.json()
    assert set(status) <= polled_keys
    assert status["state"] == "completed" and status["percent_done"] == 100
    assert status["status"]["items_completed_count"] == 2
    assert _list_ids(client, status="deleted", include="list_memberships") == ids[:2]
    for contact_id in ids[:2]:
        stored = sandbox.contact(contact_id)
        assert stored is not None and stored["list_memberships"] == []
    # And polling again changes nothing
    assert client.get(activity["_links"]["self"]["href"]).json() == status


def test_bulk_delete_reports_unknown_contacts_as_activity_errors(
    sandbox: ConstantContactSandbox, client: httpx.Client
) -> None:
    known = sandbox.add_contact()["contact_id"]
    activity = client.post(
        "/v3/activities/contact_delete", json={"contact_ids": [known, "missing"]}
    ).json()
    status = client.get(f"/v3/activities/{activity['activity_id']}").json()
    assert status["status"]["items_completed_count"] == 1
    assert status["activity_errors"] == ["Contact missing not found"]


@pytest.mark.parametrize(
    "body",
    [{}, {"contact_ids": []}, {"contact_ids": [f"id-{i}" for i in range(501)]}, [1]],
)
def test_bulk_delete_rejects_bad_bodies(client: httpx.Client, body: Any) -> None:
    assert client.post("/v3/activities/contact_delete", json=body).status_code == 400


def test_polling_an_unknown_activity_is_404(client: httpx.Client) -> None:
    assert client.get("/v3/activities/nope").status_code == 404


# -- throttling and auth --------------------------------------------------------------------


def test_more_than_four_requests_a_second_are_throttled_without_rate_headers(
    sandbox: ConstantContactSandbox, client: httpx.Client, clock: FakeClock
) -> None:
    # Given a clock that moves 0.1 s per request
    clock.step = 0.1
    # When six requests come within 0.6 s, then one a second after the first
    burst = [client.get("/v3/contacts") for _ in range(6)]
    clock.now += 0.5
    after = client.get("/v3/contacts")
    # Then the fifth and sixth are throttled, and the limit frees up a second later
    assert [response.status_code for response in burst] == [200, 200, 200, 200, 429, 429]
    assert burst[4].json() == [{"error_key": "throttled", "error_message": "Too many requests"}]
    assert mapper.is_throttled(burst[4].json())
    assert not any(key.lower().startswith("x-ratelimit") for key in burst[4].headers)
    assert "retry-after" not in burst[4].headers
    assert after.status_code == 200


def test_auth_is_checked_before_the_limit(clock: FakeClock) -> None:
    # Given two tokens sharing a sandbox whose clock stands still
    clock.step = 0.0
    sandbox = ConstantContactSandbox(TOKEN, clock=clock)
    # When one token spends its four requests
    with API.client(sandbox) as client:
        assert [client.get("/v3/contacts").status_code for _ in range(5)][-1] == 429
    # Then a bad token is still told 401, not 429: auth comes first
    with API.client(sandbox, bearer("other")) as other:
        assert other.get("/v3/contacts").status_code == 401


@pytest.mark.parametrize("token", [None, "wrong"])
def test_a_bad_token_is_401(sandbox: ConstantContactSandbox, token: str | None) -> None:
    added = sandbox.add_contact(list_ids=LISTS)
    with API.client(sandbox, bearer(token)) as client:
        response = client.delete(f"/v3/contacts/{added['contact_id']}")
    assert response.status_code == 401
    assert response.json() == [{"error_key": "unauthorized", "error_message": "Unauthorized"}]
    stored = sandbox.contact(added["contact_id"])
    assert stored is not None and "deleted_at" not in stored


def test_a_second_delete_answers_204_or_404_as_chosen(
    sandbox: ConstantContactSandbox, client: httpx.Client
) -> None:
    # Given a deleted contact (what a second DELETE answers is not documented)
    added = sandbox.add_contact(deleted_at="2026-03-01")
    path = f"/v3/contacts/{added['contact_id']}"
    # When it is deleted again, by default and then with the other plausible answer
    first = client.delete(path)
    sandbox.delete_deleted_status = 404
    second = client.delete(path)
    # Then 204 keeps the first date, 404 says not found; it stays deleted either way
    assert (first.status_code, second.status_code) == (204, 404)
    assert second.json()[0]["error_key"] == "contacts.api.not_found"
    stored = sandbox.contact(added["contact_id"])
    assert stored is not None and stored["deleted_at"] == "2026-03-01"


def test_an_activity_can_take_several_polls_to_complete(
    sandbox: ConstantContactSandbox,
    client: httpx.Client,
    activity_properties: tuple[set[str], set[str]],
) -> None:
    # Given an activity that completes on its third poll
    sandbox.polls_to_complete = 3
    contact_id = sandbox.add_contact(list_ids=LISTS)["contact_id"]
    created = client.post("/v3/activities/contact_delete", json={"contact_ids": [contact_id]})
    href = created.json()["_links"]["self"]["href"]
    # When it is polled three times
    polls = [client.get(href).json() for _ in range(3)]
    # Then it is processing, untouched, until the third poll completes it
    assert [poll["state"] for poll in polls] == ["processing", "processing", "completed"]
    assert all(set(poll) <= activity_properties[1] for poll in polls)
    assert polls[0]["started_at"] == polls[2]["started_at"]
    assert polls[2]["status"]["items_completed_count"] == 1
    stored = sandbox.contact(contact_id)
    assert stored is not None and stored["deleted_at"]


# -- OAuth2 token endpoint ------------------------------------------------------------------


def _refresh(
    sandbox: ConstantContactSandbox,
    refresh_token: str | None,
    *,
    form: dict[str, str] | None = None,
    auth: httpx.BasicAuth | None = None,
) -> httpx.Response:
    """`POST` the refresh grant, as a public app unless `form` or `auth` say otherwise."""
    data = form or {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token or "",
        "client_id": sandbox.client_id,
    }
    with API.client(sandbox, {}, auth=auth) as client:
        return client.post(TOKEN_URL, data=data)


def test_a_refresh_rotates_both_tokens(sandbox: ConstantContactSandbox) -> None:
    # Given the account's refresh token
    old_refresh = sandbox.refresh_token
    # When it is exchanged
    response = _refresh(sandbox, old_refresh)
    # Then a new pair comes back in OAuth2's shape, not to be cached
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"token_type", "expires_in", "access_token", "scope", "refresh_token"}
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 86_400)
    assert body["access_token"] != TOKEN and body["refresh_token"] != old_refresh
    # And the new access token works, while the old access and refresh tokens are dead
    with API.client(sandbox, bearer(body["access_token"])) as fresh:
        assert fresh.get("/v3/contacts").status_code == 200
    with API.client(sandbox, bearer(TOKEN)) as stale:
        assert stale.get("/v3/contacts").status_code == 401
    reused = _refresh(sandbox, old_refresh)
    assert reused.status_code == 400
    assert reused.json() == {
        "error": "invalid_grant",
        "error_description": "The refresh token is invalid or expired.",
    }
    assert _refresh(sandbox, body["refresh_token"]).status_code == 200


def test_an_expired_access_token_is_refused_until_a_refresh(
    sandbox: ConstantContactSandbox, client: httpx.Client
) -> None:
    # Given an access token that expired
    sandbox.expire_access_token()
    # When it is used, then it is a 401; after a refresh, the new token is let in
    assert client.get("/v3/contacts").status_code == 401
    access_token = _refresh(sandbox, sandbox.refresh_token).json()["access_token"]
    with API.client(sandbox, bearer(access_token)) as fresh:
        assert fresh.get("/v3/contacts").status_code == 200


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        (
            {"grant_type": "refresh_token", "refresh_token": "?", "client_id": "other-app"},
            401,
            "invalid_client",
        ),
        (
            {"grant_type": "password", "client_id": "constant-contact-sandbox-client"},
            400,
            "unsupported_grant_type",
        ),
        (
            {"grant_type": "refresh_token", "client_id": "constant-contact-sandbox-client"},
            400,
            "invalid_grant",
        ),
    ],
    ids=["unknown-app", "other-grant", "no-refresh-token"],
)
def test_a_refresh_that_cannot_succeed_is_an_oauth_error(
    sandbox: ConstantContactSandbox, form: dict[str, str], status: int, error: str
) -> None:
    tokens = (sandbox.token, sandbox.refresh_token)
    response = _refresh(sandbox, None, form=form)
    assert (response.status_code, response.json()["error"]) == (status, error)
    assert (sandbox.token, sandbox.refresh_token) == tokens  # nothing rotated


def test_the_refresh_grant_must_be_a_form(sandbox: ConstantContactSandbox) -> None:
    with API.client(sandbox, {}) as client:
        response = client.post(
            TOKEN_URL,
            json={"grant_type": "refresh_token", "refresh_token": sandbox.refresh_token},
        )
    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")


def test_a_confidential_app_authenticates_with_http_basic(clock: FakeClock) -> None:
    # Given an app with a client secret
    sandbox = ConstantContactSandbox(TOKEN, client_id="app", client_secret="s3cret", clock=clock)
    form = {"grant_type": "refresh_token", "refresh_token": sandbox.refresh_token}
    # When it refreshes without Basic, with a wrong secret, then with the right one
    public = _refresh(sandbox, None, form={**form, "client_id": "app"})
    wrong = _refresh(sandbox, None, form=form, auth=httpx.BasicAuth("app", "guess"))
    right = _refresh(sandbox, None, form=form, auth=httpx.BasicAuth("app", "s3cret"))
    # Then only HTTP Basic with the secret is let in
    assert [response.status_code for response in (public, wrong, right)] == [401, 401, 200]
    assert public.json()["error"] == "invalid_client"


def test_the_limit_is_the_keys_whatever_its_token_and_the_token_endpoint_has_none(
    sandbox: ConstantContactSandbox, client: httpx.Client, clock: FakeClock
) -> None:
    # Given a clock that stands still, and four requests spent
    clock.step = 0.0
    assert [client.get("/v3/contacts").status_code for _ in range(4)] == [200] * 4
    # When the token is refreshed (the token endpoint is not throttled) and used at once
    refreshes = [_refresh(sandbox, sandbox.refresh_token) for _ in range(2)]
    assert [response.status_code for response in refreshes] == [200, 200]
    with API.client(sandbox, bearer(refreshes[-1].json()["access_token"])) as fresh:
        # Then the new token still shares the key's four requests a second
        assert fresh.get("/v3/contacts").status_code == 429
