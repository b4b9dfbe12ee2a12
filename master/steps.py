"""The steps of a Checkline build: reserve the artifacts, clone, run, upload, report.

* **reserve** (on the master): check the job's properties (``master.jobs``) and create
  ``<artifacts_dir>/<uuid>``; a uuid that already has artifacts is refused, never overwritten
  (Taskotron's issue 273), and the build says so (property ``duplicate_uuid``); the same
  build request run again by Buildbot (its worker was lost) gets the folder back, emptied.
* **clone** the checks repo, shallow, into the build's folder; **clear** the run's folder on
  the worker (a request Buildbot runs again after losing its worker may have left one).
* **runtask** on the worker, every property one argv element (never a shell string). The
  runner's exit code colours the build: 0 success, 100 (a failing check) failure, 2 (an
  execution error) and 3 (a job error) exception. Buildbot cancels with SIGTERM first, so the
  runner records ABORTED results before it is killed.
* **upload** the run's directory into ``<artifacts_dir>/<uuid>`` (always, even after a failure
  or a cancel).
* **report**: ``checkline report`` with the log URL base and the build's page as the group's
  ``ref_url`` (always). Its spool lives beside the worker's runs, so the next build flushes it.
* **cleanup** the run's directory on the worker (once reported, and only when the upload
  succeeded: otherwise it stays on the worker).
"""

from __future__ import annotations

import os
from typing import Any

from buildbot.plugins import steps, util
from buildbot.process import buildstep
from buildbot.process.results import EXCEPTION, FAILURE, SKIPPED, SUCCESS, WARNINGS
from twisted.internet import defer

from .jobs import (
    JOB_PROPERTIES,
    JobPropertiesError,
    Reservation,
    artifacts_path,
    job_from_properties,
    reserve_artifacts,
)
from .settings import MasterSettings

__all__ = ["RUNNER_RESULTS", "ReserveArtifacts", "build_factory"]

#: The runner's exit codes (runner.executor.ExitCode) as build results.
RUNNER_RESULTS = {0: SUCCESS, 100: FAILURE, 2: EXCEPTION, 3: EXCEPTION}
#: ``checkline report``'s exit codes: 75 spooled (posted by a later report), 65 refused.
REPORT_RESULTS = {0: SUCCESS, 75: WARNINGS, 65: FAILURE}
#: Seconds between Buildbot's SIGTERM and its SIGKILL when a build is cancelled: the runner
#: stops the action (SIGTERM, SIGKILL 5 s later) and writes its ABORTED results in that time.
CANCEL_GRACE = 15
#: Report attempts before spooling: the backoff then covers a ResultsDB outage of 28 s at least
#: (see reporting.deliver.RetryPolicy); a longer one is spooled, and the worker's next report
#: posts it.
REPORT_ATTEMPTS = 10
#: Where runs write on the worker, beside (not inside) the clone that every build wipes.
RUNS_DIR = "../runs"


