"""The RPM checks' formulas validate as `checkline run` loads them (no Koji needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from checkline.runner.formula import load_plan

KNOWN = {
    "item": "xchat-0.5-1.fc40",
    "item_type": "koji_build",
    "koji_build": "xchat-0.5-1.fc40",
    "arch": "x86_64",
    "uuid": "u1",
    "jobid": "-1",
    "workdir": "/tmp/w",
    "artifactsdir": "/tmp/a",
    "taskdir": "/tmp/t",
}


@pytest.mark.parametrize(
    ("check", "directives", "testcase"),
    [
        ("rpmlint", ["koji", "python", "results"], "dist.rpmlint"),
        ("python-versions", ["koji", "python", "results"], "dist.python-versions"),
    ],
)
def test_formula_loads(checks_dir: Path, check: str, directives: list[str], testcase: str) -> None:
    """Assert the formula validates: download with koji, inspect in Python, record results."""
    plan = load_plan(checks_dir / check / "runtask.yml", dict(KNOWN))
    assert [action.directive.name for action in plan.actions] == directives
    assert plan.testcase == testcase
    assert plan.actions[0].params["koji_build"] == "${koji_build}"
