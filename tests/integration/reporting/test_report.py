"""``checkline report`` against a real ResultsDB server: what lands, with which links."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import Artifacts
from rdb_server import Client, start_server, stop_server

from checkline.reporting.report import Target, report_results
from checkline.reporting.tap import format_tap

UUID = "3f6c5a5e-1b2f-4c1e-9a8d-0c0ffee00001"


def checkline(script: Path, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(script / "checkline"), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


def results_of(rdb: Client, **params: Any) -> list[dict[str, Any]]:
    response = rdb.get("/results", {"limit": 10000, **params})
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def plain(result: dict[str, Any]) -> dict[str, Any]:
    """The parts of a stored result a report decides, without its key."""
    data = {k: v for k, v in result["data"].items() if k != "checkline.report_key"}
    return {
        "testcase": result["testcase"]["name"],
        "outcome": result["outcome"],
        "note": result["note"],
        "data": data,
    }


def test_assert_run_then_report_links_the_artifact(
    rdb: Client, artifacts: Artifacts, script: Path, checks_dir: Path
) -> None:
    run = checkline(
        script, "run", checks_dir / "nvr-sanity", "-i", "xchat-0.5-1.fc20", "-t", "koji_build",
        "-a", "x86_64", "--uuid", UUID, "--artifacts", artifacts.root,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    rundir = artifacts.root / UUID
    job_url = "http://buildbot.example/#/builders/2/builds/9"
    report = checkline(
        script, "report", rundir / "results.tap", "--resultsdb", rdb.root,
        "--artifacts-url", artifacts.url, "--job-url", job_url,
    )  # fmt: skip
    assert report.returncode == 0, report.stderr
    assert f"job {UUID}: 1 result(s); 1 posted" in report.stdout

    [result] = results_of(rdb, groups=UUID)
    assert plain(result) == {
        "testcase": "dist.nvr-sanity",
        "outcome": "PASSED",
        "note": "well formed",
        "data": {
            "item": ["xchat-0.5-1.fc20"],
            "type": ["koji_build"],
            "arch": ["x86_64"],
            "artifact": ["task_output/nvr-sanity.log"],
        },
    }
    assert result["ref_url"] == f"{artifacts.url}/{UUID}/task_output/nvr-sanity.log"
    log = requests.get(result["ref_url"], timeout=10)
    assert log.status_code == 200
    assert "PASS name: 'xchat'" in log.text
    group = rdb.get(f"/groups/{UUID}").json()
    assert (group["ref_url"], group["description"]) == (
        job_url,
        "dist.nvr-sanity xchat-0.5-1.fc20",
    )

    again = checkline(script, "report", rundir / "results.tap", "--resultsdb", rdb.api)
    assert again.returncode == 0, again.stderr
    assert "0 posted, 1 already in ResultsDB" in again.stdout
    assert len(results_of(rdb, groups=UUID)) == 1


NAMING_FORMULA = """\
name: python-versions
namespace: dist
actions:
  - name: record
    resultsdb:
      results:
        - {item: "${koji_build}", type: koji_build, outcome: PASSED, checkname: two_three}
        - {item: "${koji_build}", type: koji_build, outcome: PASSED,
           checkname: python-versions.two_three}
        - {item: "${koji_build}", type: koji_build, outcome: PASSED,
           checkname: dist.python-versions.naming_scheme}
        - {item: "${koji_build}", type: koji_build, outcome: FAILED}