class ReserveArtifacts(buildstep.BuildStep):  # type: ignore[misc]
    """Check the job's properties and create its artifacts folder on the master."""

    name = "reserve artifacts"
    haltOnFailure = True
    flunkOnFailure = True

    def __init__(self, artifacts_dir: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.artifacts_dir = artifacts_dir

    @defer.inlineCallbacks
    def run(self) -> Any:
        props = {name: self.getProperty(name) for name in JOB_PROPERTIES}
        try:
            job = job_from_properties(props)
            path = artifacts_path(self.artifacts_dir, job["uuid"])
        except JobPropertiesError as err:
            yield self.addCompleteLog("error", f"{err}\n")
            self.descriptionDone = ["bad job properties"]
            return FAILURE
        request_id = self.build.requests[0].id if self.build.requests else 0
        reservation = reserve_artifacts(path, request_id)
        if reservation is Reservation.DUPLICATE:
            message = (
                f"artifacts of job {job['uuid']} already exist in {path}: this build is a "
                "duplicate and overwrites nothing (Taskotron issue 273)\n"
            )
            yield self.addCompleteLog("error", message)
            self.setProperty("duplicate_uuid", True, "ReserveArtifacts")
            self.descriptionDone = ["duplicate uuid: not run"]
            return FAILURE
        if reservation is Reservation.RETRY:
            yield self.addCompleteLog(
                "retry", f"build request {request_id} runs again: its earlier artifacts go\n"
            )
            self.setProperty("retried_request", True, "ReserveArtifacts")
        self.setProperty("artifacts_reserved", True, "ReserveArtifacts")
        self.descriptionDone = [f"artifacts {job['uuid']}"]
        return SUCCESS


def _reserved(step: Any) -> bool:
    """Only a build whose properties were checked and whose folder is its own may upload,
    report or clean up: those steps run even after a failure, properties in their paths."""
    return bool(step.getProperty("artifacts_reserved"))


def _uploaded(step: Any) -> bool:
    """The run's folder on the worker goes only once its copy is on the master: after a failed
    upload it stays, for someone to fetch (nothing lost)."""
    return _reserved(step) and any(
        done.name == "upload artifacts" and done.results == SUCCESS
        for done in step.build.executedSteps
    )


@util.renderer  # type: ignore[untyped-decorator]
def build_url(props: Any) -> Any:
    """The build's page, ``{buildbotURL}#/builders/{id}/builds/{number}`` (a Deferred)."""
    return props.getBuild().getUrl()


def build_factory(settings: MasterSettings) -> util.BuildFactory:
    prop = util.Property
    run_dir = util.Interpolate(f"{RUNS_DIR}/%(prop:uuid)s")
    factory = util.BuildFactory()
    factory.addStep(ReserveArtifacts(settings.artifacts_dir))
    factory.addStep(
        steps.Git(
            name="clone checks",
            repourl=settings.checks_repo,
            branch=settings.checks_branch,
            mode="full",
            method="clobber",
            shallow=True,
            logEnviron=False,
            haltOnFailure=True,
        )
    )
    factory.addStep(
        steps.RemoveDirectory(
            name="clear run folder",  # a retried request's dead attempt may have left one
            dir=util.Interpolate("runs/%(prop:uuid)s"),  # RUNS_DIR, from the builder's folder
            # Only then: a fresh uuid has no folder, and every step costs the master and the
            # worker a round trip (see bench/README.md, end to end).
            doStepIf=lambda step: _reserved(step) and bool(step.getProperty("retried_request")),
            hideStepIf=lambda results, step: results in (SUCCESS, SKIPPED),
        )
    )
    factory.addStep(
        steps.ShellCommand(
            name="runtask",
            command=[
                settings.checkline,
                "run",
                util.Interpolate("checks/%(prop:taskname)s"),
                "-i",
                prop("item"),
                "-t",
                prop("item_type"),
                "-a",
                prop("arch"),
                "--uuid",
                prop("uuid"),
                "-j",
                util.Interpolate("%(prop:buildername)s/%(prop:buildnumber)s"),
                "--artifacts",
                RUNS_DIR,
            ],
            env=dict(settings.task_env),
            decodeRC=RUNNER_RESULTS,
            sigtermTime=CANCEL_GRACE,
            timeout=settings.task_timeout,
            logEnviron=False,
        )
    )
    factory.addStep(
        steps.DirectoryUpload(
            name="upload artifacts",
            workersrc=run_dir,
            masterdest=util.Interpolate(
                os.path.join(os.path.abspath(settings.artifacts_dir), "%(prop:uuid)s")
            ),
            alwaysRun=True,
            doStepIf=_reserved,
        )
    )
    report_env = {"CHECKLINE_RESULTSDB_TOKEN": settings.resultsdb_token}
    factory.addStep(
        steps.ShellCommand(
            name="report",
            command=[
                settings.checkline,
                "report",
                util.Interpolate(f"{RUNS_DIR}/%(prop:uuid)s/results.tap"),
                "--resultsdb",
                settings.resultsdb_url,
                "--artifacts-dir",
                run_dir,
                "--artifacts-url",
                settings.artifacts_url,
                "--job-url",
                build_url,
                "--uuid",
                prop("uuid"),
                "--taskname",
                prop("taskname"),
                "-i",
                prop("item"),
                "-t",
                prop("item_type"),
                "-a",
                prop("arch"),
                "--spool",
                f"{RUNS_DIR}/.report-spool",
                "--attempts",
                str(REPORT_ATTEMPTS),
            ],
            env=report_env if settings.resultsdb_token else {},
            decodeRC=REPORT_RESULTS,
            alwaysRun=True,
            doStepIf=_reserved,
            logEnviron=False,
        )
    )
    factory.addStep(
        steps.RemoveDirectory(
            name="cleanup",
            dir=util.Interpolate("runs/%(prop:uuid)s"),  # RUNS_DIR, from the builder's folder
            alwaysRun=True,
            doStepIf=_uploaded,
            hideStepIf=lambda results, step: results == SUCCESS,
        )
    )
    return factory
