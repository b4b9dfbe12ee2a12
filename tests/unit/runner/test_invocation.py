"""``run_argv``: the ``checkline run`` command line of a job, one argv element per value."""

from __future__ import annotations

from pathlib import Path

import pytest

from checkline.runner.cli import run_command
from checkline.runner.invocation import run_argv

JOB = {"item": "xchat-0.5-1.fc20", "item_type": "koji_build", "arch": "x86_64", "uuid": "u-1"}


def test_assert_the_command_line() -> None:
    """Assert the command, ``run``, the formula, then each value joined to its flag."""
    argv = run_argv(["/venv/bin/checkline"], "checks/dummy", **JOB, artifacts="/srv/runs")
    assert argv == [
        "/venv/bin/checkline",
        "run",
        "checks/dummy",
        "--item=xchat-0.5-1.fc20",
        "--type=koji_build",
        "--arch=x86_64",
        "--uuid=u-1",
        "--artifacts=/srv/runs",
    ]
    with_jobid = run_argv(["py", "-m", "x"], "f.yml", **JOB, artifacts="a", jobid="x86_64/7")
    assert with_jobid[:4] == ["py", "-m", "x", "run"]
    assert with_jobid[-2:] == ["--jobid=x86_64/7", "--artifacts=a"]


@pytest.mark.parametrize("item", ["--help; $(touch /tmp/x) `id`", "-x", "--", "a b\tc", "é'\""])
def test_assert_the_runner_reads_back_each_value(item: str, tmp_path: Path) -> None:
    """Assert ``checkline run``'s own parser reads every value back exactly, a hostile item
    (an option, ``--``, spaces, quotes) included: one element, never an option."""
    argv = run_argv(
        ["checkline"],
        str(tmp_path / "runtask.yml"),
        **{**JOB, "item": item},
        artifacts=str(tmp_path / "runs"),
        jobid="b/1",
    )
    context = run_command.make_context("run", [str(arg) for arg in argv[2:]])
    assert {key: context.params[key] for key in ("item", "item_type", "arch", "uuid")} == {
        **JOB,
        "item": item,
    }
    assert context.params["jobid"] == "b/1"
    assert context.params["formula"] == tmp_path / "runtask.yml"
    assert context.params["artifacts"] == tmp_path / "runs"


def test_assert_python_is_passed_when_chosen(tmp_path: Path) -> None:
    """Assert ``python`` becomes ``--python=`` last (the runner reads it back), and that no
    python, or an empty one, adds nothing: the runner's default then chooses."""
    argv = run_argv(["checkline"], "f.yml", **JOB, artifacts="a", python="/usr/bin/python3.12")
    assert argv[-1] == "--python=/usr/bin/python3.12"
    context = run_command.make_context("run", argv[2:])
    assert context.params["python"] == "/usr/bin/python3.12"
    for python in (None, ""):
        assert not any(
            a.startswith("--python")
            for a in run_argv(["c"], "f", **JOB, artifacts="a", python=python)
        )


def test_assert_values_must_be_rendered_first() -> None:
    """Assert a value that is not a string (a scheduler's renderable not rendered yet) is
    refused rather than printed as its repr."""

    class Later:
        pass

    with pytest.raises(TypeError, match=r"--item=: .* is not a str"):
        run_argv(["checkline"], "f", **{**JOB, "item": Later()}, artifacts="a")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"formula: .* is not a str"):
        run_argv(["checkline"], Later(), **JOB, artifacts="a")  # type: ignore[arg-type]


def test_sandbox_and_no_network_are_passed() -> None:
    argv = run_argv(
        ["checkline"],
        "checks/dummy",
        item="x",
        item_type="koji_build",
        arch="noarch",
        uuid="u",
        artifacts="runs",
        sandbox="bwrap",
        network=False,
    )
    assert argv[-2:] == ["--sandbox=bwrap", "--no-network"]
    plain = run_argv(["checkline"], "c", item="x", item_type="t", arch="a", uuid="u", artifacts="r")
    assert not any(arg.startswith(("--sandbox", "--no-network")) for arg in plain)