"""


def test_assert_testcases_are_named_as_libtaskotron_named_them(
    rdb: Client, tmp_path: Path, script: Path
) -> None:
    """Assert `checkline run` then `checkline report` posts each verdict under libtaskotron's
    testcase: every checkname in the formula's namespace, dotted ones too, one already in it
    left alone, none at all the formula's own."""
    (tmp_path / "check").mkdir()
    (tmp_path / "check" / "runtask.yml").write_text(NAMING_FORMULA)
    run = checkline(
        script, "run", tmp_path / "check", "-i", "foo-1-1.fc40", "-t", "koji_build",
        "--uuid", UUID, "--artifacts", tmp_path / "artifacts",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    rundir = tmp_path / "artifacts" / UUID
    report = checkline(script, "report", rundir / "results.tap", "--resultsdb", rdb.root)
    assert report.returncode == 0, report.stderr
    stored = results_of(rdb, groups=UUID, _sort="asc:submit_time")
    assert [r["testcase"]["name"] for r in stored] == [
        "dist.two_three",
        "dist.python-versions.two_three",
        "dist.python-versions.naming_scheme",
        "dist.python-versions",
    ]


SILENT_FORMULAS = {
    "no-resultsdb-action": (
        "name: silent\nnamespace: dist\nactions:\n  - shell: [[echo, checked]]\n",
        "the check recorded no result: the formula has no resultsdb action to record one",
    ),
    "check-returns-none": (
        "name: silent\nnamespace: dist\nactions:\n"
        "  - python: {file: check.py, callable: run}\n    export: out\n"
        '  - resultsdb: {results: "${out}"}\n',
        "the check recorded no result: its resultsdb action got no verdict"
        " (did the check return nothing?)",
    ),
}


@pytest.mark.parametrize("case", sorted(SILENT_FORMULAS))
@pytest.mark.parametrize("how", ["report", "run --resultsdb"])
def test_assert_a_run_without_result_is_reported_needs_inspection(
    rdb: Client, artifacts: Artifacts, tmp_path: Path, script: Path, case: str, how: str
) -> None:
    """Assert a run that recorded no result (no resultsdb action; a check returning None) is
    reported, by `checkline report` and by `checkline run --resultsdb` alike, as one
    NEEDS_INSPECTION result for the formula's testcase saying no result was recorded: never
    nothing, never a pass."""
    formula, note = SILENT_FORMULAS[case]
    (tmp_path / "check").mkdir()
    (tmp_path / "check" / "runtask.yml").write_text(formula)
    (tmp_path / "check" / "check.py").write_text("def run():\n    print('no verdict')\n")
    reporting = ["--resultsdb", rdb.root, "--artifacts-url", artifacts.url]
    run = checkline(
        script, "run", tmp_path / "check", "-i", "foo-1-1.fc40", "-t", "koji_build",
        "--uuid", UUID, "--artifacts", artifacts.root,
        *(reporting if how == "run --resultsdb" else []),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    if how == "report":
        report = checkline(script, "report", artifacts.root / UUID / "results.tap", *reporting)
        assert report.returncode == 0, report.stderr
        assert f"no result: {note} (reported as NEEDS_INSPECTION)" in report.stderr
    [result] = results_of(rdb, groups=UUID)
    assert plain(result) == {
        "testcase": "dist.silent",
        "outcome": "NEEDS_INSPECTION",
        "note": note,
        "data": {"item": ["foo-1-1.fc40"], "type": ["koji_build"], "arch": ["noarch"]},
    }
    assert result["ref_url"] == f"{artifacts.url}/{UUID}/runner.log"


def test_assert_results_without_verdict_are_no_result(
    rdb: Client, tmp_path: Path, script: Path
) -> None:
    """Assert a results file that reads well but holds no verdict, given alone (no run
    directory), is reported as no result: NEEDS_INSPECTION, not CRASHED as malformed."""
    (tmp_path / "results.yml").write_text("results: []\n")
    report = checkline(
        script, "report", tmp_path / "results.yml", "--resultsdb", rdb.root, "--uuid", UUID,
        "--testcase", "dist.silent", "-i", "foo-1-1", "-t", "koji_build",
    )  # fmt: skip
    assert report.returncode == 0, report.stderr
    [result] = results_of(rdb, groups=UUID)
    assert (result["testcase"]["name"], result["outcome"], result["note"]) == (
        "dist.silent",
        "NEEDS_INSPECTION",
        "the check recorded no result: results.yml holds no verdict",
    )


def test_assert_every_outcome_unicode_and_multiline(
    rdb: Client, fixtures_dir: Path, script: Path
) -> None:
    report = checkline(
        script, "report", fixtures_dir / "tap" / "every-outcome.tap", "--resultsdb", rdb.root,
        "--uuid", UUID, "--testcase", "dist.rpmlint",
    )  # fmt: skip
    assert report.returncode == 0, report.stderr
    stored = [plain(r) for r in results_of(rdb, groups=UUID, _sort="asc:submit_time")]
    assert [(r["testcase"], r["outcome"]) for r in stored] == [
        ("dist.rpmlint", "PASSED"),
        ("dist.rpmlint", "INFO"),
        ("dist.rpmlint", "FAILED"),
        ("dist.rpmlint", "NEEDS_INSPECTION"),
        ("dist.rpmlint", "ABORTED"),
        ("dist.rpmlint", "CRASHED"),
        ("dist.unicode", "PASSED"),
    ]
    assert stored[-1]["note"] == "žluťoučký kůň ✓ 日本語"
    assert stored[-1]["data"] == {
        "item": ["pýthon-ünïcode-1.0-1.fc41"],
        "type": ["koji_build"],
        "tags": ["\u03b1", "\u03b2"],
        "count": ["3"],
    }


def test_assert_skip_todo_and_blank_lines(rdb: Client, fixtures_dir: Path, script: Path) -> None:
    report = checkline(
        script, "report", fixtures_dir / "tap" / "skip-todo.tap", "--resultsdb", rdb.root,
        "--uuid", UUID, "--testcase", "dist.checks",
    )  # fmt: skip
    assert report.returncode == 0, report.stderr
    stored = [plain(r) for r in results_of(rdb, groups=UUID, _sort="asc:submit_time")]
    assert [(r["testcase"], r["outcome"], r["note"]) for r in stored] == [
        ("dist.depcheck", "INFO", ""),
        ("dist.abicheck", "INFO", ""),
        ("dist.upgradepath", "FAILED", "first line\n\nthird line\n"),
    ]


def test_assert_malformed_tap_gives_crashed_plus_the_good(
    rdb: Client, fixtures_dir: Path, script: Path
) -> None:
    report = checkline(
        script, "report", fixtures_dir / "tap" / "malformed.tap", "--resultsdb", rdb.root,
        "--uuid", UUID, "--testcase", "dist.checks", "-i", "xchat-0.5-1.fc20", "-t", "koji_build",
    )  # fmt: skip
    assert report.returncode == 0, report.stderr
    assert "malformed results: test 2: YAML block does not parse" in report.stderr
    stored = [plain(r) for r in results_of(rdb, groups=UUID, _sort="asc:submit_time")]
    assert [(r["testcase"], r["outcome"]) for r in stored] == [
        ("dist.good", "PASSED"),
        ("dist.checks", "CRASHED"),
    ]
    note = stored[1]["note"]
    assert note.startswith("malformed.tap is malformed (3 problem(s)): test 2: YAML block")
    assert "test 3: 'item' is required" in note
    assert "Bail out!: the check died" in note
    assert stored[1]["data"] == {"item": ["xchat-0.5-1.fc20"], "type": ["koji_build"]}


@pytest.mark.parametrize(
    ("content", "expected_note"),
    [
        (None, "does not exist (the run wrote no results)"),
        ("", "results.tap: is empty: the run recorded no results"),
        ("TAP version 12\n1..1\nok 1\n", "TAP version"),
    ],
)
def test_assert_never_silently_nothing(
    rdb: Client, tmp_path: Path, script: Path, content: str | None, expected_note: str
) -> None:
    results = tmp_path / "results.tap"
    if content is not None:
        results.write_text(content)
    report = checkline(
        script, "report", results, "--resultsdb", rdb.root, "--uuid", UUID,
        "--testcase", "dist.dummy", "-i", "foo-1-1", "-t", "koji_build",
    )  # fmt: skip
    assert report.returncode == 0, report.stderr
    [result] = results_of(rdb, groups=UUID)
    assert result["outcome"] == "CRASHED"
    assert expected_note in result["note"]


def test_assert_refused_artifact_is_reported_and_main_log_linked(
    rdb: Client, artifacts: Artifacts, script: Path
) -> None:
    rundir = artifacts.root / UUID
    rundir.mkdir()
    (rundir / "runner.log").write_text("the run\n")
    (artifacts.root / "secret.txt").write_text("other job\n")
    verdict = {"item": "foo-1-1", "type": "koji_build", "outcome": "PASSED", "checkname": "x"}
    (rundir / "results.tap").write_text(format_tap([{**verdict, "artifact": "../secret.txt"}]))
    report = checkline(
        script, "report", rundir / "results.tap", "--resultsdb", rdb.root, "--uuid", UUID,
        "--artifacts-dir", rundir, "--artifacts-url", artifacts.url,
    )  # fmt: skip
    assert report.returncode == 0, report.stderr
    assert "refused artifact: x: artifact '../secret.txt' resolves to" in report.stderr
    [result] = results_of(rdb, groups=UUID)
    assert result["ref_url"] == f"{artifacts.url}/{UUID}/runner.log"


def test_assert_queued_running_then_final_is_latest(
    rdb: Client, tmp_path: Path, script: Path
) -> None:
    common = ["--resultsdb", rdb.root, "--uuid", UUID, "--testcase", "dist.rpmlint",
              "-i", "foo-1-1", "-t", "koji_build", "-a", "x86_64"]  # fmt: skip
    for flag in ("--queued", "--running", "--queued"):  # the second QUEUED is the same one
        status = checkline(script, "report", flag, *common)
        assert status.returncode == 0, status.stderr
    latest = rdb.get("/results/latest", {"item": "foo-1-1", "testcases": "dist.rpmlint"}).json()
    assert [r["outcome"] for r in latest["data"]] == ["RUNNING"]
    verdict = {"item": "foo-1-1", "type": "koji_build", "outcome": "FAILED", "checkname": "rpmlint"}
    (tmp_path / "results.tap").write_text(format_tap([verdict]))
    final = checkline(script, "report", tmp_path / "results.tap", *common)
    assert final.returncode == 0, final.stderr
    latest = rdb.get("/results/latest", {"item": "foo-1-1", "testcases": "dist.rpmlint"}).json()
    assert [r["outcome"] for r in latest["data"]] == ["FAILED"]
    history = results_of(rdb, groups=UUID, _sort="asc:submit_time")
    assert [r["outcome"] for r in history] == ["QUEUED", "RUNNING", "FAILED"]


def test_assert_ten_thousand_results(rdb: Client, tmp_path: Path) -> None:
    verdicts = [
        {"item": f"pkg-{i}-1.fc41", "type": "koji_build", "outcome": "PASSED", "checkname": "bulk"}
        for i in range(10_000)
    ]
    (tmp_path / "results.tap").write_text(format_tap(verdicts))
    summary = report_results(
        tmp_path / "results.tap", Target(rdb.root, spool=tmp_path / "spool"), uuid=UUID
    )
    assert (summary.results, summary.posted, summary.already) == (10_000, 10_000, 0)
    group = rdb.get(f"/groups/{UUID}").json()
    assert group["results_count"] == 10_000
    items = {r["data"]["item"][0] for r in results_of(rdb, groups=UUID)}
    assert len(items) == 10_000


def test_assert_write_token(tmp_path: Path, script: Path) -> None:
    env = {**os.environ, "CHECKLINE_RESULTSDB_WRITE_TOKEN": "s3cret"}
    proc, server = start_server(f"sqlite:///{tmp_path / 'token.sqlite'}", tmp_path / "log", env=env)
    try:
        verdict = {"item": "foo-1-1", "type": "koji_build", "outcome": "PASSED"}
        (tmp_path / "results.tap").write_text(format_tap([verdict]))
        args = ["report", tmp_path / "results.tap", "--resultsdb", server.root, "--uuid", UUID]
        refused = checkline(script, *args)
        assert refused.returncode == 65
        assert "ERROR ResultsDB refused the results" in refused.stderr
        assert "HTTP 401" in refused.stderr and "write token" in refused.stderr
        token = {**os.environ, "CHECKLINE_RESULTSDB_TOKEN": "s3cret"}
        allowed = checkline(script, *args, env=token)
        assert allowed.returncode == 0, allowed.stderr
        assert len(Client(server).get("/results").json()["data"]) == 1
    finally:
        stop_server(proc)


def test_assert_postgresql_round_trip(
    postgres_database: str, rdb_factory: Any, fixtures_dir: Path, script: Path
) -> None:
    _proc, server = rdb_factory(postgres_database)
    tap = fixtures_dir / "tap" / "every-outcome.tap"
    args = ["report", tap, "--resultsdb", server.root, "--uuid", UUID, "--testcase", "dist.rpmlint"]
    assert checkline(script, *args).returncode == 0
    assert checkline(script, *args).returncode == 0  # idempotent on PostgreSQL too
    stored = Client(server).get("/results", {"groups": UUID}).json()["data"]
    assert len(stored) == 7
    assert [r["note"] for r in stored].count("žluťoučký kůň ✓ 日本語") == 1


def test_assert_run_reports_through_the_same_path(
    rdb: Client, artifacts: Artifacts, script: Path, checks_dir: Path
) -> None:
    run = checkline(
        script, "run", checks_dir / "dummy", "-i", "foo;touch /tmp/x-1-1", "-t", "koji_build",
        "--uuid", UUID, "--artifacts", artifacts.root, "--resultsdb", rdb.root,
        "--artifacts-url", artifacts.url,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert f"report:    1 result(s) posted to {rdb.root}, 0 already there" in run.stdout
    [result] = results_of(rdb, groups=UUID)
    assert result["data"]["item"] == ["foo;touch /tmp/x-1-1"]
    assert result["testcase"]["name"] == "scratch.dummy"
    assert requests.get(result["ref_url"], timeout=10).status_code == 200
    # Buildbot's report step after a run that reported itself: nothing twice.
    again = checkline(
        script, "report", artifacts.root / UUID / "results.tap", "--resultsdb", rdb.root
    )
    assert "0 posted, 1 already in ResultsDB" in again.stdout


def test_assert_taskotron_resultyaml_reports_unchanged(
    rdb: Client, tmp_path: Path, script: Path
) -> None:
    (tmp_path / "taskotron.yml").write_text(
        "results:\n"
        "  - item: xchat-0.5-1.fc20\n"
        "    type: koji_build\n"
        "    checkname: rpmlint\n"
        "    outcome: FAILED\n"
        "    note: 3 errors, 0 warnings\n"
        "    arch: x86_64\n"
    )
    report = checkline(
        script, "report", tmp_path / "taskotron.yml", "--resultsdb", rdb.root, "--uuid", UUID,
        "--taskname", "dist.rpmlint",  # Taskotron's name for --testcase, still taken
    )  # fmt: skip
    assert report.returncode == 0, report.stderr
    assert "The option 'taskname' is deprecated. Use --testcase." in report.stderr
    [result] = results_of(rdb, groups=UUID)
    assert plain(result) == {
        "testcase": "dist.rpmlint",
        "outcome": "FAILED",
        "note": "3 errors, 0 warnings",
        "data": {"item": ["xchat-0.5-1.fc20"], "type": ["koji_build"], "arch": ["x86_64"]},
    }
