"""From a bus message to a browsable result, through every real part.

RabbitMQ -> trigger (ledger, buildbot backend) -> Buildbot master and worker -> runner ->
reporting -> ResultsDB, with the artifacts served over HTTP.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import requests
from conftest import BIN, Pipeline, wait_until

from checkline.stack.parts import alive


def nvr(prefix: str = "pipe") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}-1.0-1.fc40"


def test_assert_koji_build_message_to_browsable_result(pipeline: Pipeline) -> None:
    item = nvr()
    pipeline.publish(item)
    [result] = pipeline.wait_results(item, 1)
    assert (result["testcase"]["name"], result["outcome"]) == ("scratch.dummy", "PASSED")
    assert result["data"]["arch"] == ["x86_64"] and result["data"]["type"] == ["koji_build"]
    log = requests.get(result["ref_url"], timeout=10)
    assert log.status_code == 200
    assert "recorded 1 verdict(s): dummy PASSED" in log.text  # the task's own log
    [group_uuid] = result["groups"]
    group = requests.get(f"{pipeline.resultsdb}/api/v2.0/groups/{group_uuid}", timeout=10).json()
    assert group["ref_url"].startswith(f"{pipeline.buildbot}#/builders/")
    builder, number = group["ref_url"].split("#/builders/")[1].split("/builds/")
    build = requests.get(
        f"{pipeline.buildbot}api/v2/builders/{builder}/builds/{number}",
        params={"property": "uuid"},
        timeout=10,
    ).json()["builds"][0]
    assert build["properties"]["uuid"][0] == group_uuid
    [job] = pipeline.wait_jobs(item, "FINISHED", 1)
    assert job["uuid"] == group_uuid
    assert job["info_url"].startswith(f"{pipeline.buildbot}#/buildrequests/")


def test_assert_shell_metacharacters_travel_as_data(pipeline: Pipeline) -> None:
    item = f"evil$(touch pwned1)`touch pwned2`;touch pwned3|x&'\"-{uuid.uuid4().hex[:6]}-1-1"
    pipeline.publish(item)
    [result] = pipeline.wait_results(item, 1)
    assert result["data"]["item"] == [item]
    assert result["outcome"] == "PASSED"
    assert not [p for p in pipeline.state.rglob("pwned*")]
    assert not [p for p in Path.cwd().glob("pwned*")]


def test_assert_three_arches_three_jobs_each_its_arch(pipeline: Pipeline) -> None:
    item = nvr("arch")
    pipeline.publish(item)
    results = pipeline.wait_results(item, 3)
    assert sorted(r["data"]["arch"][0] for r in results) == ["aarch64", "i686", "x86_64"]
    jobs = pipeline.wait_jobs(item, "FINISHED", 3)
    assert sorted(job["arch"] for job in jobs) == ["aarch64", "i686", "x86_64"]
    assert len({job["uuid"] for job in jobs}) == 3


def test_assert_master_down_jobs_wait_and_run_when_back(pipeline: Pipeline) -> None:
    master = Path(pipeline.parts["buildbot"]["master_dir"])
    subprocess.run([str(BIN / "buildbot"), "stop", str(master)], capture_output=True, timeout=120)
    items = [nvr(), nvr()]
    try:
        pipeline.publish(*items)
        wait_until(lambda: all(pipeline.jobs(item) for item in items), 60, "the jobs in the ledger")
        time.sleep(3)  # a few submission attempts fail meanwhile
        assert all(job["status"] != "FINISHED" for item in items for job in pipeline.jobs(item))
    finally:
        started = subprocess.run(
            [str(BIN / "buildbot"), "start", str(master)], capture_output=True, timeout=120,
            env={**os.environ, "CHECKLINE_MASTER_CONFIG": str(master.parent / "master.toml")},
        )  # fmt: skip
        assert started.returncode == 0, started.stdout
    for item in items:
        pipeline.wait_jobs(item, "FINISHED", 1, timeout=180)
        assert [r["outcome"] for r in pipeline.wait_results(item, 1)] == ["PASSED"]


def _worker_pid(pipeline: Pipeline, arch: str) -> int:
    folder = pipeline.state / "buildbot" / f"local-{arch}"
    return int((folder / "twistd.pid").read_text().strip())


def test_assert_worker_killed_mid_build_never_silently_passed(pipeline: Pipeline) -> None:
    from buildbot_stack import descendants

    item = nvr("slow")
    pipeline.publish(item)
    pipeline.wait_jobs(item, "RUNNING", 1, timeout=120)
    time.sleep(1.5)  # inside the check's 4 s
    pid = _worker_pid(pipeline, "x86_64")
    for victim in [pid, *descendants(pid)]:
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            pass
    folder = pipeline.state / "buildbot" / "local-x86_64"
    (folder / "twistd.pid").unlink(missing_ok=True)
    time.sleep(1)
    assert pipeline.results(item) == []  # nothing reported by the lost attempt
    subprocess.run(
        [str(BIN / "buildbot-worker"), "start", str(folder)], capture_output=True, timeout=60
    )
    [job] = pipeline.wait_jobs(item, "FINISHED", 1, timeout=180)
    results = pipeline.wait_results(item, 1)
    assert [r["outcome"] for r in results] == ["PASSED"]  # run again, to its end, once
    assert results[0]["groups"] == [job["uuid"]]


def test_assert_resultsdb_down_while_reporting_results_arrive(pipeline: Pipeline) -> None:
    item = nvr("slow")
    pipeline.publish(item)
    pipeline.wait_jobs(item, "RUNNING", 1, timeout=120)
    rdb_pid = int(pipeline.parts["resultsdb"]["pid"])
    os.killpg(rdb_pid, signal.SIGTERM)
    wait_until(lambda: not alive(rdb_pid), 30, "ResultsDB to stop")
    time.sleep(6)  # the check ends (4 s) and the report step meets a dead ResultsDB
    up = pipeline.checkline("stack", "up", "--state-dir", pipeline.state)
    assert "resultsdb  started" in up.stdout
    status = pipeline.checkline("stack", "status", "--state-dir", pipeline.state, "--json")
    pipeline.parts = json.loads(status.stdout)
    results = pipeline.wait_results(item, 1, timeout=120)
    assert [r["outcome"] for r in results] == ["PASSED"]


#: The files of a stack's state dir that hold a secret on purpose (each mode 600).
SECRET_HOLDERS = {"secrets.json", "master.toml", "trigger.toml", "buildbot.tac"}


def test_assert_no_secret_in_any_log_or_state_file(pipeline: Pipeline) -> None:
    """Assert, after the builds above, that no log, state file, build property, page or
    process argv of the stack holds a configured secret (worker passwords, ResultsDB's write
    token, the web user's password), and that nothing in the state dir is readable by others.

    Runs last in this module: after builds passed, failed, were retried and spooled.
    """
    state = pipeline.state
    secrets = list(json.loads((state / "secrets.json").read_text()).values())
    # the ResultsDB token, the web user's password, one password per worker (4 arches)
    assert len(secrets) == 6 and all(len(s) >= 16 for s in secrets)
    leaks, readable = [], []
    for path in [state, *state.rglob("*")]:
        if path.is_symlink():
            continue
        if path.stat().st_mode & 0o077:
            readable.append(f"{path}: {oct(path.stat().st_mode)}")
        if path.is_file() and path.name not in SECRET_HOLDERS:
            data = path.read_bytes()
            leaks += [f"{path}: secret {n}" for n, s in enumerate(secrets) if s.encode() in data]
    assert not leaks
    assert not readable
    buildbot = pipeline.buildbot
    pages = [f"{buildbot}api/v2/builds?property=*", f"{buildbot}api/v2/workers",
             f"{buildbot}config.js", f"{pipeline.resultsdb}/results",
             f"{pipeline.resultsdb}/api/v2.0/results?limit=100"]  # fmt: skip
    for page in pages:
        text = requests.get(page, timeout=10).text
        assert not [n for n, s in enumerate(secrets) if s in text], page
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes()
        except OSError:
            continue
        assert not [n for n, s in enumerate(secrets) if s.encode() in argv], cmdline
