"""Starting and stopping a real ResultsDB server (``checkline resultsdb serve``), and a client.

Shared by the test folders that need a server (``tests/support`` is on pytest's ``pythonpath``).
The server runs in a session of its own, so ``kill_server`` can kill gunicorn and its workers
at once, as a crash would.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ResultsDBServer:
    root: str
    db_url: str
    log: Path

    @property
    def api(self) -> str:
        return f"{self.root}/api/v2.0"


def start_server(
    db_url: str,
    log: Path,
    *extra: str,
    env: dict[str, str] | None = None,
    workers: int = 2,
    port: int | None = None,
) -> tuple[subprocess.Popen[bytes], ResultsDBServer]:
    script = Path(sys.executable).parent / "checkline"
    subprocess.run(
        [str(script), "resultsdb", "init-db", "--db", db_url],
        check=True,
        capture_output=True,
        timeout=60,
    )
    port = port or free_port()
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [
                str(script),
                "resultsdb",
                "serve",
                "--db",
                db_url,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
                *extra,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    server = ResultsDBServer(f"http://127.0.0.1:{port}", db_url, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"resultsdb server exited:\n{log.read_text()}")
        try:
            if requests.get(f"{server.api}/healthcheck", timeout=1).status_code == 200:
                return proc, server
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"resultsdb server did not answer within 30 s:\n{log.read_text()}")


def kill_server(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the server and its workers, mid-request if need be (a crash, not a stop)."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass
class Client:
    """requests against one server; paths are relative to /api/v2.0 unless absolute."""

    server: ResultsDBServer
    session: requests.Session = field(default_factory=requests.Session)

    @property
    def api(self) -> str:
        return self.server.api

    @property
    def root(self) -> str:
        return self.server.root

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.api}{path}"

    def get(self, path: str, params: Any = None, **kwargs: Any) -> requests.Response:
        return self.session.get(self.url(path), params=params, timeout=30, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        return self.session.post(self.url(path), json=json, timeout=30, **kwargs)
