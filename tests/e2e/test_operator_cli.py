"""The operator CLI against the real local API (`make run`'s server): a bulk archive from a CSV
of emails, watched to the end, then a restore by filter; the exit codes say how it went."""

from __future__ import annotations

from pathlib import Path

import httpx
from typer.testing import CliRunner

from operator_cli.main import Runtime, app

GRACE = "grace@example.com"  # the local API's demo person, in all four sandboxes


def cli(api: str, *arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["--api-url", api, *arguments], obj=Runtime(), catch_exceptions=False
    )
    return result.exit_code, result.output


def test_a_bulk_archive_and_restore_from_the_command_line(local_api: str, tmp_path: Path) -> None:
    # Given Grace imported from her four vendors
    for body in (
        {"vendor": "intercom"},
        {"vendor": "constant_contact"},
        {"vendor": "routera"},
        {"vendor": "sequence", "scope": "demo-customer"},
    ):
        httpx.post(f"{local_api}/contacts/import", json=body, timeout=30).raise_for_status()
    ids = tmp_path / "offboarding.csv"
    ids.write_text(f"email\n{GRACE.upper()}\nnobody@example.com\n")

    # When an operator archives the people of a CSV and watches the job
    code, output = cli(local_api, "jobs", "archive", "--file", str(ids), "--reason", "churned")

    # Then the job succeeds (the unknown email skipped) and Grace is archived everywhere
    assert code == 0, output
    assert "succeeded" in output
    (grace,) = httpx.get(f"{local_api}/contacts", params={"email": GRACE, "status": "all"}).json()[
        "items"
    ]
    assert grace["status"] == "archived"
    assert {link["state"] for link in grace["links"]} == {"archived"}

    # When they restore everyone archived, by filter
    code, output = cli(local_api, "jobs", "restore", "--filter", "status=archived")

    # Then she is back in all four vendors, and the jobs are listed
    assert code == 0, output
    back = httpx.get(f"{local_api}/contacts/{grace['id']}").json()
    assert back["status"] == "active"
    assert {link["state"] for link in back["links"]} == {"active"}
    code, output = cli(local_api, "jobs", "list")
    assert code == 0 and output.count("succeeded") >= 2
