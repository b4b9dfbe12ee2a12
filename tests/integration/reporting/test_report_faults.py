"""Nothing lost, nothing twice: ResultsDB down, killed mid-report, answers lost after commit.

Each test ends by counting what the server holds: exactly the results reported, each once
(their keys are all distinct).
"""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from http_faults import AnswerDroppingProxy
from rdb_server import free_port, kill_server, start_server, stop_server

from checkline.reporting import deliver as deliver_module
from checkline.reporting.report import ReportSummary, Target, report_results
from checkline.reporting.tap import format_tap
from checkline.retry import RetryPolicy

UUID = "a2c4e6f8-0000-4000-8000-00000000fa17"


def write_tap(path: Path, count: int, prefix: str = "pkg") -> Path:
    verdicts = [
        {"item": f"{prefix}-{i}-1.fc41", "type": "koji_build", "outcome": "PASSED"}
        for i in range(count)
    ]
    path.write_text(format_tap(verdicts))
    return path


def checkline(script: Path, *args: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(script / "checkline"), *map(str, args)], capture_output=True, text=True, timeout=300
    )


def stored_keys(server_root: str, group: str) -> list[str]:
    """The report key of every result of ``group``, duplicates included."""
    response = requests.get(
        f"{server_root}/api/v2.0/results", params={"groups": group, "limit": 10000}, timeout=30
    )
    assert response.status_code == 200, response.text
    return [r["data"]["checkline.report_key"][0] for r in response.json()["data"]]


def results_count(server_root: str, group: str) -> int:
    response = requests.get(f"{server_root}/api/v2.0/groups/{group}", timeout=5)
    return int(response.json()["results_count"]) if response.status_code == 200 else 0


def test_assert_down_at_start_spooled_then_flushed(tmp_path: Path, script: Path) -> None:
    port, spool = free_port(), tmp_path / "spool"
    root = f"http://127.0.0.1:{port}"
    first = write_tap(tmp_path / "first.tap", 25, "first")
    report = checkline(
        script, "report", first, "--resultsdb", root, "--uuid", UUID, "--spool", spool,
        "--attempts", "2",
    )  # fmt: skip
    assert report.returncode == 75, report.stderr
    assert "results spooled to" in report.stderr
    assert len(list(spool.glob("*.json"))) == 1

    flush_early = checkline(script, "report", "--flush-spool", spool, "--attempts", "1")
    assert flush_early.returncode == 75  # still down: kept
    assert len(list(spool.glob("*.json"))) == 1

    proc, server = start_server(
        f"sqlite:///{tmp_path / 'rdb.sqlite'}", tmp_path / "server.log", port=port
    )
    try:
        flushed = checkline(script, "report", "--flush-spool", spool)
        assert flushed.returncode == 0, flushed.stderr
        assert "1 spooled report(s) flushed: 25 result(s) posted" in flushed.stdout
        assert not list(spool.glob("*.json"))
        again = checkline(script, "report", "--flush-spool", spool)
        assert "0 spooled report(s) flushed" in again.stdout
        keys = stored_keys(server.root, UUID)
        assert len(keys) == len(set(keys)) == 25
    finally:
        stop_server(proc)


def test_assert_a_later_report_flushes_the_spool(tmp_path: Path, script: Path) -> None:
    port, spool = free_port(), tmp_path / "spool"
    root = f"http://127.0.0.1:{port}"
    write_tap(tmp_path / "a.tap", 3, "a")
    spooled = checkline(
        script, "report", tmp_path / "a.tap", "--resultsdb", root, "--uuid", "job-a",
        "--spool", spool, "--attempts", "1",
    )  # fmt: skip
    assert spooled.returncode == 75
    proc, server = start_server(f"sqlite:///{tmp_path / 'r.sqlite'}", tmp_path / "log", port=port)
    try:
        write_tap(tmp_path / "b.tap", 2, "b")
        later = checkline(
            script, "report", tmp_path / "b.tap", "--resultsdb", root, "--uuid", "job-b",
            "--spool", spool,
        )  # fmt: skip
        assert later.returncode == 0, later.stderr
        assert "spool: 1 earlier report(s) flushed (3 posted)" in later.stdout
        assert len(stored_keys(server.root, "job-a")) == 3
        assert len(stored_keys(server.root, "job-b")) == 2
        assert not list(spool.glob("*.json"))
    finally:
        stop_server(proc)


def test_assert_killed_mid_report_no_loss_no_duplicate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # many chunks: time to kill in between
    monkeypatch.setattr(deliver_module, "CHUNK", 100)
    db, log = f"sqlite:///{tmp_path / 'rdb.sqlite'}", tmp_path / "server.log"
    proc, server = start_server(db, log)
    port = int(server.root.rsplit(":", 1)[1])
    tap = write_tap(tmp_path / "results.tap", 5000)
    target = Target(
        server.root, spool=tmp_path / "spool", policy=RetryPolicy(attempts=30, base=0.2, cap=1.0)
    )
    outcome: list[ReportSummary] = []
    worker = threading.Thread(target=lambda: outcome.append(report_results(tap, target, uuid=UUID)))
    worker.start()
    deadline = time.monotonic() + 60
    while results_count(server.root, UUID) < 500 and time.monotonic() < deadline:
        time.sleep(0.01)
    kill_server(proc)
    at_kill = len(stored_keys_offline(db))
    assert 0 < at_kill < 5000, "the kill must land mid-report"
    time.sleep(0.5)
    proc, server = start_server(db, log, port=port)
    try:
        worker.join(timeout=120)
        assert not worker.is_alive()
        [summary] = outcome
        assert summary.spooled is None, summary.error
        keys = stored_keys(server.root, UUID)
        assert len(keys) == len(set(keys)) == 5000
        assert summary.posted + summary.already == 5000
    finally:
        stop_server(proc)


def stored_keys_offline(db_url: str) -> list[str]:
    """The keys in the database itself (the server is dead)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT value FROM result_data WHERE key = 'checkline.report_key'")
            )
            return [row[0] for row in rows]
    finally:
        engine.dispose()


def test_assert_answers_lost_after_commit_no_duplicate(tmp_path: Path, script: Path) -> None:
    proc, server = start_server(f"sqlite:///{tmp_path / 'rdb.sqlite'}", tmp_path / "server.log")
    proxy = AnswerDroppingProxy(int(server.root.rsplit(":", 1)[1]))
    try:
        proxy.drop_posts = 3  # every bulk POST of this report commits, and its answer is lost
        tap = write_tap(tmp_path / "results.tap", 2500)
        report = checkline(script, "report", tap, "--resultsdb", proxy.url, "--uuid", UUID)
        assert report.returncode == 0, report.stderr
        assert proxy.dropped == 3
        assert "0 posted, 2500 already in ResultsDB" in report.stdout
        keys = stored_keys(server.root, UUID)
        assert len(keys) == len(set(keys)) == 2500
    finally:
        proxy.close()
        stop_server(proc)
