"""The Intercom sandbox's minute allowances (`VENDORS.md`: 10,000 a minute per app, 25,000 per
workspace, `X-RateLimit-Limit/Remaining/Reset`), on the injectable clock."""

from __future__ import annotations

import httpx

from contact_archive.vendors.intercom import mapper
from devtools.sandboxes.intercom import IntercomSandbox
from tests.fakes import FakeTime
from tests.vendors.intercom.sandbox_api import API, START


def test_responses_carry_rate_limit_headers(
    intercom: IntercomSandbox, api: httpx.Client, fake_time: FakeTime
) -> None:
    # Given an app allowed 3 requests a minute
    intercom.rate_limit_per_minute = 3
    # When it makes four requests in the same minute, then one a minute later
    answers = [api.get("/contacts") for _ in range(4)]
    fake_time.now += 60
    later = api.get("/contacts")
    # Then the headers count down, the fourth is 429, and the next window starts afresh
    assert [r.headers["X-RateLimit-Remaining"] for r in answers] == ["2", "1", "0", "0"]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert {r.headers["X-RateLimit-Limit"] for r in answers} == {"3"}
    assert answers[0].headers["X-RateLimit-Reset"] == str(int(START) + 60)
    assert later.status_code == 200 and later.headers["X-RateLimit-Remaining"] == "2"


def test_the_default_allowances_are_intercoms_and_the_tighter_one_is_shown(
    intercom: IntercomSandbox, api: httpx.Client
) -> None:
    # Given the documented allowances: 10,000 a minute per app, 25,000 per workspace
    assert (intercom.rate_limit_per_minute, intercom.workspace_rate_limit_per_minute) == (
        10_000,
        25_000,
    )
    # When one request is made, then the app's allowance (the one with less left) is shown
    first = api.get("/contacts")
    assert (first.headers["X-RateLimit-Limit"], first.headers["X-RateLimit-Remaining"]) == (
        "10000",
        "9999",
    )
    # And when the workspace has less left than the app, the workspace's is shown
    intercom.workspace_rate_limit_per_minute = 3
    second = api.get("/contacts")
    assert (second.headers["X-RateLimit-Limit"], second.headers["X-RateLimit-Remaining"]) == (
        "3",
        "1",
    )


def test_the_apps_of_one_workspace_share_its_allowance(
    intercom: IntercomSandbox, fake_time: FakeTime
) -> None:
    # Given a workspace allowed 5 requests a minute, and two apps allowed 4 each
    intercom.workspace_rate_limit_per_minute = 5
    intercom.rate_limit_per_minute = 4
    intercom.add_app("second-app-token", rate_limit_per_minute=4)
    second_headers = {"Authorization": "Bearer second-app-token", "Intercom-Version": "2.10"}
    with API.client(intercom) as first, API.client(intercom, second_headers) as second:
        # When the first app makes 4 requests, the second 2, then the first one more
        answers = [first.get("/contacts") for _ in range(4)]
        answers += [second.get("/contacts") for _ in range(2)]
        answers.append(first.get("/contacts"))
        # Then the second app's second request is over the workspace's allowance, and the
        # first app's fifth over its own: each 429 shows the allowance it is over
        assert [answer.status_code for answer in answers] == [200] * 5 + [429, 429]
        over_workspace, over_app = answers[5], answers[6]
        assert mapper.error_message(over_workspace.json()) == (
            "rate_limit_exceeded: Exceeded rate limit"
        )
        assert over_workspace.headers["X-RateLimit-Limit"] == "5"
        assert over_app.headers["X-RateLimit-Limit"] == "4"
        for answer in (over_workspace, over_app):
            assert answer.headers["X-RateLimit-Remaining"] == "0"
            assert answer.headers["X-RateLimit-Reset"] == str(int(START) + 60)
        # And a minute later, both apps are served again
        fake_time.now += 60
        assert [first.get("/contacts").status_code, second.get("/contacts").status_code] == [
            200,
            200,
        ]


def test_a_token_of_no_app_spends_no_allowance(intercom: IntercomSandbox) -> None:
    # Given an app allowed one request a minute
    intercom.rate_limit_per_minute = 1
    # When a request with an unknown token comes first
    with API.client(intercom, {"Authorization": "Bearer forged"}) as forged:
        refused = forged.get("/contacts")
    with API.client(intercom) as caller:
        served = caller.get("/contacts")
    # Then it is refused without X-RateLimit headers, and the app's request is still served
    assert refused.status_code == 401 and "X-RateLimit-Limit" not in refused.headers
    assert served.status_code == 200 and served.headers["X-RateLimit-Remaining"] == "0"
