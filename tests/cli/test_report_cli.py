"""``checkline report`` usage errors: each names what is missing, exit 2, nothing sent."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from checkline.cli import main


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["results.tap"], "--resultsdb is required (or CHECKLINE_RESULTSDB_URL)"),
        (["--resultsdb", "http://r"], "give RESULTS, or --queued/--running, or --flush-spool DIR"),
        (
            ["results.tap", "--resultsdb", "http://r"],
            "no job uuid: give --uuid, or --artifacts-dir with the run's execution.json",
        ),
        (
            ["--queued", "--resultsdb", "http://r", "--uuid", "u"],
            "no testcase: give --testcase or --taskname",
        ),
    ],
)
def test_assert_usage_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("results.tap").write_text("TAP version 13\n1..0\n")
    env = {"CHECKLINE_RESULTSDB_URL": None}
    result = CliRunner().invoke(main, ["report", *args], env=env)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_assert_report_help_shows_the_issue_flags() -> None:
    result = CliRunner().invoke(main, ["report", "--help"])
    assert result.exit_code == 0
    for flag in (
        "--resultsdb",
        "--uuid",
        "--artifacts-dir",
        "--artifacts-url",
        "--job-url",
        "--taskname",
        "--spool",
        "--flush-spool",
        "--token",
        "--queued",
        "--running",
    ):
        assert flag in result.output
