"""The master's runtask command: the runner's one command line, rendered from a build."""

from __future__ import annotations

from typing import Any

from buildbot.process.properties import Properties

from checkline.master.settings import MasterSettings, Worker
from checkline.master.steps import RUNS_DIR, runtask_command
from checkline.runner.invocation import run_argv
from checkline.secrets import Secret


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
        runtask_command(settings),
        **job,
        taskname="dummy",
        buildername="x86_64",
        buildnumber=7,
        workername="local-worker",
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


def test_assert_a_workers_python_is_passed_on_its_builds_only() -> None:
    """Assert a worker's ``python`` setting becomes ``--python=`` on the builds it runs, and
    that a worker without one gets the runner's default (no flag)."""
    settings = MasterSettings(
        workers=(
            Worker("fedora", Secret("p"), python="/usr/bin/python3.13"),
            Worker("debian", Secret("p")),
        )
    )
    job = {"item": "x-1-1.fc40", "item_type": "koji_build", "arch": "x86_64", "uuid": "u-1"}
    build = {**job, "taskname": "dummy", "buildername": "x86_64", "buildnumber": 7}
    on_fedora = render(runtask_command(settings), **build, workername="fedora")
    on_debian = render(runtask_command(settings), **build, workername="debian")
    assert on_fedora == [*on_debian, "--python=/usr/bin/python3.13"]
    assert not any(arg.startswith("--python") for arg in on_debian)


def test_assert_a_workers_sandbox_and_network_are_passed_on_its_builds_only() -> None:
    """Assert a worker's ``sandbox`` and ``network = false`` settings become ``--sandbox=`` and
    ``--no-network`` on its builds, and a worker without them gets no flag."""
    settings = MasterSettings(
        workers=(
            Worker("boxed", Secret("p"), sandbox="bwrap", network=False),
            Worker("plain", Secret("p")),
        )
    )
    job = {"item": "x-1-1.fc40", "item_type": "koji_build", "arch": "x86_64", "uuid": "u-1"}
    build = {**job, "taskname": "dummy", "buildername": "x86_64", "buildnumber": 7}
    boxed = render(runtask_command(settings), **build, workername="boxed")
    plain = render(runtask_command(settings), **build, workername="plain")
    assert boxed == [*plain, "--sandbox=bwrap", "--no-network"]
