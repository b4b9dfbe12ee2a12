"""The whole pipeline, as ``checkline stack up`` starts it, in a folder of its own.

``pipeline``: the stack (the machine's RabbitMQ, ResultsDB, artifacts server, Buildbot master
with one worker per arch, the trigger consumer) on free ports, its workers cloning a checks
repo that also holds the test checks (``slow``...), its trigger reading ``E2E_RULES``.
Helpers publish real messages (``tests/support/publish.py``) and read each part through its
own interface: ResultsDB's API, Buildbot's REST API, ``checkline jobs list``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from buildbot_stack import checks_repo
from rdb_server import free_port

SUPPORT = Path(__file__).resolve().parents[2] / "support"
BIN = Path(sys.executable).parent

E2E_RULES = """
- when: {item_type: koji_build, name: {$regex: '^arch-'}}
  do: [{tasks: [dummy], arches: [x86_64, aarch64, i686]}]
- when: {item_type: koji_build, name: {$regex: '^slow-'}}
  do: [{tasks: [slow], arches: [x86_64]}]
- when: {item_type: koji_build, name: {$not: {$regex: '^(arch|slow)-'}}}
  do: [{tasks: [dummy], arches: [x86_64]}]
"""


def wait_until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@dataclass
class Pipeline:
    state: Path
    parts: dict[str, Any]

    def checkline(self, *args: Any, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(BIN / "checkline"), *map(str, args)], capture_output=True, text=True, timeout=300
        )
        if check and done.returncode != 0:
            raise AssertionError(f"checkline {args}: {done.returncode}\n{done.stdout}{done.stderr}")
        return done

    @property
    def resultsdb(self) -> str:
        return str(self.parts["resultsdb"]["url"])

    @property
    def buildbot(self) -> str:
        return str(self.parts["buildbot"]["url"])

    @property
    def trigger_config(self) -> Path:
        return self.state / "trigger.toml"

    def publish(self, *nvrs: str, bodhi: tuple[str, ...] = ()) -> list[str]:
        argv = [sys.executable, str(SUPPORT / "publish.py"), str(self.trigger_config)]
        argv += ["--koji", *nvrs] if nvrs else []
        argv += ["--bodhi", *bodhi] if bodhi else []
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=True)
        return [line.split()[0] for line in done.stdout.splitlines()]

    def jobs(self, item: str | None = None) -> list[dict[str, Any]]:
        out = self.checkline("jobs", "list", "--json", "--config", self.trigger_config).stdout
        jobs = json.loads(out)
        return [job for job in jobs if item is None or job["item"] == item]

    def results(self, item: str) -> list[dict[str, Any]]:
        response = requests.get(
            f"{self.resultsdb}/api/v2.0/results", params={"item": item}, timeout=10
        )
        response.raise_for_status()
        return list(response.json()["data"])

    def wait_results(self, item: str, count: int, timeout: float = 120) -> list[dict[str, Any]]:
        return list(
            wait_until(
                lambda: (r := self.results(item)) and len(r) >= count and r,
                timeout,
                f"{count} result(s) for {item} in ResultsDB",
            )
        )

    def wait_jobs(self, item: str, status: str, count: int, timeout: float = 120) -> list[Any]:
        def done() -> list[dict[str, Any]] | None:
            jobs = self.jobs(item)
            ok = [job for job in jobs if job["status"] == status]
            return jobs if len(ok) >= count else None

        return list(wait_until(done, timeout, f"{count} job(s) of {item} {status}"))


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    folder = tmp_path_factory.mktemp("e2e")
    repo = checks_repo(folder)
    (folder / "rules.yml").write_text(E2E_RULES)
    ports = {
        f"{name}_port": free_port() for name in ("resultsdb", "buildbot", "worker", "artifacts")
    }
    config = folder / "stack.toml"
    config.write_text(
        "".join(f"{key} = {value}\n" for key, value in ports.items())
        + 'arches = ["noarch", "x86_64", "aarch64", "i686"]\n'
        + f'checks_repo = "{repo}"\n'
        + 'checks_branch = "main"\n'
        + f'checks_dir = "{repo.removeprefix("file://")}/checks"\n'
        + f'rules = "{folder / "rules.yml"}"\n'
    )
    state = folder / "state"
    up = subprocess.run(
        [str(BIN / "checkline"), "stack", "up", "--state-dir", str(state), "--config", str(config)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    pipe = Pipeline(state, {})
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        status = pipe.checkline("stack", "status", "--state-dir", state, "--json").stdout
        pipe.parts = json.loads(status)
        if not pipe.parts["trigger"]["running"]:
            pytest.skip(
                "!!! no RabbitMQ: the end-to-end tests DID NOT RUN "
                f"({pipe.parts['trigger'].get('note')}) !!!"
            )
        yield pipe
    finally:
        subprocess.run(
            [str(BIN / "checkline"), "stack", "down", "--state-dir", str(state)],
            capture_output=True, timeout=300, check=False,
        )  # fmt: skip
