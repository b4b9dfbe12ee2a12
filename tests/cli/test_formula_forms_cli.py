"""Taskotron formula forms through the real entry points, each run three ways: ``checkline run``
with flags, ``checkline run --input JOB.json`` and ``runtask``: they behave the same."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest

from checkline.reporting.tap import parse_tap

WAYS = ["checkline-run", "checkline-run-input", "runtask"]
ITEM = "foo-1.0-1.fc40"


def write_check(tmp_path: Path, formula: str) -> Path:
    check = tmp_path / "check"
    check.mkdir()
    (check / "runtask.yml").write_text(textwrap.dedent(formula))
    return check


def invoke(way: str, script: Path, check: Path, tmp_path: Path, uuid: str) -> Any:
    """Run ``check`` for ITEM one of the three ways; return the process and the run directory."""
    artifacts = tmp_path / "artifacts"
    if way == "checkline-run":
        argv = [script / "checkline", "run", check, "-i", ITEM, "-t", "koji_build",
                "--uuid", uuid, "--artifacts", artifacts]  # fmt: skip
    elif way == "checkline-run-input":
        job = tmp_path / f"{uuid}.json"
        job.write_text(json.dumps({"item": ITEM, "item_type": "koji_build", "uuid": uuid}))
        argv = [script / "checkline", "run", check, "--input", job, "--artifacts", artifacts]
    else:
        argv = [script / "runtask", "-i", ITEM, "-t", "koji_build", "--uuid", uuid,
                "--artifacts", artifacts, check / "runtask.yml"]  # fmt: skip
    done = subprocess.run(
        [str(arg) for arg in argv], capture_output=True, text=True, timeout=60, check=False
    )
    return done, artifacts / uuid


SHELL_FORMS = """\
    name: modulemd
    namespace: dist
    actions:
      - name: run commands
        shell:
          - [sh, -c, 'echo plain']
          - ignorereturn: sh -c 'echo string-form; exit 1'
          - ignorereturn: [sh, -c, 'echo argv-form; exit 2']
          - ignorereturn:
              - [sh, -c, 'echo nested-form; exit 3']
        export: out
      - name: record
        resultsdb:
          results:
            - {item: "${koji_build}", type: koji_build, outcome: PASSED, summary: "${out}"}
"""


@pytest.mark.parametrize("way", WAYS)
def test_shell_ignorereturn_forms_run(way: str, script: Path, tmp_path: Path) -> None:
    """Assert libtaskotron's shell forms validate and run: the ignored commands' non-zero exits
    do not fail the run, each one's output is in the action log, the last one's is exported."""
    done, rundir = invoke(way, script, write_check(tmp_path, SHELL_FORMS), tmp_path, "sh-1")
    assert done.returncode == 0, done.stderr
    execution = json.loads((rundir / "execution.json").read_text())
    assert (execution["status"], execution["verdicts"]) == ("FINISHED", 1)
    log = (rundir / "actions" / "00-run-commands.log").read_text()
    for output, status in [("plain", 0), ("string-form", 1), ("argv-form", 2), ("nested-form", 3)]:
        assert f"\n{output}\n[exit status {status}]\n" in f"\n{log}"
    [verdict] = parse_tap((rundir / "results.tap").read_text()).verdicts
    assert verdict["summary"] == "nested-form"
    assert "command 'sh' exited with status 3; ignored (ignorereturn)" in done.stderr


@pytest.mark.parametrize("way", WAYS)
def test_shell_failing_plain_command_is_an_execution_error(
    way: str, script: Path, tmp_path: Path
) -> None:
    """Assert a failing command that is not ignored ends the run CRASHED (exit 2), naming it."""
    check = write_check(
        tmp_path,
        """\
        name: modulemd
        namespace: dist
        actions:
          - name: run commands
            shell:
              - ignorereturn: [sh, -c, 'exit 1']
              - [sh, -c, 'exit 4']
        """,
    )
    done, rundir = invoke(way, script, check, tmp_path, "sh-2")
    assert done.returncode == 2, done.stderr
    execution = json.loads((rundir / "execution.json").read_text())
    assert execution["status"] == "CRASHED"
    assert execution["message"] == (
        "actions[0] (run commands): command 'sh' exited with status 4"
        " (output in 00-run-commands.log)"
    )


NO_RESULTDB_ACTION = """\
    name: silent
    namespace: dist
    actions:
      - name: check something
        shell: [[sh, -c, 'echo checked']]
"""

RETURNS_NOTHING = """\
    name: silent
    namespace: dist
    actions:
      - name: run the check
        python: {file: check.py, callable: run, koji_build: "${koji_build}"}
        export: out
      - name: report
        resultsdb: {results: "${out}"}
"""


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize(
    ("formula", "why"),
    [
        (NO_RESULTDB_ACTION, "the formula has no resultsdb action to record one"),
        (RETURNS_NOTHING, "its resultsdb action got no verdict (did the check return nothing?)"),
    ],
    ids=["no-resultsdb-action", "check-returns-none"],
)
def test_a_run_that_records_nothing_says_so(
    way: str, script: Path, tmp_path: Path, formula: str, why: str
) -> None:
    """Assert a run that records no result finishes (exit 0) and says so plainly: in
    execution.json (no_results, message) and as a WARNING in the log and on stderr."""
    check = write_check(tmp_path, formula)
    (check / "check.py").write_text("def run(koji_build):\n    print('checked', koji_build)\n")
    done, rundir = invoke(way, script, check, tmp_path, "none-1")
    assert done.returncode == 0, done.stderr
    execution = json.loads((rundir / "execution.json").read_text())
    message = f"the check recorded no result: {why}"
    assert {k: execution[k] for k in ("status", "verdicts", "no_results", "message")} == {
        "status": "FINISHED",
        "verdicts": 0,
        "no_results": True,
        "message": message,
    }
    assert f"WARNING {message}" in (rundir / "runner.log").read_text()
    assert f"WARNING {message}" in done.stderr


@pytest.mark.parametrize("way", WAYS)
def test_environment_is_recorded_and_listed(way: str, script: Path, tmp_path: Path) -> None:
    """Assert a formula's ``environment: rpm: [...]`` is recorded in execution.json as given
    and listed in the log (the local runner installs nothing)."""
    check = write_check(
        tmp_path,
        """\
        name: python-versions
        namespace: dist
        environment:
          rpm: [rpm-python, python2-dnf, python-bugzilla]
        actions:
          - dummy: {}
            export: out
          - resultsdb: {results: "${out}"}
        """,
    )
    done, rundir = invoke(way, script, check, tmp_path, "env-1")
    assert done.returncode == 0, done.stderr
    execution = json.loads((rundir / "execution.json").read_text())
    assert execution["environment"] == {"rpm": ["rpm-python", "python2-dnf", "python-bugzilla"]}
    line = (
        "environment (recorded in execution.json; the local runner installs nothing): "
        "rpm: rpm-python, python2-dnf, python-bugzilla"
    )
    assert line in (rundir / "runner.log").read_text()
    assert line in done.stderr
