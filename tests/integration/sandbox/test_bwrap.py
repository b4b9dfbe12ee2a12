"""A hostile formula under ``--sandbox bwrap`` (real bubblewrap): each escape its own test."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

CHECKLINE = [str(Path(sys.executable).parent / "checkline")]


def _bwrap_usable() -> bool:
    if shutil.which("bwrap") is None or shutil.which("unshare") is None:
        return False
    done = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "true"],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


pytestmark = pytest.mark.skipif(not _bwrap_usable(), reason="bubblewrap or user namespaces missing")


def _write_task(tmp_path: Path, name: str, actions: list[dict[str, object]]) -> Path:
    """A task folder whose formula runs ``actions`` on a koji_build."""
    task = tmp_path / "task"
    task.mkdir(exist_ok=True)
    formula = {
        "name": name,
        "desc": "a sandbox test",
        "maintainer": "tests",
        "input": {"args": ["koji_build"]},
        "actions": actions,
    }
    (task / "runtask.yml").write_text(yaml.safe_dump(formula), encoding="utf-8")
    return task


def _argv(task: Path, artifacts: Path, *extra: str) -> list[str]:
    """``checkline run TASK`` on x-1-1 into ``artifacts``, with ``extra`` flags."""
    return [
        *CHECKLINE, "run", str(task), "-i", "x-1-1", "-t", "koji_build",
        "--artifacts", str(artifacts), *extra,
    ]  # fmt: skip


def _run(
    tmp_path: Path,
    commands: list[str],
    *extra: str,
    env: dict[str, str] | None = None,
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run a formula whose one shell action runs ``commands`` (each ``sh -c``); return the
    finished process and the run directory."""
    task = _write_task(
        tmp_path, "hostile", [{"name": "try", "shell": [["sh", "-c", c] for c in commands]}]
    )
    run_id = str(uuid.uuid4())
    artifacts = tmp_path / "artifacts"
    done = subprocess.run(
        _argv(task, artifacts, "--uuid", run_id, *extra),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
        cwd=Path(__file__).resolve().parents[3],
    )
    return done, artifacts / run_id


def _output(rundir: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in sorted((rundir / "actions").iterdir()))


def test_writes_to_usr_and_etc_work_inside_and_are_gone(tmp_path: Path) -> None:
    marker = f"checkline-sandbox-test-{uuid.uuid4().hex}"
    done, _rundir = _run(
        tmp_path,
        [f"echo x > /usr/{marker} && echo x > /etc/{marker} && cat /usr/{marker} /etc/{marker}"],
        "--sandbox",
        "bwrap",
    )
    assert done.returncode == 0, done.stderr
    assert not Path(f"/usr/{marker}").exists()
    assert not Path(f"/etc/{marker}").exists()


def test_files_outside_the_run_are_not_visible(tmp_path: Path) -> None:
    worker = tmp_path / "artifacts" / "worker"
    worker.mkdir(parents=True)
    (worker / "buildbot.tac").write_text("SECRET-TAC\n")
    other = tmp_path / "artifacts" / "other-job-uuid"
    (other / "task_output").mkdir(parents=True)
    (other / "task_output" / "log").write_text("OTHER-JOB\n")
    done, rundir = _run(
        tmp_path,
        [f"cat {worker}/buildbot.tac {other}/task_output/log; ls {tmp_path}/artifacts; true"],
        "--sandbox",
        "bwrap",
    )
    assert done.returncode == 0, done.stderr
    output = _output(rundir)
    assert "SECRET-TAC" not in output
    assert "OTHER-JOB" not in output
    assert "No such file" in output


def test_the_environment_holds_nothing_of_the_runner(tmp_path: Path) -> None:
    done, rundir = _run(
        tmp_path,
        ['env > "$0"/env.txt'.replace('"$0"', "${artifactsdir}")],
        "--sandbox",
        "bwrap",
        env={"CHECKLINE_TEST_TOKEN": "s3cret-token", "DB_PASSWORD": "hunter2"},
    )
    assert done.returncode == 0, done.stderr
    lines = (rundir / "task_output" / "env.txt").read_text().splitlines()
    names = {line.split("=", 1)[0] for line in lines}
    assert names <= {"PATH", "HOME", "LANG", "USER", "PWD", "SHLVL", "_"}
    text = "\n".join(lines)
    assert "s3cret-token" not in text and "hunter2" not in text


