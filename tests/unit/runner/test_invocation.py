"""``run_argv``: the ``checkline run`` command line of a job, one argv element per value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


def test_assert_values_rendered_later_go_through_concat() -> None:
    """Assert a value that is not a string (a scheduler's renderable) is joined by ``concat``,
    and refused without it rather than printed as its repr."""

    class Later:
        def __init__(self, name: str) -> None:
            self.name = name

    def concat(flag: str, value: Any) -> Any:
        return ("joined", flag, value.name if isinstance(value, Later) else value)

    values: dict[str, Any] = {key: Later(key) for key in JOB}
    argv = run_argv(["checkline"], Later("formula"), **values, artifacts="../runs", concat=concat)
    assert argv[2].name == "formula"
    assert argv[3:] == [
        ("joined", "--item=", "item"),
        ("joined", "--type=", "item_type"),
        ("joined", "--arch=", "arch"),
        ("joined", "--uuid=", "uuid"),
        ("joined", "--artifacts=", "../runs"),
    ]
    with pytest.raises(TypeError, match=r"--item=: .* is not a str; give concat"):
        run_argv(["checkline"], "f", **values, artifacts="a")
