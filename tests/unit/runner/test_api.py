"""run_job end to end in-process: the run directory, execution.json, and the three failures."""

from __future__ import annotations

import json
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

from checkline.reporting.tap import parse_tap
from checkline.runner.api import run_job
from checkline.runner.directives import Directive, DirectiveParams, DirectiveRegistry
from checkline.runner.directives.dummy import Dummy
from checkline.runner.errors import InputError, ItemNotFound, JobError
from checkline.runner.process import CancelToken


def make_input(**overrides: Any) -> dict[str, Any]:
    data = {"item": "xchat-0.5-1.fc20", "item_type": "koji_build", "arch": "x86_64", "uuid": "u1"}
    data.update(overrides)
    return data


def write_formula(tmp_path: Path, actions: str, extra: str = "") -> Path:
    task = tmp_path / "task"
    task.mkdir(exist_ok=True)
    path = task / "runtask.yml"
    body = textwrap.indent(textwrap.dedent(actions).strip(), "  ")
    path.write_text(f"name: demo\nnamespace: dist\n{extra}actions:\n{body}\n")
    return path


def read_run(rundir: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    execution = json.loads((rundir / "execution.json").read_text())
    parsed = parse_tap((rundir / "results.tap").read_text())
    assert parsed.problems == []
    return execution, parsed.verdicts


def test_execution_records_the_namespace(tmp_path: Path) -> None:
    """Assert execution.json records the formula's namespace beside its testcase, and null for
    a formula that did not load (its namespace is unknown)."""
    formula = write_formula(tmp_path, "- dummy: {outcome: PASSED}")
    execution, _ = read_run(run_job(make_input(), formula, artifacts=tmp_path / "art").rundir)
    assert (execution["testcase"], execution["namespace"]) == ("dist.demo", "dist")
    broken = write_formula(tmp_path, "- nosuch: {}")
    report = run_job(make_input(uuid="u2"), broken, artifacts=tmp_path / "art")
    assert (report.execution["testcase"], report.execution["namespace"]) == ("task", None)


def test_no_resultsdb_action_is_said_plainly(tmp_path: Path) -> None:
    """Assert a formula without a resultsdb action finishes (exit 0) with no verdict, and says
    so: execution.json's no_results and message, a WARNING in runner.log."""
    formula = write_formula(tmp_path, "- dummy: {outcome: PASSED}")
    report = run_job(make_input(), formula, artifacts=tmp_path / "art")
    assert report.exit_code == 0
    execution, verdicts = read_run(report.rundir)
    assert verdicts == []
    assert (execution["status"], execution["verdicts"], execution["no_results"]) == (
        "FINISHED",
        0,
        True,
    )
    assert execution["message"] == (
        "the check recorded no result: the formula has no resultsdb action to record one"
    )
    assert (
        "WARNING the check recorded no result: the formula has no resultsdb action"
        in (report.rundir / "runner.log").read_text()
    )


def test_a_check_returning_nothing_is_said_plainly(tmp_path: Path) -> None:
    """Assert a python check that returns None, fed to resultsdb, records nothing and the run
    says so (it used to crash: 'results are malformed: cannot read results from NoneType')."""
    formula = write_formula(
        tmp_path,
        """
        - python: {file: check.py, callable: run}
          export: out
        - resultsdb: {results: "${out}"}
        """,
    )
    (formula.parent / "check.py").write_text("def run():\n    print('forgot to return')\n")
    report = run_job(make_input(), formula, artifacts=tmp_path / "art")
    assert report.exit_code == 0
    execution, verdicts = read_run(report.rundir)
    assert (verdicts, execution["status"], execution["no_results"]) == ([], "FINISHED", True)
    assert execution["message"] == (
        "the check recorded no result: its resultsdb action got no verdict"
        " (did the check return nothing?)"
    )
    log = (report.rundir / "runner.log").read_text()
    assert "WARNING results: nothing to record (the results given are None" in log
    assert "WARNING the check recorded no result: its resultsdb action got no verdict" in log


def test_no_results_is_false_when_the_check_recorded_some(tmp_path: Path) -> None:
    """Assert no_results is false, and the message empty, for a run that recorded a verdict;
    true for a crashed run whose check recorded none (its one verdict is the crash's)."""
    formula = write_formula(tmp_path, '- dummy: {}\n  export: out\n- results: {results: "${out}"}')
    execution, _ = read_run(run_job(make_input(), formula, artifacts=tmp_path / "a").rundir)
    assert (execution["no_results"], execution["message"]) == (False, "")
    crash = write_formula(tmp_path, "- dummy: {crash: boom}")
    execution, verdicts = read_run(run_job(make_input(), crash, artifacts=tmp_path / "b").rundir)
    assert (execution["no_results"], execution["verdicts"]) == (True, 1)
    assert verdicts[0]["outcome"] == "CRASHED"
    assert execution["message"] == "actions[0] (dummy): boom"


def test_environment_recorded_and_logged(tmp_path: Path) -> None:
    """Assert execution.json records the formula's environment as given, the runner log lists
    it; {} without one, null for a formula that did not load."""
    formula = write_formula(
        tmp_path,
        "- dummy: {}",
        extra="environment:\n  rpm: [python3-dnf, rpmlint]\n  since: 2017-01-01\n",
    )
    report = run_job(make_input(), formula, artifacts=tmp_path / "art")
    execution, _ = read_run(report.rundir)
    assert execution["environment"] == {"rpm": ["python3-dnf", "rpmlint"], "since": "2017-01-01"}
    assert (
        "WARNING environment (recorded in execution.json; the local runner installs nothing): "
        "rpm: python3-dnf, rpmlint; since: datetime.date(2017, 1, 1)"
        in (report.rundir / "runner.log").read_text()
    )
    plain = write_formula(tmp_path, "- dummy: {}")
    assert (
        run_job(make_input(uuid="u2"), plain, artifacts=tmp_path / "art").execution["environment"]
        == {}
    )
    broken = write_formula(tmp_path, "- nosuch: {}", extra="environment: {rpm: [x]}\n")
    report = run_job(make_input(uuid="u3"), broken, artifacts=tmp_path / "art")
    assert json.loads((report.rundir / "execution.json").read_text())["environment"] is None


def test_finished_run_writes_everything(tmp_path: Path) -> None:
    """Assert a finished run writes results.tap, execution.json, runner.log and action logs."""
    formula = write_formula(
        tmp_path,
        """
        - name: verdict
          dummy: {outcome: FAILED, summary: "1 error"}
          export: out
        - name: record
          results: {results: "${out}"}
        """,
    )
    report = run_job(make_input(), formula, artifacts=tmp_path / "art")
    assert report.exit_code == 0  # a FAILED verdict is a result, not an error
    assert report.rundir == tmp_path / "art" / "u1"
    execution, verdicts = read_run(report.rundir)
    assert execution["execution_status"] == "OK"
    assert execution["status"] == "FINISHED"
    assert execution["uuid"] == "u1"
    assert execution["results"] == "results.tap"
    assert execution["testcase"] == "dist.demo"
    assert execution["worst_outcome"] == "FAILED"
    assert [a["status"] for a in execution["actions"]] == ["OK", "OK"]
    assert verdicts == [
        {
            "item": "xchat-0.5-1.fc20",
            "type": "koji_build",
            "checkname": "demo",
            "outcome": "FAILED",
            "arch": "x86_64",
            "summary": "1 error",
        }
    ]
    assert "recorded 1 verdict(s): demo FAILED" in (report.rundir / "runner.log").read_text()
    assert (report.rundir / "actions" / "00-verdict.log").exists()
    assert (report.rundir / "task_output").is_dir()


def test_exitcode_directive_sets_100(tmp_path: Path) -> None:
    """Assert the exitcode directive's 100 becomes the runner's exit code, run still OK."""
    formula = write_formula(
        tmp_path,
        """
        - dummy: {outcome: NEEDS_INSPECTION}
          export: out
        - exitcode: {result_worst: "${out}"}
        """,
    )
    report = run_job(make_input(), formula, artifacts=tmp_path)
    assert report.exit_code == 100
    assert report.execution["execution_status"] == "OK"


def test_execution_error_turns_recorded_verdicts_crashed(tmp_path: Path) -> None:
    """Assert a crash after a PASSED verdict leaves no PASSED behind, and names the action."""
    formula = write_formula(
        tmp_path,
        """
        - dummy: {}
          export: out
        - results: {results: "${out}"}
        - name: fetch
          shell: [[sh, -c, "echo downloading; exit 7"]]
        - name: never
          dummy: {}
        """,
    )
    report = run_job(make_input(), formula, artifacts=tmp_path)
    assert report.exit_code == 2
    execution, verdicts = read_run(report.rundir)
    assert execution["execution_status"] == "NOT_OK"
    assert execution["status"] == "CRASHED"
    assert execution["message"] == (
        "actions[2] (fetch): command 'sh' exited with status 7 (output in 02-fetch.log)"
    )
    assert [a["status"] for a in execution["actions"]] == ["OK", "OK", "CRASHED"]
    assert [(v["outcome"], v.get("original_outcome")) for v in verdicts] == [
        ("CRASHED", "PASSED"),
        ("CRASHED", None),
    ]
    assert verdicts[1]["summary"] == execution["message"]
    assert "downloading" in verdicts[1]["details"]["output"]


def test_timeout_is_an_execution_error(tmp_path: Path) -> None:
    """Assert an action past its timeout is killed and the run CRASHED."""
    formula = write_formula(tmp_path, "- shell: [[sleep, '30']]\n  timeout: 0.3\n")
    report = run_job(make_input(), formula, artifacts=tmp_path)
    assert report.exit_code == 2
    assert (
        report.execution["message"] == "actions[0] (shell): 'sleep' timed out after 0.3 s; killed"
    )


def test_cancel_aborts_the_run(tmp_path: Path) -> None:
    """Assert a cancel during an action records ABORTED verdicts and exits 2."""
    formula = write_formula(tmp_path, "- dummy: {sleep: 30}\n- dummy: {}\n")
    cancel = CancelToken()
    threading.Timer(0.2, cancel.cancel, args=("SIGTERM",)).start()
    report = run_job(make_input(), formula, artifacts=tmp_path, cancel=cancel)
    assert report.exit_code == 2
    execution, verdicts = read_run(report.rundir)
    assert execution["status"] == "ABORTED"
    assert execution["message"] == "actions[0] (dummy): cancelled by SIGTERM"
    assert [v["outcome"] for v in verdicts] == ["ABORTED"]


def test_job_error_runs_nothing_and_exits_3(tmp_path: Path) -> None:
    """Assert an invalid formula runs no action, exits 3 and leaves a CRASHED verdict."""
    marker = tmp_path / "ran"
    formula = write_formula(tmp_path, f"- shell: [[touch, {marker}]]\n- nosuch: {{}}\n")
    report = run_job(make_input(), formula, artifacts=tmp_path / "art")
    assert report.exit_code == 3
    assert not marker.exists()
    execution, verdicts = read_run(report.rundir)
    assert execution["status"] == "JOB_ERROR"
    assert execution["actions"] == []
    assert "unknown directive 'nosuch'" in execution["message"]
    assert verdicts[0]["outcome"] == "CRASHED"
    assert verdicts[0]["checkname"] == "task"  # the formula's folder: its name did not load


def test_bad_input_writes_nothing(tmp_path: Path) -> None:
    """Assert an unusable input raises InputError before any directory is created."""
    formula = write_formula(tmp_path, "- dummy: {}\n")
    with pytest.raises(InputError, match=r"uuid '\.\./escape' must be"):
        run_job(make_input(uuid="../escape"), formula, artifacts=tmp_path / "art")
    assert not (tmp_path / "art").exists()
    assert not (tmp_path / "escape").exists()


def test_existing_uuid_is_not_overwritten(tmp_path: Path) -> None:
    """Assert a second run with the same uuid is refused and the first run's files stay."""
    formula = write_formula(tmp_path, "- dummy: {}\n  export: o\n- results: {results: '${o}'}\n")
    first = run_job(make_input(), formula, artifacts=tmp_path)
    before = (first.rundir / "execution.json").read_text()
    with pytest.raises(JobError, match="already exist"):
        run_job(make_input(), formula, artifacts=tmp_path)
    assert (first.rundir / "execution.json").read_text() == before


def test_fresh_uuid_when_none_given(tmp_path: Path) -> None:
    """Assert a run without a uuid gets a fresh one, used for its directory."""
    formula = write_formula(tmp_path, "- dummy: {}\n")
    report = run_job(make_input(uuid=None), formula, artifacts=tmp_path)
    assert report.rundir.name == report.execution["uuid"]
    assert len(report.execution["uuid"]) == 36


def test_formula_from_input_dict(tmp_path: Path) -> None:
    """Assert the runner-input dict may carry the formula path itself."""
    formula = write_formula(tmp_path, "- dummy: {}\n")
    report = run_job(make_input(formula=str(formula)), artifacts=tmp_path)
    assert report.execution["formula"] == str(formula)


def test_artifact_outside_run_dir_is_an_execution_error(tmp_path: Path) -> None:
    """Assert a result whose artifact escapes the run directory crashes the run, clearly."""
    formula = write_formula(
        tmp_path,
        """
        - results:
            results: {results: [{item: x, type: koji_build, outcome: PASSED,
                                 artifact: ../../../etc/passwd}]}
        """,
    )
    report = run_job(make_input(), formula, artifacts=tmp_path)
    assert report.exit_code == 2
    assert "artifact '../../../etc/passwd' resolves to" in report.execution["message"]


def test_runtime_type_mismatch_is_an_execution_error(tmp_path: Path) -> None:
    """Assert an export of the wrong type, found only at run time, crashes the run."""
    formula = write_formula(
        tmp_path, "- shell: [[echo, not-a-number]]\n  export: n\n- dummy: {sleep: '${n}'}\n"
    )
    report = run_job(make_input(), formula, artifacts=tmp_path)
    assert report.exit_code == 2
    assert report.execution["message"] == (
        "actions[1] (dummy): parameters after substitution: sleep: must be a number, 'str' found"
    )


class BuggyParams(DirectiveParams):
    pass


class Buggy(Directive[BuggyParams]):
    name = "buggy"
    Params = BuggyParams

    def run(self, params: BuggyParams, ctx: Any) -> None:
        raise ZeroDivisionError("a bug")


def test_a_bug_is_crashed_with_traceback(tmp_path: Path) -> None:
    """Assert an unexpected exception is CRASHED, with its traceback in the runner log."""
    registry = DirectiveRegistry()
    registry.register(Dummy)
    registry.register(Buggy)
    formula = write_formula(tmp_path, "- buggy: {}\n")
    report = run_job(make_input(), formula, artifacts=tmp_path, registry=registry)
    assert report.exit_code == 2
    assert report.execution["message"] == (
        "actions[0] (buggy): internal error: ZeroDivisionError: a bug"
    )
    log = (report.rundir / "runner.log").read_text()
    assert "Traceback (most recent call last)" in log


@pytest.mark.parametrize(
    "item", ["foo;touch MARKER", "$(touch MARKER)", "`touch MARKER`", "${uuid}", "$$", "-rf --help"]
)
def test_item_is_data_whatever_the_directive(
    tmp_path: Path, item: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Assert a message-supplied item reaches shell and python directives as one literal value."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "task").mkdir()
    (tmp_path / "task" / "echo.py").write_text("def run(value):\n    return value\n")
    formula = write_formula(
        tmp_path,
        """
        - shell: ["printf %s ${item}"]
          export: from_string
        - shell: [[printf, "%s", "${koji_build}"]]
          export: from_list
        - python: {file: echo.py, callable: run, value: "${item}"}
          export: from_python
        - dummy: {summary: "${from_string}|${from_list}|${from_python}"}
          export: summary
        - results: {results: "${summary}"}
        """,
    )
    report = run_job(make_input(item=item), formula, artifacts=tmp_path / "art")
    assert report.exit_code == 0, report.execution["message"]
    _, verdicts = read_run(report.rundir)
    assert verdicts[0]["summary"] == f"{item}|{item}|{item}"
    assert not list(tmp_path.rglob("MARKER"))


class Missing(Directive[DirectiveParams]):
    name = "missing"
    Params = DirectiveParams

    def run(self, params: DirectiveParams, ctx: Any) -> Any:
        raise ItemNotFound(f"Koji build {ctx.run.item!r} does not exist")


def test_job_error_while_running_exits_3(tmp_path: Path) -> None:
    """Assert a directive's JobError (a missing item) ends the run JOB_ERROR, exit 3, no retry."""
    registry = DirectiveRegistry()
    registry.register(Dummy)
    registry.register(Missing)
    formula = write_formula(tmp_path, "- dummy: {}\n- name: fetch\n  missing: {}\n- dummy: {}\n")
    report = run_job(make_input(), formula, artifacts=tmp_path, registry=registry)
    assert report.exit_code == 3
    execution, verdicts = read_run(report.rundir)
    assert execution["execution_status"] == "NOT_OK"
    assert execution["status"] == "JOB_ERROR"
    assert execution["message"] == (
        "actions[1] (fetch): Koji build 'xchat-0.5-1.fc20' does not exist"
    )
    assert [a["status"] for a in execution["actions"]] == ["OK", "JOB_ERROR"]
    assert [v["outcome"] for v in verdicts] == ["CRASHED"]
    assert verdicts[0]["summary"] == execution["message"]
