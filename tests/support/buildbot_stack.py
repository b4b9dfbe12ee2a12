"""A real Buildbot master (the repo's ``master.cfg``) and worker, for tests.

``BuildbotStack(folder, settings).start()`` writes the master's settings TOML, creates the
master and worker folders, starts both (``buildbot start``, ``buildbot-worker start``: they
daemonize, with ``twistd.pid``), and waits until the worker is connected. ``force(...)``
requests a build through the ForceScheduler's JSON-RPC, as the trigger does, and
``wait_build(brid)`` waits for it to finish.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from rdb_server import free_port

from checkline.stack.parts import toml_value

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def checks_repo(folder: Path) -> str:
    """A git repo holding the working tree's ``checks/`` (committed or not) and the test
    checks of ``tests/fixtures/checks/`` (failing, crashing, sleeping), as a file URL."""
    repo = folder / "checks-repo"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO / "checks", repo / "checks", ignore=ignore)
    fixtures = REPO / "tests" / "fixtures" / "checks"
    shutil.copytree(fixtures, repo / "checks", ignore=ignore, dirs_exist_ok=True)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "checks"], check=True)
    return f"file://{repo}"


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


@dataclass
class BuildbotStack:
    folder: Path
    resultsdb_url: str
    artifacts_url: str = "http://127.0.0.1:9/"
    arches: list[str] = field(default_factory=lambda: ["noarch", "x86_64"])
    users: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    www_port: int = field(default_factory=free_port)
    pb_port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.www_port}/"

    @property
    def master_dir(self) -> Path:
        return self.folder / "master"

    @property
    def worker_dir(self) -> Path:
        return self.folder / "worker"

    @property
    def artifacts_root(self) -> Path:
        return self.folder / "artifacts"

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "CHECKLINE_MASTER_CONFIG": str(self.folder / "master.toml")}

    def write_settings(self) -> None:
        settings = {
            "buildbot_url": self.url,
            "www_port": self.www_port,
            "pb_port": self.pb_port,
            "db_url": f"sqlite:///{self.master_dir / 'state.sqlite'}",
            "checks_repo": checks_repo(self.folder),
            "checks_branch": "main",
            "resultsdb_url": self.resultsdb_url,
            "artifacts_root": str(self.artifacts_root),
            "artifacts_url": self.artifacts_url,
            "checkline": str(BIN / "checkline"),
            "workers": [{"name": "w1", "password": "w1-pass", "arches": self.arches}],
            "users": self.users,
            **self.extra,
        }
        lines = [f"{key} = {toml_value(value)}" for key, value in settings.items()]
        (self.folder / "master.toml").write_text("\n".join(lines) + "\n")

    def start(self) -> BuildbotStack:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.write_settings()
        config = str(REPO / "master.cfg")
        run = {"check": True, "capture_output": True, "env": self.env, "timeout": 120}
        subprocess.run(
            [
                str(BIN / "buildbot"),
                "create-master",
                "-r",
                "--config",
                config,
                str(self.master_dir),
            ],
            **run,
        )
        subprocess.run(
            [str(BIN / "buildbot-worker"), "create-worker", "-r", str(self.worker_dir),
             f"127.0.0.1:{self.pb_port}", "w1", "w1-pass"],
            **run,
        )  # fmt: skip
        self.start_master()
        self.start_worker()
        return self

    def start_master(self) -> None:
        done = subprocess.run(
            [str(BIN / "buildbot"), "start", str(self.master_dir)],
            capture_output=True, text=True, env=self.env, timeout=120,
        )  # fmt: skip
        if done.returncode != 0:
            log = (self.master_dir / "twistd.log").read_text()[-4000:]
            raise RuntimeError(f"buildbot start failed: {done.stdout}{done.stderr}\n{log}")

    def start_worker(self) -> None:
        subprocess.run(
            [str(BIN / "buildbot-worker"), "start", str(self.worker_dir)],
            check=True, capture_output=True, env=self.env, timeout=60,
        )  # fmt: skip
        self.wait_worker()

    def wait_worker(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                workers = self.get("workers")["workers"]
                if workers and workers[0]["connected_to"]:
                    return
            except (requests.RequestException, ValueError, KeyError):
                pass
            time.sleep(0.2)
        raise RuntimeError("the worker did not connect")

    def pid(self, which: str) -> int:
        folder = self.master_dir if which == "master" else self.worker_dir
        return int((folder / "twistd.pid").read_text().strip())

    def kill(self, which: str) -> None:
        """SIGKILL the master or the worker and every process it started (a lost machine)."""
        pid = self.pid(which)
        for victim in [pid, *descendants(pid)]:
            try:
                os.kill(victim, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        folder = self.master_dir if which == "master" else self.worker_dir
        (folder / "twistd.pid").unlink(missing_ok=True)

    def stop(self) -> None:
        for command, folder in (
            ("buildbot-worker", self.worker_dir),
            ("buildbot", self.master_dir),
        ):
            if (folder / "twistd.pid").exists():
                done = subprocess.run(
                    [str(BIN / command), "stop", str(folder)],
                    capture_output=True, env=self.env, timeout=60, check=False,
                )  # fmt: skip
                if done.returncode != 0 and (folder / "twistd.pid").exists():
                    self.kill("master" if command == "buildbot" else "worker")

    def get(self, path: str, **params: Any) -> Any:
        response = requests.get(f"{self.url}api/v2/{path}", params=params, timeout=10)
        response.raise_for_status()
        return response.json()

    def force(self, auth: tuple[str, str] | None = None, **properties: str) -> requests.Response:
        """``POST /api/v2/forceschedulers/checkline`` (the JSON-RPC ``force`` call).

        With ``auth``, first logs in (``/auth/login`` with basic auth gives a session cookie:
        Buildbot's API takes the session, not the credentials, as the trigger's client does).
        """
        session = requests.Session()
        if auth is not None:
            session.get(f"{self.url}auth/login", auth=auth, timeout=30)
        builder = properties.get("arch") or "noarch"
        body = {
            "jsonrpc": "2.0",
            "method": "force",
            "id": 1,
            "params": {"builderNames": [builder], "reason": "test", **properties},
        }
        return session.post(f"{self.url}api/v2/forceschedulers/checkline", json=body, timeout=30)

    def force_ok(self, **properties: str) -> int:
        """Force a build; its build request id."""
        response = self.force(**properties)
        response.raise_for_status()
        result = response.json()["result"]
        return int(next(iter(result[1].values())))

    def wait_build(self, brid: int, timeout: float = 120) -> dict[str, Any]:
        """The last build of request ``brid`` once the request is complete."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            # The request, not its last build: a build that lost its worker ends (RETRY) and
            # the request goes back in the queue for another one.
            [request] = self.get(f"buildrequests/{brid}")["buildrequests"]
            builds = self.get(f"buildrequests/{brid}/builds")["builds"]
            if request["complete"] and builds and builds[-1]["complete"]:
                return dict(builds[-1])
            time.sleep(0.2)
        raise TimeoutError(f"build request {brid} did not finish in {timeout} s")

    def steps(self, buildid: int) -> dict[str, dict[str, Any]]:
        return {s["name"]: s for s in self.get(f"builds/{buildid}/steps")["steps"]}

    def log(self, buildid: int, step: str) -> str:
        response = requests.get(
            f"{self.url}api/v2/builds/{buildid}/steps/{step}/logs/stdio/raw_inline", timeout=10
        )
        return response.text
