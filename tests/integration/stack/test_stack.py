"""``checkline stack up|status|down`` for real: every part started, reachable, then stopped."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import requests
from rdb_server import free_port

PARTS = {"rabbitmq", "resultsdb", "buildbot", "artifacts"}


def checkline(script: Path, *args: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(script / "checkline"), *map(str, args)], capture_output=True, text=True, timeout=300
    )


def gone(pid: int, within: float = 30) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def test_assert_up_status_down(tmp_path: Path, script: Path) -> None:
    config = tmp_path / "stack.toml"
    ports = {name: free_port() for name in ("resultsdb", "buildbot", "worker", "artifacts")}
    config.write_text("".join(f"{name}_port = {port}\n" for name, port in ports.items()))
    state = tmp_path / "state"
    up = checkline(script, "stack", "up", "--state-dir", state, "--config", config)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        status = checkline(script, "stack", "status", "--state-dir", state, "--json")
        parts = json.loads(status.stdout)
        assert PARTS <= set(parts)
        for name in ("resultsdb", "buildbot", "artifacts"):
            assert parts[name]["running"] and parts[name]["managed"], parts[name]
            assert isinstance(parts[name]["pid"], int)
        assert parts["resultsdb"]["url"] == f"http://127.0.0.1:{ports['resultsdb']}"
        health = requests.get(f"{parts['resultsdb']['url']}/api/v2.0/healthcheck", timeout=5)
        assert health.status_code == 200
        builders = requests.get(f"{parts['buildbot']['url']}api/v2/builders", timeout=5).json()
        assert sorted(b["name"] for b in builders["builders"]) == ["noarch", "x86_64"]
        assert requests.get(parts["artifacts"]["url"] + "/", timeout=5).status_code == 200
        workers = parts["buildbot"]["workers"]
        assert set(workers) == {"local-noarch", "local-x86_64"}

        again = checkline(script, "stack", "up", "--state-dir", state, "--config", config)
        assert again.returncode == 0
        assert again.stdout.count("already up") >= 3
    finally:
        down = checkline(script, "stack", "down", "--state-dir", state)
    assert down.returncode == 0, down.stderr
    pids = [parts[name]["pid"] for name in ("resultsdb", "buildbot", "artifacts")]
    assert all(gone(pid) for pid in [*pids, *workers.values()])
    after = json.loads(checkline(script, "stack", "status", "--state-dir", state, "--json").stdout)
    assert not any(part["running"] and part["managed"] for part in after.values())


def test_assert_taken_port_is_named(tmp_path: Path, script: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        config = tmp_path / "stack.toml"
        config.write_text(f"resultsdb_port = {port}\n")
        up = checkline(script, "stack", "up", "--state-dir", tmp_path / "s", "--config", config)
    assert up.returncode == 1
    assert f"resultsdb: port {port} on 127.0.0.1 is taken by another program" in up.stderr
