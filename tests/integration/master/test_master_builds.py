"""The repo's master.cfg in a real Buildbot master and worker, reporting to a real ResultsDB.

Builds are forced through the ForceScheduler's JSON-RPC (what the trigger's buildbot backend
does); each test then reads the build from Buildbot's REST API, the results from ResultsDB and
the logs over HTTP from the artifacts server.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
import uuid as uuid_module
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from buildbot_stack import BuildbotStack
from rdb_server import ResultsDBServer

SUCCESS, FAILURE, EXCEPTION, CANCELLED = 0, 2, 4, 6


@pytest.fixture(scope="module")
def stack(
    rdb: ResultsDBServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BuildbotStack]:
    folder = tmp_path_factory.mktemp("buildbot")
    (folder / "artifacts").mkdir()
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(folder / "artifacts")
    )
    artifacts = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=artifacts.serve_forever, daemon=True).start()
    stack = BuildbotStack(
        folder,
        resultsdb_url=rdb.root,
        artifacts_url=f"http://127.0.0.1:{artifacts.server_address[1]}",
        arches=["noarch", "x86_64", "aarch64"],
    )
    try:
        yield stack.start()
    finally:
        stack.stop()
        artifacts.shutdown()


def new_uuid() -> str:
    return str(uuid_module.uuid4())


def results(rdb: ResultsDBServer, group: str) -> list[dict[str, Any]]:
    response = requests.get(f"{rdb.api}/results", params={"groups": group}, timeout=10)
    return list(response.json()["data"])


def job(**overrides: str) -> dict[str, str]:
    return {
        "item": "xchat-0.5-1.fc20",
        "item_type": "koji_build",
        "taskname": "nvr-sanity",
        "arch": "x86_64",
        "uuid": new_uuid(),
        **overrides,
    }


def test_assert_passing_check_reported_with_links(
    stack: BuildbotStack, rdb: ResultsDBServer
) -> None:
    props = job()
    build = stack.wait_build(stack.force_ok(**props))
    assert build["results"] == SUCCESS, stack.log(build["buildid"], "runtask")
    [result] = results(rdb, props["uuid"])
    assert (result["testcase"]["name"], result["outcome"]) == ("dist.nvr-sanity", "PASSED")
    log = requests.get(result["ref_url"], timeout=10)
    assert log.status_code == 200 and "PASS name: 'xchat'" in log.text
    group = requests.get(f"{rdb.api}/groups/{props['uuid']}", timeout=10).json()
    assert (
        group["ref_url"] == f"{stack.url}#/builders/{build['builderid']}/builds/{build['number']}"
    )
    assert (stack.artifacts_root / props["uuid"] / "execution.json").is_file()
    # The worker keeps no run once it is uploaded and reported.
    assert not (stack.worker_dir / "x86_64" / "runs" / props["uuid"]).exists()
    runtask_log = stack.log(build["buildid"], "runtask")
    assert "CHECKLINE_MASTER_CONFIG" not in runtask_log  # no environment in logs


def test_assert_shell_metacharacters_stay_data(
    stack: BuildbotStack, rdb: ResultsDBServer, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    item = f"foo$(touch {marker});`touch {marker}`|x'\"-1-1.fc41"
    props = job(item=item, taskname="dummy", arch="noarch")
    build = stack.wait_build(stack.force_ok(**props))
    assert build["results"] == SUCCESS, stack.log(build["buildid"], "runtask")
    [result] = results(rdb, props["uuid"])
    assert result["data"]["item"] == [item]
    assert not marker.exists()


def test_assert_one_builder_per_arch_each_result_its_arch(
    stack: BuildbotStack, rdb: ResultsDBServer
) -> None:
    jobs = [job(taskname="dummy", arch=arch) for arch in ("noarch", "x86_64", "aarch64")]
    requests_ = [stack.force_ok(**props) for props in jobs]
    builds = [stack.wait_build(brid) for brid in requests_]
    names = {b["builderid"]: b for b in stack.get("builders")["builders"]}
    assert [names[b["builderid"]]["name"] for b in builds] == ["noarch", "x86_64", "aarch64"]
    for props in jobs:
        [result] = results(rdb, props["uuid"])
        assert result["data"]["arch"] == [props["arch"]]


def test_assert_duplicate_uuid_refused_and_recorded(
    stack: BuildbotStack, rdb: ResultsDBServer
) -> None:
    props = job(taskname="dummy")
    first = stack.wait_build(stack.force_ok(**props))
    assert first["results"] == SUCCESS
    before = (stack.artifacts_root / props["uuid"] / "results.tap").read_text()
    second = stack.wait_build(stack.force_ok(**{**props, "item": "other-1-1.fc41"}))
    assert second["results"] == FAILURE
    assert second["state_string"] == "failed duplicate uuid: not run (failure)"
    detail = stack.get(f"builds/{second['buildid']}", property="duplicate_uuid")
    assert detail["builds"][0]["properties"]["duplicate_uuid"][0] is True
    steps = stack.steps(second["buildid"])
    assert "runtask" not in steps  # never started
    assert steps["upload artifacts"]["results"] == 3  # SKIPPED
    assert steps["report"]["results"] == 3
    assert (stack.artifacts_root / props["uuid"] / "results.tap").read_text() == before
    assert len(results(rdb, props["uuid"])) == 1


@pytest.mark.parametrize(
    "bad",
    [
        {"uuid": "../../escape"},
        {"taskname": "../dummy"},
        {"item": "evil\x00-1-1.fc42"},
        {"item": "evil-1-1.fc42\nFORGED line"},
    ],
)
def test_assert_bad_properties_run_nothing(stack: BuildbotStack, bad: dict[str, str]) -> None:
    """Assert a build whose properties make no job runs nothing and fails with the property
    job_refused (a job error, which the trigger records CRASHED, never FINISHED), and that the
    worker is not put in quarantine (as an EXCEPTION build would have it)."""
    props = job(**{"taskname": "dummy", **bad})
    build = stack.wait_build(stack.force_ok(**props))
    assert build["results"] == FAILURE, stack.log(build["buildid"], "runtask")[-1500:]
    assert build["state_string"] == "failed bad job properties (failure)"
    assert "quarantine" not in (stack.master_dir / "twistd.log").read_text()
    refused = stack.get(f"builds/{build['buildid']}", property="job_refused")
    assert "build properties:" in refused["builds"][0]["properties"]["job_refused"][0]
    steps = stack.steps(build["buildid"])
    assert "runtask" not in steps
    assert all(steps[name]["results"] == 3 for name in ("upload artifacts", "report", "cleanup"))
    assert not (stack.folder / "escape").exists()


def test_assert_failing_check_colours_build_failed(
    stack: BuildbotStack, rdb: ResultsDBServer
) -> None:
    props = job(taskname="failing")
    build = stack.wait_build(stack.force_ok(**props))
    assert build["results"] == FAILURE, stack.log(build["buildid"], "runtask")[-1500:]
    assert [r["outcome"] for r in results(rdb, props["uuid"])] == ["FAILED"]


def test_assert_execution_error_fails_the_build_and_is_crashed(
    stack: BuildbotStack, rdb: ResultsDBServer
) -> None:
    """Assert a run the runner could not finish (exit 2) fails the build, says "execution
    error" and keeps the exit code as the property runner_exit (the trigger's ledger: CRASHED);
    never EXCEPTION, which would put the worker in quarantine for 10 s, doubling to an hour."""
    props = job(taskname="crashing")
    build = stack.wait_build(stack.force_ok(**props))
    assert build["results"] == FAILURE
    assert build["state_string"] == "failed execution error (failure)"
    detail = stack.get(f"builds/{build['buildid']}", property="runner_exit")
    assert detail["builds"][0]["properties"]["runner_exit"][0] == 2
    assert "quarantine" not in (stack.master_dir / "twistd.log").read_text()
    outcomes = sorted(r["outcome"] for r in results(rdb, props["uuid"]))
    assert outcomes == ["CRASHED", "CRASHED"]  # the recorded verdict, and the run's own


def test_assert_cancelled_build_reports_aborted(stack: BuildbotStack, rdb: ResultsDBServer) -> None:
    props = job(taskname="sleeping")
    brid = stack.force_ok(**props)
    buildid = None
    for _ in range(300):
        builds = stack.get(f"buildrequests/{brid}/builds")["builds"]
        if builds:
            buildid = builds[0]["buildid"]
            step = stack.steps(buildid).get("runtask")
            if step and step["started_at"] and (stack.worker_dir / "x86_64" / "runs").exists():
                break
        threading.Event().wait(0.1)
    assert buildid is not None
    threading.Event().wait(1.0)  # the runner is in its sleeping action
    stop = requests.post(
        f"{stack.url}api/v2/builds/{buildid}",
        json={"jsonrpc": "2.0", "method": "stop", "id": 1, "params": {"reason": "test"}},
        timeout=10,
    )
    assert stop.status_code == 200, stop.text
    build = stack.wait_build(brid)
    assert build["results"] == CANCELLED
    outcomes = sorted(r["outcome"] for r in results(rdb, props["uuid"]))
    assert outcomes == ["ABORTED", "ABORTED"]


def test_assert_login_without_users_is_a_clear_404(stack: BuildbotStack) -> None:
    """Assert /auth/login on a master with no users answers 404 saying so, no 500, and no
    traceback in twistd.log (Buildbot's NoAuth raises inside the resource lookup)."""
    for auth in (None, ("someone", "anything")):
        response = requests.get(f"{stack.url}auth/login", auth=auth, timeout=10)
        assert response.status_code == 404, response.text
        assert "no users" in response.text
    assert "not implemented" not in (stack.master_dir / "twistd.log").read_text()


#: The first line of this machine's /etc/passwd: never in an uploaded file.
PASSWD_LINE = Path("/etc/passwd").read_text().splitlines()[0]


def step_log(stack: BuildbotStack, buildid: int, name: str) -> str:
    [step] = [s for s in stack.get(f"builds/{buildid}/steps")["steps"] if s["name"] == name]
    response = requests.get(
        f"{stack.url}api/v2/steps/{step['stepid']}/logs/stdio/raw_inline", timeout=10
    )
    response.raise_for_status()
    return response.text


def test_assert_planted_symlinks_never_reach_the_master(stack: BuildbotStack) -> None:
    """Assert a check's symlinks (tests/fixtures/checks/symlinks) never put on the master a
    link that leaves the run, nor a copy of a file outside it; the upload's log names every
    link dropped."""
    uuid = new_uuid()
    props = {"item": "x-1-1.fc41", "item_type": "koji_build", "taskname": "symlinks",
             "arch": "noarch", "uuid": uuid}  # fmt: skip
    build = stack.wait_build(stack.force_ok(**props))
    steps = stack.steps(build["buildid"])
    log = step_log(stack, build["buildid"], "upload artifacts")
    assert steps["runtask"]["results"] == SUCCESS, stack.log(build["buildid"], "runtask")
    assert steps["upload artifacts"]["results"] == SUCCESS, log
    assert build["results"] == SUCCESS

    run = stack.artifacts_root / uuid
    real_run = os.path.realpath(run)
    assert (run / "results.tap").is_file() and (run / "task_output" / "report.txt").is_file()
    for folder, dirs, files in os.walk(run):
        for name in dirs + files:
            path = os.path.join(folder, name)
            real = os.path.realpath(path)
            assert real == real_run or real.startswith(real_run + os.sep), (path, real)
            if os.path.isfile(path) and not os.path.islink(path):
                assert PASSWD_LINE not in Path(path).read_text(errors="replace"), path
    output = run / "task_output"
    for gone in ("passwd", "etc", "up", "other-runs", "via-passwd"):
        assert not os.path.lexists(output / gone), gone
        assert f"dropped symlink 'task_output/{gone}'" in log, (gone, log)
    assert "'/etc/passwd'" in log and "'../../..'" in log
    # A link that stays in the run and points down is kept, as a link.
    assert os.readlink(output / "latest.txt") == "report.txt"
    # One that stays in the run but climbs (``..``) is dropped too: only links down are kept.
    assert not os.path.lexists(output / "runner-log")
    assert "dropped symlink 'task_output/runner-log' -> '../runner.log'" in log
    # The worker's run folder is removed once uploaded, as for any run.
    assert not (stack.worker_dir / "noarch" / "runs" / uuid).exists()
