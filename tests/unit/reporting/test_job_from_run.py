"""``job_from_run``: the job reported, from the run directory's execution.json and the options."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checkline.reporting.mapping import ReportedRun
from checkline.reporting.report import ReportError, job_from_run


def write_execution(rundir: Path, **fields: str) -> Path:
    rundir.mkdir(parents=True, exist_ok=True)
    (rundir / "execution.json").write_text(json.dumps(fields))
    return rundir


def test_assert_the_record_wins(tmp_path: Path) -> None:
    """Assert execution.json's testcase (the formula's namespace.name) wins over the option,
    which only fills what the record lacks."""
    rundir = write_execution(tmp_path / "u1", uuid="u1", testcase="dist.rpmlint", item="x-1-1")
    job = job_from_run(rundir, testcase="rpmlint", item_type="koji_build", job_url="http://b/1")
    assert job == ReportedRun(
        uuid="u1",
        testcase="dist.rpmlint",
        item="x-1-1",
        item_type="koji_build",
        job_url="http://b/1",
    )


def test_assert_an_older_runners_taskname_is_its_testcase(tmp_path: Path) -> None:
    """Assert a run directory written before the runner said "testcase" (its execution.json
    has "taskname": "dist.rpmlint") is reported under that testcase."""
    rundir = write_execution(tmp_path / "u2", uuid="u2", taskname="dist.rpmlint", arch="x86_64")
    job = job_from_run(rundir, testcase="rpmlint")
    assert (job.uuid, job.testcase, job.arch) == ("u2", "dist.rpmlint", "x86_64")


def test_assert_options_alone_without_a_record(tmp_path: Path) -> None:
    """Assert a run that left no execution.json is known by the options; no uuid is an error
    naming both ways to give one."""
    job = job_from_run(tmp_path / "never-started", uuid="u3", testcase="dist.dummy")
    assert (job.uuid, job.testcase) == ("u3", "dist.dummy")
    with pytest.raises(ReportError, match="give --uuid, or --run-dir with the run's execution"):
        job_from_run(None, testcase="dist.dummy")


def test_assert_the_recorded_namespace_is_kept(tmp_path: Path) -> None:
    """Assert execution.json's namespace is the job's (a formula named with a dot,
    python.versions in dist, is not taken for namespace dist.python); without one, None."""
    rundir = write_execution(
        tmp_path / "u4", uuid="u4", testcase="dist.python.versions", namespace="dist"
    )
    job = job_from_run(rundir)
    assert (job.namespace, job.checkname_namespace) == ("dist", "dist")
    older = job_from_run(write_execution(tmp_path / "u5", uuid="u5", testcase="dist.rpmlint"))
    assert (older.namespace, older.checkname_namespace) == (None, "dist")
