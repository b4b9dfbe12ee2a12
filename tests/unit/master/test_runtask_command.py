"""The master's runtask command: the runner's one command line, rendered from a build."""

from __future__ import annotations

from typing import Any

from buildbot.process.properties import Properties

from checkline.master.settings import MasterSettings
from checkline.master.steps import RUNS_DIR, runtask_command
from checkline.runner.invocation import run_argv


def render(command: list[Any], **values: Any) -> list[str]:
    props = Properties()
    for name, value in values.items():
        props.setProperty(name, value, "test")
    rendered: list[list[str]] = []
    props.render(command).addCallback(rendered.append)  # no I/O: fires at once
    return rendered[0]


def test_assert_rendered_as_the_local_backend_builds_it() -> None:
    """Assert the runtask step's command, rendered from a build's properties, is the argv
    ``run_argv`` gives for the same plain values: each property one element, a hostile item
    kept whole."""
    job = {"item": "--help; $(id)", "item_type": "koji_build", "arch": "x86_64", "uuid": "u-1"}
    settings = MasterSettings(checkline="/opt/checkline/bin/checkline")
    rendered = render(
        runtask_command(settings), **job, taskname="dummy", buildername="x86_64", buildnumber=7
    )
    expected = run_argv(
        ["/opt/checkline/bin/checkline"],
        "checks/dummy",
        **job,
        jobid="x86_64/7",
        artifacts=RUNS_DIR,
    )
    assert rendered == expected
    assert "--item=--help; $(id)" in rendered
