"""The command line through its real entry points: ``checkline run`` and ``runtask``."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from checkline.cli import main


def run(script: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(script), *args], capture_output=True, text=True, timeout=60, cwd=cwd, check=False
    )


def test_checkline_run_dummy(script: Path, checks_dir: Path, tmp_path: Path) -> None:
    """Assert `checkline run` runs the dummy check and prints where its results are."""
    done = run(
        script / "checkline",
        "run",
        str(checks_dir / "dummy"),
        "-i",
        "xchat-0.5-1.fc20",
        "-t",
        "koji_build",
        "--uuid",
        "cli-1",
        "--artifacts",
        str(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    assert f"results:   {tmp_path / 'cli-1' / 'results.tap'}" in done.stdout
    assert "status:    FINISHED (OK), 1 verdict(s), worst PASSED, exit code 0" in done.stdout
    assert "INFO recorded 1 verdict(s): dummy PASSED" in done.stderr


def test_runtask_takes_taskotron_flags(script: Path, checks_dir: Path, tmp_path: Path) -> None:
    """Assert `runtask` accepts Taskotron's flags (-j, -a, --local) and runs the formula."""
    done = run(
        script / "runtask",
        "-i",
        "xchat-0.5-1.fc20",
        "-t",
        "koji_build",
        "-a",
        "x86_64",
        "-j",
        "x86_64/42",
        "--uuid",
        "rt-1",
        "--local",
        "--artifacts",
        str(tmp_path),
        str(checks_dir / "nvr-sanity" / "runtask.yml"),
    )
    assert done.returncode == 0, done.stderr
    execution = json.loads((tmp_path / "rt-1" / "execution.json").read_text())
    assert (execution["jobid"], execution["arch"]) == ("x86_64/42", "x86_64")
    assert execution["worst_outcome"] == "PASSED"
    assert (tmp_path / "rt-1" / "task_output" / "nvr-sanity.log").exists()


def test_runtask_refuses_remote_modes(script: Path, checks_dir: Path) -> None:
    """Assert --libvirt is a job error with a reason, not silently ignored."""
    done = run(
        script / "runtask", "--libvirt", "-i", "x", "-t", "koji_build", str(checks_dir / "dummy")
    )
    assert done.returncode == 3
    assert "--libvirt, --ssh, --ssh-privkey and --no-destroy are not supported" in done.stderr


def test_input_json_is_the_mock_dict_way(script: Path, checks_dir: Path, tmp_path: Path) -> None:
    """Assert --input feeds a runner-input dict; flags override its fields."""
    job = tmp_path / "job.json"
    job.write_text(
        json.dumps(
            {"item": "a-1-1.fc40", "item_type": "koji_build", "arch": "noarch", "uuid": "from-json"}
        )
    )
    done = run(
        script / "checkline",
        "run",
        str(checks_dir / "dummy"),
        "--input",
        str(job),
        "-a",
        "x86_64",
        "--artifacts",
        str(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    execution = json.loads((tmp_path / "from-json" / "execution.json").read_text())
    assert (execution["item"], execution["arch"]) == ("a-1-1.fc40", "x86_64")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bogus"], "No such option '--bogus'"),
        (["-t", "koji_build"], "error: runner input: item is required (-i ITEM)"),
        (
            ["-i", "x", "-t", "koji_build", "--input", "/nonexistent.json"],
            "No such file or directory",
        ),
        (["-i", "x", "-t", "Not A Type"], "item_type 'Not A Type' must be a lower-case"),
    ],
)
def test_bad_invocations_are_job_errors(
    script: Path, checks_dir: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    """Assert every bad invocation exits 3 (a job error) with a precise message."""
    done = run(
        script / "checkline", "run", str(checks_dir / "dummy"), "--artifacts", str(tmp_path), *args
    )
    assert done.returncode == 3
    assert message in done.stderr


def test_invalid_formula_exits_3(script: Path, tmp_path: Path) -> None:
    """Assert an invalid formula prints its problems and exits 3."""
    formula = tmp_path / "runtask.yml"
    formula.write_text("name: x\nactions:\n  - shel: [echo]\n")
    done = run(
        script / "checkline",
        "run",
        str(formula),
        "-i",
        "x",
        "-t",
        "koji_build",
        "--artifacts",
        str(tmp_path / "art"),
    )
    assert done.returncode == 3
    assert (
        f"{formula}:3: actions[0]: unknown directive 'shel'; did you mean 'shell'?" in done.stderr
    )


def test_sigterm_cancels_within_30s(
    script: Path, tmp_path: Path, process_gone: Callable[..., bool]
) -> None:
    """Assert SIGTERM stops the running action, kills its group, records ABORTED, exits 2."""
    pidfile = tmp_path / "child.pid"
    formula = tmp_path / "runtask.yml"
    formula.write_text(
        f"name: slow\nactions:\n  - shell: [[sh, -c, 'sleep 120 & echo $$! > {pidfile}; wait']]\n"
    )
    proc = subprocess.Popen(
        [
            str(script / "checkline"),
            "run",
            str(formula),
            "-i",
            "x",
            "-t",
            "koji_build",
            "--uuid",
            "cancelled",
            "--artifacts",
            str(tmp_path / "art"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for _ in range(200):
        if pidfile.exists() and pidfile.read_text().strip():
            break
        time.sleep(0.05)
    sleeper = int(pidfile.read_text())
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 2, stderr
    rundir = tmp_path / "art" / "cancelled"
    execution = json.loads((rundir / "execution.json").read_text())
    assert execution["status"] == "ABORTED"
    assert execution["message"] == "actions[0] (shell): cancelled by SIGTERM while running 'sh'"
    assert "outcome: ABORTED" in (rundir / "results.tap").read_text()
    assert process_gone(sleeper)


def test_help_lists_stages() -> None:
    """Assert the checkline group lists the run stage and its help shows the flags."""
    runner = CliRunner()
    assert "run" in runner.invoke(main, ["--help"]).output
    result = runner.invoke(main, ["run", "--help"])
    assert result.exit_code == 0
    for flag in (
        "-i, --item",
        "-t, --type",
        "-a, --arch",
        "--uuid",
        "-j, --jobid",
        "--artifacts",
        "--input",
    ):
        assert flag in result.output
