"""A real master whose ResultsDB is down, with a write token and web users: the report step
gives the worker back within seconds (the spool keeps the results), and no log, state file,
build property or page of the master holds a secret."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from buildbot_stack import BuildbotStack
from rdb_server import free_port

WARNINGS = 1
WORKER_PASSWORD = "w1-pass"  # noqa: S105 - BuildbotStack's worker
WEB_PASSWORD = "web-pass-5e8a1c"  # noqa: S105 - test secrets, each unlike any other text
TOKEN = "rdb-token-9f2b7d"  # noqa: S105
SECRETS = (WORKER_PASSWORD, WEB_PASSWORD, TOKEN)
#: The files meant to hold a secret: the settings and the worker's own ``buildbot.tac``.
HOLDERS = {"master.toml", "buildbot.tac"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuildbotStack]:
    folder: Path = tmp_path_factory.mktemp("buildbot-outage")
    stack = BuildbotStack(
        folder,
        resultsdb_url=f"http://127.0.0.1:{free_port()}",  # nothing listens: ResultsDB is down
        users={"qa": WEB_PASSWORD},
        extra={"resultsdb_token": TOKEN, "report_spool": str(folder / "spool")},
    )
    try:
        yield stack.start()
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def build(stack: BuildbotStack) -> dict[str, object]:
    """One build of the dummy check, forced by a logged-in user, reported into the outage."""
    props = {"item": "xchat-0.5-1.fc20", "item_type": "koji_build", "taskname": "dummy",
             "arch": "x86_64", "uuid": str(uuid.uuid4())}  # fmt: skip
    forced = stack.force(auth=("qa", WEB_PASSWORD), **props)
    forced.raise_for_status()
    brid = int(next(iter(forced.json()["result"][1].values())))
    return {**stack.wait_build(brid), "uuid": props["uuid"]}


def test_assert_report_gives_the_worker_back_within_seconds(
    stack: BuildbotStack, build: dict[str, object]
) -> None:
    report = stack.steps(int(str(build["buildid"])))["report"]
    assert report["results"] == WARNINGS and report["state_string"] == "spooled (warnings)"
    held = report["complete_at"] - report["started_at"]
    assert held <= 8, f"the report step held the worker slot {held} s through the outage"
    assert len(list((stack.folder / "spool").glob("*.json"))) == 1


def test_assert_no_secret_in_logs_state_properties_or_pages(
    stack: BuildbotStack, build: dict[str, object]
) -> None:
    leaks = []
    for path in stack.folder.rglob("*"):
        if not path.is_file() or path.name in HOLDERS:
            continue
        data = path.read_bytes()
        leaks += [f"{path}: {s}" for s in SECRETS if s.encode() in data]
    assert not leaks
    buildid = build["buildid"]
    pages = [
        f"{stack.url}api/v2/builds/{buildid}?property=*",
        f"{stack.url}api/v2/builds/{buildid}/steps",
        f"{stack.url}api/v2/workers",
        f"{stack.url}api/v2/forceschedulers",
        f"{stack.url}config.js",
    ]
    for page in pages:
        text = requests.get(page, timeout=10).text
        assert not [s for s in SECRETS if s in text], page
    for step in ("reserve artifacts", "report"):
        log = requests.get(
            f"{stack.url}api/v2/builds/{buildid}/steps/{step.replace(' ', '_')}/logs",
            timeout=10,
        )
        assert not [s for s in SECRETS if s in log.text]
