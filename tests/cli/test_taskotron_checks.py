"""Taskotron-era tasks run unchanged through the real ``runtask`` and ``checkline run``: their
check code imports ``libtaskotron.check`` (or ``checkb.check``) and runs under the system's
Python by default, or the interpreter ``--python``, ``CHECKLINE_PYTHON`` or the formula chose.

The tasks are ``tests/fixtures/checks/libtaskotron-api`` (ResultYAML through ``export_YAML``)
and ``checkb-api`` (the same check under checkb's name, TAP13 through ``export_TAP``); the
overall result carries the check's ``sys.executable`` as the keyval ``interpreter``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from checkline.reporting.tap import parse_tap
from checkline.runner.interpreter import SYSTEM_PYTHON

NVR = "python-foo-1.0-1.fc40"
DEFAULT_PYTHON = SYSTEM_PYTHON if Path(SYSTEM_PYTHON).is_file() else sys.executable


def expected_verdicts(interpreter: str) -> list[dict[str, Any]]:
    """What results.tap holds for either task (their checks differ only in the API's name)."""
    common = {"item": NVR, "type": "koji_build", "arch": "noarch"}
    return [
        {
            **common,
            "artifact": "task_output/output.log",
            "checkname": "dist.taskotron-api.two_three",
            "details": {
                "output": "python-foo: Python 2 dragged by /usr/bin/python2\n"
                "python-foo: Python 3 dragged by python(abi) = 3.12"
            },
            "outcome": "FAILED",
            "summary": "1 problematic RPM",
        },
        {
            **common,
            "checkname": "dist.taskotron-api.naming_scheme",
            "outcome": "INFO",
            "summary": "Unknown outcome keyword: WRONG",
        },
        {
            **common,
            "checkname": "dist.taskotron-api",
            "interpreter": interpreter,
            "outcome": "FAILED",
            "summary": "1 INFO, 1 FAILED",
        },
    ]


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CHECKLINE_PYTHON"}
    return {**env, **extra}


def run(
    script: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(script), *args],
        capture_output=True, text=True, timeout=120, check=False, env=env or environment(),
    )  # fmt: skip


def verdicts(rundir: Path) -> list[dict[str, Any]]:
    parsed = parse_tap((rundir / "results.tap").read_text())
    assert parsed.problems == []
    return [dict(verdict) for verdict in parsed.verdicts]


def runtask(script: Path, formula: Path, artifacts: Path, *flags: str, **env: str) -> Path:
    done = run(
        script / "runtask",
        *("-i", NVR, "-t", "koji_build", "--uuid", "job-1", "--artifacts", str(artifacts)),
        *flags,
        str(formula),
        env=environment(**env),
    )
    assert done.returncode == 0, done.stderr
    return artifacts / "job-1"


@pytest.mark.parametrize("task", ["libtaskotron-api", "checkb-api"])
def test_runtask_runs_a_taskotron_task_unchanged(
    script: Path, fixtures_dir: Path, tmp_path: Path, task: str
) -> None:
    """Assert a task whose check code does ``from libtaskotron import check`` (or ``from
    checkb import check``) runs through runtask and records the verdicts it built: keyvals,
    note, artifact and output included, under the default interpreter."""
    rundir = runtask(script, fixtures_dir / "checks" / task / "runtask.yml", tmp_path)
    assert verdicts(rundir) == expected_verdicts(DEFAULT_PYTHON)
    execution = json.loads((rundir / "execution.json").read_text())
    assert (execution["status"], execution["worst_outcome"]) == ("FINISHED", "FAILED")
    log = (rundir / "actions" / "00-run-task.log").read_text()
    assert log.startswith(f"[check code runs under {DEFAULT_PYTHON}: the default: ")


def test_input_json_runs_it_the_same(script: Path, fixtures_dir: Path, tmp_path: Path) -> None:
    """Assert ``checkline run --input job.json`` gives what ``runtask`` gives."""
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"item": NVR, "item_type": "koji_build", "uuid": "job-2"}))
    task = fixtures_dir / "checks" / "libtaskotron-api"
    done = run(
        script / "checkline", "run", str(task), "--input", str(job), "--artifacts", str(tmp_path)
    )
    assert done.returncode == 0, done.stderr
    assert verdicts(tmp_path / "job-2") == expected_verdicts(DEFAULT_PYTHON)


@pytest.mark.parametrize("way", ["--python", "CHECKLINE_PYTHON", "--input and --python"])
def test_the_runner_chooses_the_interpreter(
    script: Path, fixtures_dir: Path, tmp_path: Path, way: str
) -> None:
    """Assert --python (runtask's and checkline run's) and CHECKLINE_PYTHON run check code
    under the interpreter they name: here the runner's own."""
    formula = fixtures_dir / "checks" / "libtaskotron-api" / "runtask.yml"
    if way == "--python":
        rundir = runtask(script, formula, tmp_path, "--python", sys.executable)
    elif way == "CHECKLINE_PYTHON":
        rundir = runtask(script, formula, tmp_path, CHECKLINE_PYTHON=sys.executable)
    else:
        job = tmp_path / "job.json"
        job.write_text(json.dumps({"item": NVR, "item_type": "koji_build", "uuid": "job-1"}))
        done = run(
            script / "checkline", "run", str(formula), "--input", str(job),
            "--artifacts", str(tmp_path), "--python", sys.executable,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        rundir = tmp_path / "job-1"
    assert verdicts(rundir)[-1]["interpreter"] == sys.executable
    chosen_by = "CHECKLINE_PYTHON" if way == "CHECKLINE_PYTHON" else "--python"
    log = (rundir / "actions" / "00-run-task.log").read_text()
    assert log.startswith(f"[check code runs under {sys.executable}: {chosen_by}]\n")


def test_the_formula_chooses_and_wins(script: Path, fixtures_dir: Path, tmp_path: Path) -> None:
    """Assert a formula's ``checkline: {python: ...}`` runs its check code under that
    interpreter, whatever --python and CHECKLINE_PYTHON say."""
    task = tmp_path / "task"
    shutil.copytree(fixtures_dir / "checks" / "libtaskotron-api", task)
    formula = task / "runtask.yml"
    formula.write_text(f"checkline:\n    python: {sys.executable}\n" + formula.read_text())
    rundir = runtask(
        script, formula, tmp_path / "runs", "--python", "/nowhere/python3",
        CHECKLINE_PYTHON="/nowhere/either",
    )  # fmt: skip
    assert verdicts(rundir)[-1]["interpreter"] == sys.executable


def test_a_missing_interpreter_is_an_execution_error(
    script: Path, fixtures_dir: Path, tmp_path: Path
) -> None:
    """Assert an interpreter that is not there ends the run with exit 2, naming it."""
    done = run(
        script / "runtask", "-i", NVR, "-t", "koji_build", "--uuid", "job-1",
        "--artifacts", str(tmp_path), "--python", "/opt/nowhere/python3",
        str(fixtures_dir / "checks" / "libtaskotron-api"),
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    message = (
        "the Python interpreter '/opt/nowhere/python3' (--python) does not exist or is not "
        "executable on this machine"
    )
    assert message in done.stderr
    execution = json.loads((tmp_path / "job-1" / "execution.json").read_text())
    assert (execution["status"], execution["exit_code"]) == ("CRASHED", 2)
    assert message in execution["message"]
    [crashed] = verdicts(tmp_path / "job-1")
    assert crashed["outcome"] == "CRASHED"
    assert message in crashed["summary"]
