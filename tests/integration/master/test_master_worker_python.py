"""A worker's ``python`` setting, through a real Buildbot master and worker: the builds it runs
pass ``--python`` to the runner, whose check code then runs under that interpreter.

The check is ``tests/fixtures/checks/libtaskotron-api`` (``from libtaskotron import check``),
whose overall result carries the check's ``sys.executable`` as the keyval ``interpreter``; the
worker's setting names the runner's own interpreter, which is not the default one.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from buildbot_stack import BuildbotStack
from rdb_server import ResultsDBServer

SUCCESS = 0


@pytest.fixture(scope="module")
def stack(
    rdb: ResultsDBServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BuildbotStack]:
    worker = {"name": "w1", "password": "w1-pass", "arches": ["noarch"], "python": sys.executable}
    stack = BuildbotStack(
        tmp_path_factory.mktemp("worker-python"),
        resultsdb_url=rdb.root,
        arches=["noarch"],
        extra={"workers": [worker]},
    )
    try:
        yield stack.start()
    finally:
        stack.stop()


def results(rdb: ResultsDBServer, group: str) -> list[dict[str, Any]]:
    response = requests.get(f"{rdb.api}/results", params={"groups": group}, timeout=10)
    return list(response.json()["data"])


def test_assert_the_workers_python_runs_its_check_code(
    stack: BuildbotStack, rdb: ResultsDBServer
) -> None:
    """Assert the runtask step passes the worker's python, the check code runs under it, and
    the task's libtaskotron results reach ResultsDB."""
    job = {
        "item": "python-foo-1.0-1.fc40",
        "item_type": "koji_build",
        "taskname": "libtaskotron-api",
        "arch": "noarch",
        "uuid": str(uuid.uuid4()),
    }
    build = stack.wait_build(stack.force_ok(**job))
    runtask_log = stack.log(build["buildid"], "runtask")
    assert build["results"] == SUCCESS, runtask_log
    assert f"--python={sys.executable}" in runtask_log
    action_log = stack.artifacts_root / job["uuid"] / "actions" / "00-run-task.log"
    assert action_log.read_text().startswith(f"[check code runs under {sys.executable}: --python]")
    found = {r["testcase"]["name"]: r for r in results(rdb, job["uuid"])}
    assert {name: r["outcome"] for name, r in found.items()} == {
        "dist.taskotron-api.two_three": "FAILED",
        "dist.taskotron-api.naming_scheme": "INFO",
        "dist.taskotron-api": "FAILED",
    }
    assert found["dist.taskotron-api"]["data"]["interpreter"] == [sys.executable]
