"""The ``local`` backend: runs each job here, as ``checkline run CHECKS/<check>/runtask.yml``.

The runner is a child process started from an argv list (never a shell), built by
``checkline.runner.invocation.run_argv`` as the Buildbot master's is: the item is passed as
``--item=<item>`` so that an item starting with ``-`` stays a value. The job's check (its
``taskname``) must be a plain name whose ``runtask.yml`` exists in the checks repo, and the
uuid a uuid, so message data never chooses a path. The token is the job's uuid; the run
writes its run directory ``<artifacts root>/<uuid>/``, whose ``execution.json`` gives the
status even after a restart.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import uuid as uuidlib
from pathlib import Path
from typing import Any

from checkline.contracts import EXECUTION_FILE, Job, check_name_problem
from checkline.runner.invocation import run_argv

from ..errors import BackendError, BackendUnavailable
from ..ledger import JobStatus
from .base import Backend

__all__ = ["LocalBackend"]


def _checkline() -> str:
    """The ``checkline`` script installed beside this Python, else the one on PATH."""
    beside = Path(sys.executable).parent / "checkline"
    if beside.is_file():
        return str(beside)
    return shutil.which("checkline") or "checkline"


class LocalBackend(Backend):
    name = "local"

    def __init__(
        self,
        checks_dir: Path,
        artifacts_root: Path,
        max_running: int = 2,
        command: list[str] | None = None,
    ) -> None:
        self.checks_dir = checks_dir.resolve()
        self.artifacts_root = artifacts_root.resolve()
        self.max_running = max_running
        self.command = command or [_checkline()]
        self._procs: dict[str, subprocess.Popen[bytes]] = {}

    def argv(self, job: Job) -> list[str]:
        """The runner's command line for ``job``.

        Raises:
            BackendError: a check (``taskname``) that is not a plain name of the checks repo,
                a bad uuid.
        """
        check = str(job["taskname"])
        if problem := check_name_problem(check):
            raise BackendError(f"{check!r} is not a check name: {problem}")
        formula = self.checks_dir / check / "runtask.yml"
        if not formula.is_file():
            raise BackendError(f"check {check!r} is not in {self.checks_dir}")
        try:
            job_uuid = str(uuidlib.UUID(str(job["uuid"])))
        except ValueError:
            raise BackendError(f"{job['uuid']!r} is not a uuid") from None
        return run_argv(
            self.command,
            str(formula),
            item=str(job["item"]),
            item_type=str(job["item_type"]),
            arch=str(job["arch"]),
            uuid=job_uuid,
            artifacts=str(self.artifacts_root),
        )

    def running(self) -> int:
        return sum(1 for proc in self._procs.values() if proc.poll() is None)

    def ready(self) -> bool:
        return self.running() < self.max_running

    def submit(self, job: Job) -> str:
        argv = self.argv(job)
        if self.running() >= self.max_running:
            raise BackendUnavailable(f"{self.max_running} local runs already running")
        self.artifacts_root.mkdir(parents=True, exist_ok=True)
        try:
            proc = subprocess.Popen(  # noqa: S603 - an argv list built above, no shell
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as err:
            raise BackendUnavailable(f"cannot start the runner: {err}") from err
        token = str(job["uuid"])
        self._procs[token] = proc
        return token

    def _execution(self, token: str) -> dict[str, Any] | None:
        try:
            path = self.artifacts_root / str(uuidlib.UUID(token)) / EXECUTION_FILE
            data = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, OSError):
            return None
        return data if isinstance(data, dict) else None

    def status(self, token: str) -> JobStatus | None:
        proc = self._procs.get(token)
        if proc is not None and proc.poll() is None:
            return JobStatus.RUNNING
        execution = self._execution(token)
        if execution is not None:
            self._procs.pop(token, None)
            ok = execution.get("execution_status") == "OK"
            return JobStatus.FINISHED if ok else JobStatus.CRASHED
        if proc is not None:  # ended without writing execution.json
            self._procs.pop(token, None)
            return JobStatus.CRASHED
        return None

    def cancel(self, token: str) -> None:
        proc = self._procs.get(token)
        if proc is not None and proc.poll() is None:
            # The runner turns SIGTERM into ABORTED verdicts and NOT_OK.
            os.killpg(proc.pid, signal.SIGTERM)

    def info_url(self, token: str) -> str | None:
        try:
            return (self.artifacts_root / str(uuidlib.UUID(token))).as_uri() + "/"
        except ValueError:
            return None
