"""Buildbot faults: the worker lost mid-build, the master restarted with jobs queued.

Each ends with every job run to its end and reported once: never lost, never silently PASSED.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
import requests
from buildbot_stack import BuildbotStack
from rdb_server import ResultsDBServer, start_server, stop_server

SUCCESS, RETRY = 0, 5


@pytest.fixture
def rdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ResultsDBServer]:
    folder = tmp_path_factory.mktemp("faults-rdb")
    proc, server = start_server(f"sqlite:///{folder / 'r.sqlite'}", folder / "log")
    yield server
    stop_server(proc)


@pytest.fixture
def stack(
    rdb: ResultsDBServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BuildbotStack]:
    stack = BuildbotStack(tmp_path_factory.mktemp("bb-faults"), resultsdb_url=rdb.root)
    try:
        yield stack.start()
    finally:
        stack.stop()


def job() -> dict[str, str]:
    return {"item": "xchat-0.5-1.fc20", "item_type": "koji_build", "taskname": "slow",
            "arch": "x86_64", "uuid": str(uuid.uuid4())}  # fmt: skip


def outcomes(rdb: ResultsDBServer, group: str) -> list[str]:
    data = requests.get(f"{rdb.api}/results", params={"groups": group}, timeout=10).json()
    return [r["outcome"] for r in data["data"]]


def wait_running(stack: BuildbotStack, brid: int) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        builds = stack.get(f"buildrequests/{brid}/builds")["builds"]
        if builds:
            step = stack.steps(builds[0]["buildid"]).get("runtask")
            if step and step["started_at"]:
                return int(builds[0]["buildid"])
        time.sleep(0.1)
    raise TimeoutError("the build never reached runtask")


def test_assert_worker_lost_mid_build_is_retried_not_passed(
    stack: BuildbotStack, rdb: ResultsDBServer
) -> None:
    props = job()
    brid = stack.force_ok(**props)
    first = wait_running(stack, brid)
    time.sleep(1)
    stack.kill("worker")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if stack.get(f"builds/{first}")["builds"][0]["complete"]:
            break
        time.sleep(0.2)
    lost = stack.get(f"builds/{first}")["builds"][0]
    steps = {n: (s["results"], s["state_string"]) for n, s in stack.steps(first).items()}
    assert lost["results"] == RETRY, (lost, steps)
    assert outcomes(rdb, props["uuid"]) == [], steps  # the lost attempt reported nothing
    stack.start_worker()
    build = stack.wait_build(brid)
    assert build["buildid"] != first
    steps = {n: (s["results"], s["state_string"]) for n, s in stack.steps(build["buildid"]).items()}
    assert build["results"] == SUCCESS, steps
    assert outcomes(rdb, props["uuid"]) == ["PASSED"]  # the real run's, once


def test_assert_master_restart_keeps_queued_jobs(
    stack: BuildbotStack, rdb: ResultsDBServer
) -> None:
    stack.stop()  # no worker: requests queue up
    stack.start_master()
    jobs = [job() for _ in range(3)]
    requests_ = [stack.force_ok(**props) for props in jobs]
    stack.stop()  # the master goes down with three jobs queued
    stack.start_master()
    stack.start_worker()
    builds = [stack.wait_build(brid, timeout=180) for brid in requests_]
    assert [b["results"] for b in builds] == [SUCCESS] * 3
    for props in jobs:
        assert outcomes(rdb, props["uuid"]) == ["PASSED"]
