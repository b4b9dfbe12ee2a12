"""The master's report step (``master.reports``) against a real, write-protected ResultsDB.

An uploaded run is reported with its log links and the build as its group's ``ref_url``, with
the token only the master holds; a run whose upload failed is reported CRASHED saying where
its artifacts stayed; with ResultsDB down the results are spooled and posted once, later.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid as uuid_module
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from buildbot.process.results import FAILURE, SUCCESS, WARNINGS
from rdb_server import ResultsDBServer, free_port, start_server, stop_server

from checkline.master import reports
from checkline.master.reports import flush_now, report_run
from checkline.master.settings import MasterSettings
from checkline.reporting.report import Target
from checkline.retry import RetryPolicy

REPO = Path(__file__).resolve().parents[3]
TOKEN = "only-the-master-knows"  # noqa: S105 - a test token
ITEM = "xchat-0.5-1.fc20"
JOB_URL = "http://buildbot.example/#/builders/1/builds/7"
ARTIFACTS_URL = "http://artifacts.example"


def serve(folder: Path, port: int | None = None) -> tuple[Any, ResultsDBServer]:
    env = {**os.environ, "CHECKLINE_RESULTSDB_WRITE_TOKEN": TOKEN}
    return start_server(
        f"sqlite:///{folder / 'r.sqlite'}", folder / "log", env=env, workers=1, port=port
    )


@pytest.fixture(scope="module")
def rdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ResultsDBServer]:
    proc, server = serve(tmp_path_factory.mktemp("reports-rdb"))
    yield server
    stop_server(proc)


def settings(tmp_path: Path, resultsdb: str, token: str = TOKEN) -> MasterSettings:
    return MasterSettings(
        resultsdb_url=resultsdb,
        resultsdb_token=token,
        artifacts_root=str(tmp_path / "artifacts"),
        artifacts_url=ARTIFACTS_URL,
        report_spool=str(tmp_path / "spool"),
    )


def job(uuid: str) -> dict[str, str]:
    return {"uuid": uuid, "taskname": "dummy", "item": ITEM, "item_type": "koji_build",
            "arch": "x86_64"}  # fmt: skip


def uploaded_run(config: MasterSettings) -> str:
    """A real run of the dummy check, in the master's artifacts folder as the upload leaves it."""
    uuid = str(uuid_module.uuid4())
    subprocess.run(
        [Path(sys.executable).parent / "checkline", "run", REPO / "checks" / "dummy",
         "-i", ITEM, "-t", "koji_build", "-a", "x86_64", "--uuid", uuid,
         "--artifacts", config.artifacts_root],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return uuid


def results(server: ResultsDBServer, group: str) -> list[dict[str, Any]]:
    answer = requests.get(f"{server.api}/results", params={"groups": group}, timeout=10)
    return list(answer.json()["data"])


def test_assert_uploaded_run_reported_once_with_links(rdb: ResultsDBServer, tmp_path: Path) -> None:
    config = settings(tmp_path, rdb.root)
    uuid = uploaded_run(config)
    done = report_run(config, job(uuid), JOB_URL, uploaded=True)
    assert (done.result, done.summary) == (SUCCESS, "1 result(s)"), done.log
    [result] = results(rdb, uuid)
    assert result["outcome"] == "PASSED"
    assert result["ref_url"].startswith(f"{ARTIFACTS_URL}/{uuid}/")
    group = requests.get(f"{rdb.api}/groups/{uuid}", timeout=10).json()
    assert group["ref_url"] == JOB_URL
    again = report_run(config, job(uuid), JOB_URL, uploaded=True)
    assert again.result == SUCCESS and "0 posted, 1 already in ResultsDB" in again.log
    assert len(results(rdb, uuid)) == 1


def test_assert_run_without_result_reported_needs_inspection_step_warns(
    rdb: ResultsDBServer, tmp_path: Path
) -> None:
    """Assert the report step posts a run that recorded no result as one NEEDS_INSPECTION
    result saying so, and ends WARNINGS, so neither ResultsDB nor the build looks green."""
    config = settings(tmp_path, rdb.root)
    check = tmp_path / "silent"
    check.mkdir()
    (check / "runtask.yml").write_text(
        "name: silent\nnamespace: dist\nactions:\n  - shell: [[echo, checked]]\n"
    )
    uuid = str(uuid_module.uuid4())
    subprocess.run(
        [Path(sys.executable).parent / "checkline", "run", check, "-i", ITEM, "-t",
         "koji_build", "-a", "x86_64", "--uuid", uuid, "--artifacts", config.artifacts_root],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    done = report_run(config, job(uuid), JOB_URL, uploaded=True)
    assert (done.result, done.summary) == (WARNINGS, "no result"), done.log
    note = "the check recorded no result: the formula has no resultsdb action to record one"
    assert f"no result: {note} (reported as NEEDS_INSPECTION)" in done.log
    [result] = results(rdb, uuid)
    assert (result["testcase"]["name"], result["outcome"], result["note"]) == (
        "dist.silent",
        "NEEDS_INSPECTION",
        note,
    )


def test_assert_wrong_token_refused_not_spooled(rdb: ResultsDBServer, tmp_path: Path) -> None:
    config = settings(tmp_path, rdb.root, token="not-the-token")  # noqa: S106
    uuid = uploaded_run(config)
    done = report_run(config, job(uuid), JOB_URL, uploaded=True)
    assert (done.result, done.summary) == (FAILURE, "refused"), done.log
    assert "401" in done.log
    assert results(rdb, uuid) == []
    assert not list((tmp_path / "spool").glob("*.json"))  # retrying cannot help


def test_assert_failed_upload_reported_crashed_saying_where(
    rdb: ResultsDBServer, tmp_path: Path
) -> None:
    config = settings(tmp_path, rdb.root)
    uuid = str(uuid_module.uuid4())  # nothing reached the master
    done = report_run(config, job(uuid), JOB_URL, uploaded=False)
    assert done.result == SUCCESS, done.log
    [result] = results(rdb, uuid)
    assert result["outcome"] == "CRASHED"
    assert f"runs/{uuid}" in result["note"] and "not uploaded" in result["note"]
    assert result["data"]["item"] == [ITEM]


def test_assert_resultsdb_down_spooled_then_flushed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reports, "REPORT_ATTEMPTS", 1)  # spool at once, no backoff
    port = free_port()
    config = settings(tmp_path, f"http://127.0.0.1:{port}")
    uuid = uploaded_run(config)
    done = report_run(config, job(uuid), JOB_URL, uploaded=True)
    assert (done.result, done.summary) == (WARNINGS, "spooled"), done.log
    assert len(list((tmp_path / "spool").glob("*.json"))) == 1
    target = Target(config.resultsdb_url, token=TOKEN, spool=tmp_path / "spool",
                    policy=RetryPolicy(attempts=2))  # fmt: skip
    proc, server = serve(tmp_path, port=port)
    try:
        said = flush_now(target)
        assert said.startswith("report spool: 1 report(s) flushed (1 posted), 0 left"), said
        assert flush_now(target) == ""  # nothing left: the timer's next round posts nothing
        [result] = results(server, uuid)
        assert result["outcome"] == "PASSED"
    finally:
        stop_server(proc)
