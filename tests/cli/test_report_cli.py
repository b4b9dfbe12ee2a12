"""``checkline report`` usage errors: each names what is missing, exit 2, nothing sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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
            "no job uuid: give --uuid, or --run-dir with the run's execution.json",
        ),
        (
            ["--queued", "--resultsdb", "http://r", "--uuid", "u"],
            "no testcase: give --testcase",
        ),
        (
            "results.tap --resultsdb http://r --uuid u --testcase a.b --testcase a.c".split(),
            "--testcase names the job's one testcase when reporting RESULTS: give it once",
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
        "--run-dir",
        "--artifacts-dir",
        "--artifacts-url",
        "--job-url",
        "--testcase",
        "--taskname",
        "--spool",
        "--flush-spool",
        "--token",
        "--queued",
        "--running",
    ):
        assert flag in result.output


def _spooled(spool: Path) -> dict[str, Any]:
    [entry] = spool.glob("*.json")
    loaded: dict[str, Any] = json.loads(entry.read_text())
    return loaded


@pytest.mark.parametrize("flag", ["--run-dir", "--artifacts-dir"])
def test_assert_run_dir_and_its_older_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flag: str
) -> None:
    """Assert --run-dir, and --artifacts-dir as before, name the run directory whose
    execution.json gives the job (ResultsDB unreachable: the spooled report shows it)."""
    monkeypatch.chdir(tmp_path)
    rundir = tmp_path / "runs" / "u-7"
    rundir.mkdir(parents=True)
    (rundir / "execution.json").write_text(
        json.dumps({"uuid": "u-7", "testcase": "dist.demo", "item": "x-1-1", "item_type": "t"})
    )
    Path("results.tap").write_text("TAP version 13\n1..0\n")
    args = ["report", "results.tap", "--resultsdb", "http://127.0.0.1:1", "--attempts", "1"]
    result = CliRunner().invoke(main, [*args, flag, str(rundir), "--spool", "spool"])
    assert result.exit_code == 75, result.output
    spooled = _spooled(tmp_path / "spool")
    assert spooled["group"] == "u-7"
    [body] = spooled["bodies"]
    assert body["testcase"]["name"] == "dist.demo"
    assert body["groups"][0]["description"] == "dist.demo x-1-1"


@pytest.mark.parametrize("flag", ["--testcase", "--taskname"])
def test_assert_testcase_and_its_older_name_fill_in_a_missing_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flag: str
) -> None:
    """Assert --testcase, and the deprecated --taskname as before, give the job's testcase
    when the run left no execution.json: the CRASHED result for its missing results."""
    monkeypatch.chdir(tmp_path)
    args = ["report", "missing.tap", "--resultsdb", "http://127.0.0.1:1", "--attempts", "1"]
    args += ["--uuid", "u-8", "-i", "x-1-1", "-t", "koji_build", "--spool", "spool"]
    result = CliRunner().invoke(main, [*args, flag, "dist.demo"])
    assert result.exit_code == 75, result.output
    assert ("deprecated" in result.output) == (flag == "--taskname")
    [body] = _spooled(tmp_path / "spool")["bodies"]
    assert (body["testcase"]["name"], body["outcome"]) == ("dist.demo", "CRASHED")
