"""Symlinks a check plants in its run's folder, through a real Buildbot master and worker: the
upload never puts on the master a link that leaves the run, nor a copy of a file outside it,
and its log names every link dropped (``tests/fixtures/checks/symlinks``)."""

from __future__ import annotations

import os
import uuid as uuid_module
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from buildbot_stack import BuildbotStack
from rdb_server import ResultsDBServer, start_server, stop_server

SUCCESS = 0
PASSWD_LINE = Path("/etc/passwd").read_text().splitlines()[0]  # "root:x:0:0:..."


@pytest.fixture(scope="module")
def rdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ResultsDBServer]:
    folder = tmp_path_factory.mktemp("symlinks-rdb")
    proc, server = start_server(f"sqlite:///{folder / 'r.sqlite'}", folder / "log", workers=1)
    yield server
    stop_server(proc)


@pytest.fixture(scope="module")
def stack(
    rdb: ResultsDBServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BuildbotStack]:
    folder = tmp_path_factory.mktemp("symlinks-buildbot")
    (folder / "artifacts").mkdir()
    stack = BuildbotStack(folder, resultsdb_url=rdb.root, arches=["noarch"])
    try:
        yield stack.start()
    finally:
        stack.stop()


def step_log(stack: BuildbotStack, buildid: int, name: str) -> str:
    [step] = [s for s in stack.get(f"builds/{buildid}/steps")["steps"] if s["name"] == name]
    response = requests.get(
        f"{stack.url}api/v2/steps/{step['stepid']}/logs/stdio/raw_inline", timeout=10
    )
    response.raise_for_status()
    return response.text


def test_assert_planted_symlinks_never_reach_the_master(stack: BuildbotStack) -> None:
    uuid = str(uuid_module.uuid4())
    props = {"item": "x-1-1.fc41", "item_type": "koji_build", "taskname": "symlinks",
             "arch": "noarch", "uuid": uuid}  # fmt: skip
    build = stack.wait_build(stack.force_ok(**props))
    steps = stack.steps(build["buildid"])
    log = step_log(stack, build["buildid"], "upload artifacts")
    assert steps["runtask"]["results"] == SUCCESS, stack.log(build["buildid"], "runtask")
    assert steps["upload artifacts"]["results"] == SUCCESS, log
    assert build["results"] == SUCCESS

    run = stack.artifacts_dir / uuid
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
