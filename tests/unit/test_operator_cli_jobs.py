"""The operator CLI's commands against a fake of the jobs API: what each sends, prints and exits."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from operator_cli.api import derived_idempotency_key
from tests.unit.operator_cli_fake import FakeJobsApi, body_of, invoke, write_csv

SECRET_KEY = "sk-operator-0123456789"


@pytest.fixture
def ids_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "ids.csv", "contact_id", ["c-1", "c-2", "c-3"])


def test_archive_submits_the_file_prints_the_job_id_and_how_to_watch_it(ids_csv: Path) -> None:
    # Given the jobs API
    api = FakeJobsApi()
    # When an operator archives a file of contact ids without watching
    result = invoke(
        api.runtime(),
        "--tenant",
        "acme",
        "--api-key",
        SECRET_KEY,
        "jobs",
        "archive",
        "--file",
        str(ids_csv),
        "--reason",
        "customer left",
        "--vendors",
        "sequence, intercom",
        "--no-watch",
    )
    # Then one job is submitted with the contacts, the reason and the vendors
    assert result.exit_code == 0, result.output
    (request,) = api.submissions
    assert body_of(request) == {
        "action": "archive",
        "contact_ids": ["c-1", "c-2", "c-3"],
        "reason": "customer left",
        "vendors": ["sequence", "intercom"],
    }
    # And the tenant and the key go as headers, with a key derived from the body
    assert request.headers["X-Tenant-Id"] == "acme"
    assert request.headers["Authorization"] == f"Bearer {SECRET_KEY}"
    assert request.headers["Idempotency-Key"] == derived_idempotency_key(body_of(request))
    # And the job id is printed at once with the command that watches it; the key never is
    assert "Submitted archive job job_0000000000001." in result.output
    assert "contact-archive --tenant acme jobs watch job_0000000000001" in result.output
    assert SECRET_KEY not in result.output


def test_without_a_tenant_no_tenant_header_is_sent(ids_csv: Path) -> None:
    # Given the local API, which picks its development tenant without the header
    api = FakeJobsApi()
    # When an operator gives neither a tenant nor a key
    result = invoke(api.runtime(), "jobs", "archive", "--file", str(ids_csv), "--no-watch")
    # Then neither header is sent
    assert result.exit_code == 0, result.output
    (request,) = api.submissions
    assert "X-Tenant-Id" not in request.headers and "Authorization" not in request.headers


def test_the_environment_names_the_api_the_tenant_and_the_key(ids_csv: Path) -> None:
    # Given the operator's environment
    api = FakeJobsApi()
    env = {
        "CONTACT_ARCHIVE_API_URL": "https://jobs.example.test/prod",
        "CONTACT_ARCHIVE_TENANT": "acme",
        "CONTACT_ARCHIVE_API_KEY": SECRET_KEY,
    }
    # When a command runs without options
    result = invoke(api.runtime(), "jobs", "list", env=env)
    # Then it goes to that API as that tenant with that key
    assert result.exit_code == 0, result.output
    (request,) = api.requests
    assert str(request.url) == "https://jobs.example.test/prod/jobs?limit=20"
    assert request.headers["X-Tenant-Id"] == "acme"
    assert request.headers["Authorization"] == f"Bearer {SECRET_KEY}"


def test_restore_by_filter_sends_the_filter(ids_csv: Path) -> None:
    # Given the jobs API
    api = FakeJobsApi()
    # When an operator restores what a filter selects
    result = invoke(
        api.runtime(),
        "jobs",
        "restore",
        "--filter",
        "status=archived,vendor=sequence,email_domain=x.com,scope=c1",
        "--no-watch",
    )
    # Then the job's selector is that filter
    assert result.exit_code == 0, result.output
    assert body_of(api.submissions[0]) == {
        "action": "restore",
        "filter": {
            "status": "archived",
            "vendor": "sequence",
            "email_domain": "x.com",
            "scope": "c1",
        },
    }


@pytest.mark.parametrize(
    "args",
    [
        ["jobs", "restore", "--no-watch"],
        ["jobs", "restore", "--filter", "status=archived", "--file", "ids.csv"],
        ["jobs", "restore", "--filter", "colour=blue"],
        ["jobs", "archive", "--file", "missing.csv"],
        ["--api-url", "ftp://example.test", "jobs", "list"],
        ["jobs", "list", "--limit", "500"],
    ],
)
def test_a_usage_error_exits_2_and_sends_nothing(
    ids_csv: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    # Given the jobs API, and the operator in the folder of ids.csv
    api = FakeJobsApi()
    monkeypatch.chdir(ids_csv.parent)
    # When a command is given wrongly
    result = invoke(api.runtime(), *args)
    # Then it exits 2 without calling the API, and without a traceback
    assert result.exit_code == 2, result.output
    assert api.requests == []
    assert "Traceback" not in result.output


def test_a_file_without_an_accepted_header_is_a_usage_error_naming_the_columns(
    tmp_path: Path,
) -> None:
    # Given a CSV whose header names none of the accepted columns
    path = write_csv(tmp_path / "people.csv", "name,phone", ["Ada,555"])
    api = FakeJobsApi()
    # When it is submitted
    result = invoke(api.runtime(), "jobs", "archive", "--file", str(path))
    # Then the error says what the header needs, and nothing is sent
    assert result.exit_code == 2
    assert "contact_id (or id), email, or vendor with vendor_id" in result.stderr
    assert api.requests == []


def test_a_file_of_25_000_rows_is_three_jobs_each_with_its_id(tmp_path: Path) -> None:
    # Given 25,000 emails
    path = write_csv(tmp_path / "emails.csv", "email", [f"p{n}@x.com" for n in range(25_000)])
    api = FakeJobsApi()
    # When they are archived
    result = invoke(api.runtime(), "jobs", "archive", "--file", str(path), "--no-watch")
    # Then three jobs of 10,000, 10,000 and 5,000 are submitted, saying so, each id printed
    assert result.exit_code == 0, result.output
    assert [len(body_of(r)["emails"]) for r in api.submissions] == [10_000, 10_000, 5_000]
    assert "submitting 3 jobs of up to 10,000, each with its own job id" in result.output
    for part, job_id in enumerate(api.jobs, start=1):
        assert f"job {job_id} (part {part} of 3)" in result.output


def test_running_the_same_command_again_finds_the_same_job(ids_csv: Path) -> None:
    # Given an archive submitted once (and the operator's terminal closed)
    api = FakeJobsApi()
    args = ["jobs", "archive", "--file", str(ids_csv), "--reason", "left", "--no-watch"]
    first = invoke(api.runtime(), *args)
    # When the same command runs again
    again = invoke(api.runtime(), *args)
    # Then it sends the same Idempotency-Key and finds the job the first run started
    assert first.exit_code == again.exit_code == 0
    keys = [request.headers["Idempotency-Key"] for request in api.submissions]
    assert keys[0] == keys[1]
    assert list(api.jobs) == ["job_0000000000001"]
    assert "Found archive job job_0000000000001: submitted by an earlier run." in again.output
    # And another reason is another request, so another key
    invoke(api.runtime(), *args[:-3], "--reason", "other", "--no-watch")
    assert api.submissions[2].headers["Idempotency-Key"] != keys[0]


def test_status_prints_the_summary_once(ids_csv: Path) -> None:
    # Given a job part way through
    api = FakeJobsApi(steps=3)
    invoke(api.runtime(), "jobs", "archive", "--file", str(ids_csv), "--no-watch")
    api.advance("job_0000000000001", 1)
    # When its status is asked for
    result = invoke(api.runtime(), "jobs", "status", "job_0000000000001")
    # Then its counts are shown, per vendor too, and a running job exits 0
    assert result.exit_code == 0, result.output
    assert "archive job job_0000000000001: running" in result.output
    assert "constant_contact" in result.output and "sequence" in result.output
    assert "is running" in result.output


def test_status_of_a_finished_job_with_failures_exits_1(ids_csv: Path) -> None:
    # Given a job that has ended with a contact failed
    api = FakeJobsApi(steps=1, failing=1)
    invoke(api.runtime(), "jobs", "archive", "--file", str(ids_csv), "--no-watch")
    api.advance("job_0000000000001", 5)
    # When its status is asked for
    result = invoke(api.runtime(), "jobs", "status", "job_0000000000001")
    # Then the failure is listed and the exit code says something failed
    assert result.exit_code == 1, result.output
    assert "vendor refused: permanent" in result.output


def test_status_of_an_unknown_job_shows_the_apis_error_and_exits_2() -> None:
    # Given no such job
    api = FakeJobsApi()
    # When its status is asked for
    result = invoke(api.runtime(), "jobs", "status", "job_nope")
    # Then the 404's code and message are shown, not a traceback
    assert result.exit_code == 2
    assert "404 job_not_found: no job job_nope" in result.stderr
    assert "Traceback" not in result.output


def test_list_prints_the_jobs_and_where_the_next_page_starts(ids_csv: Path) -> None:
    # Given two jobs, and more on another page
    api = FakeJobsApi(next_cursor="page-2")
    invoke(api.runtime(), "jobs", "archive", "--file", str(ids_csv), "--no-watch")
    invoke(api.runtime(), "jobs", "restore", "--filter", "status=archived", "--no-watch")
    # When they are listed
    result = invoke(api.runtime(), "jobs", "list", "--limit", "5")
    # Then both are in the table, newest first, and the next page's command is given
    assert result.exit_code == 0, result.output
    assert api.requests[-1].url.params["limit"] == "5"
    assert result.output.index("job_0000000000002") < result.output.index("job_0000000000001")
    assert "filter status=archived" in result.output and "contact_ids (3)" in result.output
    assert "contact-archive jobs list --limit 5 --cursor page-2" in result.output


def test_cancel_prints_the_cancelled_job(ids_csv: Path) -> None:
    # Given a running job
    api = FakeJobsApi()
    invoke(api.runtime(), "jobs", "archive", "--file", str(ids_csv), "--no-watch")
    api.advance("job_0000000000001", 1)
    # When it is cancelled
    result = invoke(api.runtime(), "jobs", "cancel", "job_0000000000001")
    # Then the API is asked to cancel it and the result is shown
    assert result.exit_code == 0, result.output
    assert api.requests[-1].url.path == "/jobs/job_0000000000001/cancel"
    assert "archive job job_0000000000001: cancelled" in result.output


def test_cancelling_a_finished_job_shows_the_409(ids_csv: Path) -> None:
    # Given a job that has ended
    api = FakeJobsApi(steps=1)
    invoke(api.runtime(), "jobs", "archive", "--file", str(ids_csv), "--no-watch")
    api.advance("job_0000000000001", 5)
    # When it is cancelled
    result = invoke(api.runtime(), "jobs", "cancel", "job_0000000000001")
    # Then the API's refusal is shown with its code, and the exit code is 2
    assert result.exit_code == 2
    assert "409 job_finished" in result.stderr


def test_an_api_that_cannot_be_reached_exits_3_naming_its_url(ids_csv: Path) -> None:
    # Given an API that refuses connections
    api = FakeJobsApi(outages=[httpx.ConnectError("refused")])
    # When an archive is submitted to it, with credentials in the URL
    result = invoke(
        api.runtime(),
        "--api-url",
        "http://operator:hunter2@127.0.0.1:3999",
        "jobs",
        "archive",
        "--file",
        str(ids_csv),
    )
    # Then the message names the URL (without its password) and the exit code is 3
    assert result.exit_code == 3
    assert "cannot reach the jobs API at http://127.0.0.1:3999" in result.stderr
    assert "hunter2" not in result.output


def test_importing_the_cli_has_no_side_effects() -> None:
    # Given a fresh interpreter, When the CLI's modules are imported, Then nothing runs or prints
    code = "import operator_cli.main, operator_cli.api, operator_cli.files, operator_cli.progress"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "" and done.stderr == ""


def test_the_api_key_from_the_environment_is_not_shown_in_help() -> None:
    # Given an operator's key in the environment
    env = {"CONTACT_ARCHIVE_API_KEY": SECRET_KEY}
    # When the help is printed
    result = invoke(FakeJobsApi().runtime(), "--help", env=env)
    # Then it names the variable, never its value
    assert result.exit_code == 0
    assert "CONTACT_ARCHIVE_API_KEY" in result.output
    assert SECRET_KEY not in result.output


def test_erase_submits_an_erasure_job_of_the_files_emails(tmp_path: Path) -> None:
    # Given the jobs API and a file of emails
    api = FakeJobsApi()
    emails = write_csv(tmp_path / "emails.csv", "email", ["a@example.com", "b@example.com"])
    # When an operator erases them without watching
    result = invoke(
        api.runtime(), "jobs", "erase", "--file", str(emails), "--reason", "GDPR", "--no-watch"
    )
    # Then one erasure job is submitted with the emails and the reason, and no vendors
    assert result.exit_code == 0, result.output
    (request,) = api.submissions
    assert body_of(request) == {
        "action": "erase",
        "emails": ["a@example.com", "b@example.com"],
        "reason": "GDPR",
    }
    assert "Submitted erase job" in result.output