def _alive(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(int(entry.name))
    return found


def test_background_processes_are_gone_when_the_run_ends(tmp_path: Path) -> None:
    marker = f"31{uuid.uuid4().int % 10**6:06d}"
    done, _rundir = _run(
        tmp_path,
        [f"(sleep {marker} &) ; setsid sleep {marker} >/dev/null 2>&1 < /dev/null & echo ok"],
        "--sandbox",
        "bwrap",
    )
    assert done.returncode == 0, done.stderr
    time.sleep(0.5)
    assert _alive(f"sleep\0{marker}") == []


@pytest.fixture
def server() -> Iterator[int]:
    """A TCP server on 127.0.0.1 that answers ``hello``."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            with conn:
                conn.sendall(b"hello\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield sock.getsockname()[1]
    stop.set()
    thread.join()
    sock.close()


_CONNECT = (
    'python3 -c \'import socket,sys; s=socket.create_connection(("127.0.0.1", int(sys.argv[1])), '
    'timeout=5); print("got", s.recv(10))\' {port}'
)


def test_the_network_is_on_by_default(tmp_path: Path, server: int) -> None:
    done, rundir = _run(tmp_path, [_CONNECT.format(port=server)], "--sandbox", "bwrap")
    assert done.returncode == 0, done.stderr
    assert "got b'hello" in _output(rundir)


def test_no_network_refuses_a_connection(tmp_path: Path, server: int) -> None:
    done, rundir = _run(
        tmp_path, [_CONNECT.format(port=server)], "--sandbox", "bwrap", "--no-network"
    )
    assert done.returncode == 2
    assert "got b'hello" not in _output(rundir)


def test_root_inside_the_runners_uid_outside(tmp_path: Path) -> None:
    done, rundir = _run(
        tmp_path,
        ["id -u > ${artifactsdir}/uid && touch ${artifactsdir}/made"],
        "--sandbox",
        "bwrap",
    )
    assert done.returncode == 0, done.stderr
    assert (rundir / "task_output" / "uid").read_text().strip() == "0"
    assert (rundir / "task_output" / "made").stat().st_uid == os.getuid()


@pytest.mark.skipif(
    os.getuid() == 0,
    reason="the runner runs as root: RLIMIT_NPROC is not enforced on its user namespace, and "
    "no cgroup v2 is delegated here, so no process-count limit is in force (README Sandboxes)",
)
def test_process_count_limit_contains_a_fork_loop(tmp_path: Path) -> None:
    # Bounded: at most 200 sleeps, under a limit of 64 (plus what the uid already runs).
    _done, rundir = _run(
        tmp_path,
        ["n=0; for i in $(seq 200); do sleep 5 & n=$((n+1)); done 2>/dev/null; echo started $n"],
        "--sandbox",
        "bwrap",
        env={"CHECKLINE_SANDBOX_NPROC": "64"},
    )
    assert "started 200" not in _output(rundir)


def test_sandbox_none_says_not_isolated(tmp_path: Path) -> None:
    done, rundir = _run(tmp_path, ["true"], "--sandbox", "none")
    assert done.returncode == 0, done.stderr
    assert "not isolated" in (rundir / "runner.log").read_text()


def test_no_bwrap_is_an_execution_error_without_fallback(tmp_path: Path) -> None:
    done, rundir = _run(tmp_path, ["true"], "--sandbox", "bwrap", env={"PATH": str(tmp_path)})
    assert done.returncode == 2
    assert "'bwrap' is not installed" in done.stderr
    assert "no fallback" in done.stderr
    assert not rundir.exists()


def test_the_python_directive_runs_inside(tmp_path: Path) -> None:
    task = _write_task(
        tmp_path,
        "py",
        [
            {"name": "call", "python": {"file": "check.py", "callable": "run"}, "export": "out"},
            {"name": "show", "shell": [["sh", "-c", "echo '${out}' > ${artifactsdir}/out.txt"]]},
        ],
    )
    (task / "check.py").write_text(
        "import os\n"
        "def run(**kw):\n"
        "    return {'uid': os.getuid(), 'pid': os.getpid(), 'env': sorted(os.environ)}\n"
    )
    run_id = str(uuid.uuid4())
    done = subprocess.run(
        _argv(
            task,
            tmp_path / "a",
            "--uuid",
            run_id,
            "--sandbox",
            "bwrap",
            "--python",
            "/usr/bin/python3",
        ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "DB_PASSWORD": "hunter2"},
    )
    assert done.returncode == 0, done.stderr + done.stdout
    text = (tmp_path / "a" / run_id / "task_output" / "out.txt").read_text()
    assert "hunter2" not in text and "DB_PASSWORD" not in text
    assert '"uid": 0' in text
    assert '"pid": 2' in text  # its own PID namespace (bwrap's init is 1)


def test_memory_limit_stops_a_large_allocation(tmp_path: Path) -> None:
    done, rundir = _run(
        tmp_path,
        ["python3 -c 'b = bytearray(600 * 1024 * 1024); print(\"allocated\")'"],
        "--sandbox",
        "bwrap",
        env={"CHECKLINE_SANDBOX_MEMORY": "300M"},
    )
    assert done.returncode == 2
    output = _output(rundir)
    assert "MemoryError" in output and "\nallocated\n" not in output
    assert "RLIMIT_AS" in (rundir / "runner.log").read_text()


def test_the_overlay_directory_is_removed_after_a_timeout(tmp_path: Path) -> None:
    before = set(Path(tempfile.gettempdir()).glob("checkline-sandbox-*"))
    task = tmp_path / "task"
    task.mkdir()
    task = _write_task(
        tmp_path,
        "slow",
        [{"name": "wait", "timeout": 1, "shell": [["sh", "-c", "sleep 3170 & sleep 3171"]]}],
    )
    done = subprocess.run(
        _argv(task, tmp_path / "a", "--sandbox", "bwrap"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert set(Path(tempfile.gettempdir()).glob("checkline-sandbox-*")) <= before
    assert _alive("sleep\x00317") == []


def test_a_cancel_ends_every_process_of_the_run(tmp_path: Path) -> None:
    task = _write_task(
        tmp_path,
        "cancelled",
        [{"name": "wait", "shell": [["sh", "-c", "setsid sleep 3180 & sleep 3181 & sleep 3182"]]}],
    )
    proc = subprocess.Popen(
        _argv(task, tmp_path / "a", "--sandbox", "bwrap"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not _alive("sleep\x003182") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _alive("sleep\x003180"), "the action did not start"
    proc.terminate()  # SIGTERM: the runner cancels the run
    assert proc.wait(timeout=60) == 2
    time.sleep(0.5)
    assert _alive("sleep\x00318") == []


def test_no_network_without_a_sandbox_is_refused(tmp_path: Path) -> None:
    done, rundir = _run(tmp_path, ["true"], "--sandbox", "none", "--no-network")
    assert done.returncode == 3
    assert "--no-network needs a sandbox" in done.stderr
    assert not rundir.exists()
