"""Watching a job: the live progress to its end, the summary, the exit codes, Ctrl-C and resume."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from operator_cli.api import Counts, Job
from operator_cli.progress import JobProgress
from tests.unit.operator_cli_fake import FakeJobsApi, Sleeps, invoke, write_csv

JOB = "job_0000000000001"


@pytest.fixture
def ids_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "ids.csv", "contact_id", [f"c-{n}" for n in range(30)])


def test_archive_watches_the_job_to_its_end_and_exits_0(ids_csv: Path) -> None:
    # Given a job that takes a few polls
    api = FakeJobsApi(steps=3)
    sleeps = Sleeps()
    # When an operator archives a file (watching is the default)
    result = invoke(api.runtime(sleeps), "jobs", "archive", "--file", str(ids_csv))
    # Then the job id comes first, then the bar reaching 30/30, then the summary
    assert result.exit_code == 0, result.output
    output = result.output
    assert output.index(f"Submitted archive job {JOB}") < output.index("30/30")
    assert output.index("30/30") < output.index(f"archive job {JOB}: succeeded")
    assert f"Job {JOB} succeeded: nothing failed." in output
    # And the per-vendor lines reach the end too
    assert "constant_contact  30/30 done" in output
    # And it polled once a second until the job had ended
    polls = [r for r in api.requests if r.method == "GET"]
    assert len(polls) == 4 and sleeps.seconds == [1.0] * 3


def test_the_interval_between_polls_is_the_operators(ids_csv: Path) -> None:
    # Given a job
    api = FakeJobsApi(steps=2)
    sleeps = Sleeps()
    invoke(api.runtime(), "jobs", "archive", "--file", str(ids_csv), "--no-watch")
    # When it is watched every 5 seconds
    result = invoke(api.runtime(sleeps), "jobs", "watch", JOB, "--interval", "5")
    # Then it waited 5 seconds between polls
    assert result.exit_code == 0, result.output
    assert set(sleeps.seconds) == {5.0}


@pytest.mark.parametrize(
    ("fake", "verdict"),
    [
        (FakeJobsApi(steps=2, failing=25), f"Job {JOB} succeeded, but 25 failed."),
        (FakeJobsApi(steps=2, final_status="failed"), f"Job {JOB} failed."),
    ],
)
def test_a_job_with_failures_or_that_failed_exits_1(
    ids_csv: Path, fake: FakeJobsApi, verdict: str
) -> None:
    # Given a job that ends with failed contacts, or fails
    # When it is watched to its end
    result = invoke(fake.runtime(), "jobs", "archive", "--file", str(ids_csv))
    # Then the summary says so and the exit code is 1
    assert result.exit_code == 1, result.output
    assert verdict in result.output


def test_the_summary_shows_the_first_20_failures_and_counts_the_rest(ids_csv: Path) -> None:
    # Given a job in which 25 contacts fail
    api = FakeJobsApi(steps=1, failing=25)
    # When it is watched to its end
    result = invoke(api.runtime(), "jobs", "archive", "--file", str(ids_csv))
    # Then 20 failures are listed and the other 5 counted
    assert "c-19 " in result.output and "c-20 " not in result.output
    assert "Failures (25)" in result.output
    assert "... and 5 more failures not shown" in result.output


def test_a_job_cancelled_while_watched_exits_1(ids_csv: Path) -> None:
    # Given a job being watched, When someone else cancels it mid-way
    api = FakeJobsApi(steps=5)
    invoke(api.runtime(), "jobs", "archive", "--file", str(ids_csv), "--no-watch")
    api.advance(JOB, 2)
    api.jobs[JOB].cancelled = True
    result = invoke(api.runtime(), "jobs", "watch", JOB)
    # Then the watch ends with it, and the exit code is 1
    assert result.exit_code == 1, result.output
    assert f"Job {JOB} cancelled." in result.output


def test_ctrl_c_stops_watching_not_the_job_and_watch_resumes_it(ids_csv: Path) -> None:
    # Given an archive being watched
    api = FakeJobsApi(steps=4)
    # When the operator presses Ctrl-C during the second wait
    stopped = invoke(api.runtime(Sleeps(interrupt_at=2)), "jobs", "archive", "--file", str(ids_csv))
    # Then watching stops with the shell's Ctrl-C code, saying how to resume; the job is not cancelled
    assert stopped.exit_code == 130, stopped.output
    assert "Stopped watching; the job goes on. Resume with:" in stopped.output
    assert f"contact-archive jobs watch {JOB}" in stopped.output
    assert not any(request.url.path.endswith("/cancel") for request in api.requests)
    assert api.jobs[JOB].cancelled is False
    # When the operator resumes by job id
    resumed = invoke(api.runtime(), "jobs", "watch", JOB)
    # Then the same job is watched to its end
    assert resumed.exit_code == 0, resumed.output
    assert "30/30" in resumed.output and f"Job {JOB} succeeded" in resumed.output
    assert len(api.jobs) == 1


def test_ctrl_c_during_a_split_file_lists_every_job_left_to_watch(tmp_path: Path) -> None:
    # Given 20,001 contacts: three jobs
    path = write_csv(tmp_path / "many.csv", "contact_id", [f"c-{n}" for n in range(20_001)])
    api = FakeJobsApi(steps=2)
    # When Ctrl-C is pressed while the first is watched
    result = invoke(api.runtime(Sleeps(interrupt_at=1)), "jobs", "archive", "--file", str(path))
    # Then the way back to each of the three is printed
    assert result.exit_code == 130, result.output
    resume = result.output.split("Resume with:")[1]
    assert [f"contact-archive jobs watch {job_id}" in resume for job_id in api.jobs] == [True] * 3


def test_a_filter_job_is_indeterminate_until_it_has_selected(ids_csv: Path) -> None:
    # Given a restore by filter, whose total the API learns once it has selected (25 contacts)
    api = FakeJobsApi(steps=2, filter_matches=25)
    # When it is watched to its end
    result = invoke(api.runtime(), "jobs", "restore", "--filter", "status=archived")
    # Then the bar ends at 25/25
    assert result.exit_code == 0, result.output
    assert "25/25" in result.output


def test_the_progress_view_goes_from_unknown_total_to_the_end() -> None:
    # Given the live view of a job still selecting
    console = Console(file=io.StringIO(), width=120)
    with JobProgress(console, JOB) as view:
        view.show(_job("running", Counts(total=None)))
        # Then the bar is indeterminate
        assert _bar(view) == (0, None)
        # When the job has selected and done part, then all, of its contacts
        view.show(_job("running", Counts(total=400, succeeded=100, skipped=50, pending=250)))
        assert _bar(view) == (150, 400)
        view.show(_job("succeeded", Counts(total=400, succeeded=390, failed=4, skipped=6)))
        # Then done (succeeded + failed + skipped) reaches the total
        assert _bar(view) == (400, 400)


def test_a_poll_that_fails_once_is_tried_again(ids_csv: Path) -> None:
    # Given a job whose API answers 503 to one poll and drops the connection on another
    api = FakeJobsApi(steps=2)
    invoke(api.runtime(), "jobs", "archive", "--file", str(ids_csv), "--no-watch")
    busy = httpx.Response(503, json={"error": {"code": "unavailable", "message": "busy"}})
    api.outages = [None, busy, None, httpx.ReadTimeout("no answer")]
    # When it is watched
    result = invoke(api.runtime(), "jobs", "watch", JOB)
    # Then the watch goes on to the end, saying a poll failed
    assert result.exit_code == 0, result.output
    assert "poll failed: 503 unavailable: busy; trying again" in result.output
    assert (
        "poll failed: cannot reach the jobs API at http://127.0.0.1:3000 (timed out)"
        in result.output
    )


def test_an_api_that_stays_down_ends_the_watch_with_3(ids_csv: Path) -> None:
    # Given a job that has been seen, then an API that stops answering
    api = FakeJobsApi(steps=2)
    invoke(api.runtime(), "jobs", "archive", "--file", str(ids_csv), "--no-watch")
    sleeps = Sleeps()
    api.outages = [None, *(httpx.ConnectError("refused") for _ in range(10))]
    # When it is watched
    result = invoke(api.runtime(sleeps), "jobs", "watch", JOB)
    # Then after a few tries the watch ends, naming the API, with 3
    assert result.exit_code == 3, result.output
    assert "cannot reach the jobs API at http://127.0.0.1:3000" in result.stderr
    assert len(sleeps.seconds) == 6


def test_watching_an_unknown_job_exits_2() -> None:
    # Given no such job, When it is watched, Then the 404 is shown and the exit code is 2
    result = invoke(FakeJobsApi().runtime(), "jobs", "watch", "job_missing")
    assert result.exit_code == 2
    assert "404 job_not_found" in result.stderr


def _bar(view: JobProgress) -> tuple[float, float | None]:
    return view.completed, view.total


def _job(status: str, counts: Counts) -> Job:
    return Job(
        job_id=JOB,
        action="restore",
        status=status,
        counts=counts,
        vendors_counts={"intercom": counts},
        failures=[],
    )
