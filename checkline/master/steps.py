"""The steps of a Checkline build: reserve the artifacts, clone, run, upload, report.

* **reserve** (on the master): check the job's properties (``.jobs``) and create
  ``<artifacts_root>/<uuid>``; a uuid that already has artifacts is refused, never overwritten
  (Taskotron's issue 273), and the build says so (property ``duplicate_uuid``); the same
  build request run again by Buildbot (its worker was lost) gets the folder back, emptied.
* **clone** the checks repo, shallow, into an emptied build folder; for a request Buildbot
  runs again (its worker was lost) the run's folder on the worker goes too (the dead
  attempt's). One step of two remote commands: Buildbot's Git step spends five (version,
  patch stat, rmdir, clone, rev-parse) and the skipped "clear" step another transition:
  0.36 s of a job's 1.37 s from publish to result, against 0.13 s for this step
  (bench/README.md, end to end, "History").
* **runtask** on the worker: ``checkline run checks/<taskname> --item=...``, the command line
  ``checkline.runner.invocation`` builds for the local backend too, every property one argv
  element (never a shell string), with ``--python=`` when the worker has a ``python``
  setting. The runner's exit code colours the build: 0 success, 100
  (a failing check) failure, and 2 (an execution error) and 3 (a job error) failure too,
  with the property ``runner_exit`` and "execution error" or "job error" in the step's
  summary (the trigger records those jobs CRASHED). Never EXCEPTION: Buildbot puts the
  worker of an EXCEPTION build in quarantine, 10 s and doubling up to an hour, so one broken
  check or hostile item would stall every check on that worker. Buildbot cancels with
  SIGTERM first, so the runner records ABORTED results before it is killed.
* **upload** the run's directory into ``<artifacts_root>/<uuid>`` (always, even after a failure
  or a cancel); the master unpacks nothing that lands or points outside ``<uuid>`` (a symlink
  a check planted is dropped, ``.artifacts``), and the step's log names what it dropped.
* **report** (on the master, ``.reports``): the uploaded run into ResultsDB, with the
  artifacts URL for log links and the build's page as the group's ``ref_url`` (always).
* **cleanup** the run's directory on the worker (once reported, and only when the upload
  succeeded: otherwise it stays on the worker).
"""

from __future__ import annotations

import os
from typing import Any

from buildbot.plugins import steps, util
from buildbot.process import buildstep, remotetransfer
from buildbot.process.results import FAILURE, SUCCESS
from buildbot.steps.transfer import makeStatusRemoteCommand
from twisted.internet import defer

from checkline.contracts import ExitCode
from checkline.runner.invocation import run_argv

from . import artifacts
from .jobs import (
    JOB_PROPERTIES,
    JobPropertiesError,
    Reservation,
    artifacts_path,
    job_from_properties,
    reserve_artifacts,
)
from .reports import in_report_thread, report_run
from .settings import MasterSettings

__all__ = [
    "RUNNER_RESULTS",
    "ArtifactsWriter",
    "CloneChecks",
    "ReportResults",
    "ReserveArtifacts",
    "RunTask",
    "UploadArtifacts",
    "build_factory",
    "runtask_command",
]

#: The runner's exit codes (checkline.contracts.ExitCode) as build results.
RUNNER_RESULTS = {
    ExitCode.OK: SUCCESS,
    ExitCode.VERDICT_FAILED: FAILURE,
    ExitCode.EXECUTION_ERROR: FAILURE,
    ExitCode.JOB_ERROR: FAILURE,
}
#: What the runner's exit code says beyond the build's colour (``runner_exit`` keeps it).
RUNNER_SUMMARIES = {
    ExitCode.VERDICT_FAILED: "check failed",
    ExitCode.EXECUTION_ERROR: "execution error",
    ExitCode.JOB_ERROR: "job error",
}
#: Seconds between Buildbot's SIGTERM and its SIGKILL when a build is cancelled: the runner
#: stops the action (SIGTERM, SIGKILL 5 s later) and writes its ABORTED results in that time.
CANCEL_GRACE = 15
#: Where runs write on the worker, beside (not inside) the clone that every build wipes.
RUNS_DIR = "../runs"


class ReserveArtifacts(buildstep.BuildStep):  # type: ignore[misc]
    """Check the job's properties and create its artifacts folder on the master."""

    name = "reserve artifacts"
    haltOnFailure = True
    flunkOnFailure = True

    def __init__(self, artifacts_root: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.artifacts_root = artifacts_root

    @defer.inlineCallbacks
    def run(self) -> Any:
        props = {name: self.getProperty(name) for name in JOB_PROPERTIES}
        try:
            job = job_from_properties(props)
            path = artifacts_path(self.artifacts_root, job["uuid"])
        except JobPropertiesError as err:
            # A job error, not a verdict: the property job_refused makes the trigger's ledger
            # record it CRASHED. FAILURE, not EXCEPTION, which would quarantine the worker.
            yield self.addCompleteLog("error", f"{err}\n")
            self.setProperty("job_refused", str(err), "ReserveArtifacts")
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


class RunTask(steps.ShellCommand):  # type: ignore[misc]
    """``checkline run`` on the worker: its exit code colours the build (``RUNNER_RESULTS``)
    and is kept as the property ``runner_exit``, which the trigger reads (2 and 3: CRASHED)."""

    @defer.inlineCallbacks
    def run(self) -> Any:
        cmd = yield self.makeRemoteShellCommand()
        yield self.runCommand(cmd)
        if cmd.rc is not None and not cmd.interrupted:
            self.setProperty("runner_exit", cmd.rc, "RunTask")
            if cmd.rc in RUNNER_SUMMARIES:
                self.descriptionDone = [RUNNER_SUMMARIES[cmd.rc]]
        return cmd.results()


class CloneChecks(buildstep.ShellMixin, buildstep.CommandMixin, buildstep.BuildStep):  # type: ignore[misc]
    """Empty the build folder (and a retried request's run folder), then clone the checks
    repo's branch into it, shallow: ``git clone --depth 1 --branch B -- URL .``."""

    name = "clone checks"
    haltOnFailure = True
    flunkOnFailure = True

    def __init__(self, repourl: str, branch: str, **kwargs: Any) -> None:
        kwargs = self.setupShellMixin(kwargs, prohibitArgs=["command"])
        super().__init__(**kwargs)
        self.repourl = repourl
        self.branch = branch

    @defer.inlineCallbacks
    def run(self) -> Any:
        stale = [self.workdir]  # relative to the builder's folder, as RemoveDirectory's
        if self.getProperty("retried_request"):  # set only once the uuid was checked
            stale.append(f"runs/{self.getProperty('uuid')}")  # RUNS_DIR, from there
        yield self.runRmdir(stale)  # the worker takes a list (pb.py)
        command = ["git", "clone", "--depth", "1", "--branch", self.branch, "--", self.repourl, "."]
        clone = yield self.makeRemoteShellCommand(command=command)
        yield self.runCommand(clone)
        return clone.results()


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


class ReportResults(buildstep.BuildStep):  # type: ignore[misc]
    """Report the uploaded run to ResultsDB from the master (see ``.reports``)."""

    name = "report"
    flunkOnFailure = True
    warnOnWarnings = True

    def __init__(self, settings: MasterSettings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings

    @defer.inlineCallbacks
    def run(self) -> Any:
        props = {name: self.getProperty(name) for name in JOB_PROPERTIES}
        job_url = yield self.build.getUrl()  # the group's ref_url
        done = yield in_report_thread(report_run, self.settings, props, job_url, _uploaded(self))
        yield self.addCompleteLog("report", done.log)
        self.descriptionDone = [done.summary]
        return done.result


class ArtifactsWriter(remotetransfer.DirectoryWriter):  # type: ignore[misc]
    """Buildbot's ``DirectoryWriter``, but the archive the worker sends is unpacked by
    ``.artifacts.extract_run``: nothing lands or points outside the destination, even
    where Buildbot's ``extractall(filter='data')`` would let a crafted archive out
    (CVE-2025-4517 on Python < 3.11.13). ``dropped``: a log line per member left out.

    An archive that cannot be unpacked sets ``error`` instead of raising: raised to the worker,
    the error never comes back (the worker fails to send the PB failure, ``AttributeError:
    'bytes' object has no attribute '__module__'``) and the step waits forever."""

    def __init__(self, destroot: str, maxsize: int | None, compress: str | None, mode: int):
        super().__init__(destroot, maxsize, compress, mode)
        self.dropped: list[str] = []
        self.error: str | None = None

    def remote_unpack(self) -> None:
        try:
            self.remote_close()
            self.dropped = artifacts.extract_run(self.tarname, self.destroot)
        except Exception as err:  # any of them: said in the step's log, never raised
            self.error = f"the master could not unpack the run: {type(err).__name__}: {err}"
        finally:
            if os.path.exists(self.tarname):
                os.remove(self.tarname)


class UploadArtifacts(steps.DirectoryUpload):  # type: ignore[misc]
    """Buildbot's ``DirectoryUpload`` of the run's folder, unpacked by :class:`ArtifactsWriter`:
    a symlink a check planted (``-> /etc/passwd``, ``-> /etc``, ``-> ../..``) is dropped, not
    followed and not kept, and the rest of the run is uploaded. The ``stdio`` log names every
    link or member dropped. Nothing more runs on the worker (links travel as links: Buildbot's
    worker tars without ``dereference``), so a build pays no extra round trip for it."""

    name = "upload artifacts"
    writer_class = ArtifactsWriter

    @defer.inlineCallbacks
    def run(self) -> Any:
        self.checkWorkerHasCommand("uploadDirectory")
        self.stdio_log = yield self.addLog("stdio")
        masterdest = os.path.expanduser(self.masterdest)
        self.descriptionDone = f"uploading {os.path.basename(self.workersrc)}"
        writer = self.writer_class(masterdest, self.maxsize, self.compress, 0o600)
        args = {
            "workdir": self.workdir,
            "writer": writer,
            "maxsize": self.maxsize,
            "blocksize": self.blocksize,
            "compress": self.compress,
            "workersrc": self.workersrc,
        }
        result = yield self.runTransferCommand(
            makeStatusRemoteCommand(self, "uploadDirectory", args), writer
        )
        if writer.dropped:
            yield self.stdio_log.addStdout("".join(f"{line}\n" for line in writer.dropped))
        if writer.error is not None:
            yield self.stdio_log.addStderr(f"{writer.error}\n")
            if result == SUCCESS:
                writer.purge()  # what Buildbot does with a failed upload: no partial run
                self.descriptionDone = "upload failed"
                return FAILURE
        return result


def runtask_command(settings: MasterSettings) -> Any:
    """The runner's command line (``checkline.runner.invocation``, as the local backend's),
    rendered when the step runs from the build's properties, every one an argv element:
    ``checkline run checks/<taskname> --item=...``, plus ``--python=`` when the worker the
    build runs on has a ``python`` setting, ``--sandbox=`` and ``--no-network`` from its
    ``sandbox`` and ``network`` settings."""
    pythons = {worker.name: worker.python for worker in settings.workers if worker.python}
    workers = {worker.name: worker for worker in settings.workers}

    def argv(
        taskname: Any,
        item: Any,
        item_type: Any,
        arch: Any,
        uuid: Any,
        buildername: Any,
        buildnumber: Any,
        workername: Any,
    ) -> list[str]:
        return run_argv(
            [settings.checkline],
            f"checks/{taskname}",
            item=str(item),
            item_type=str(item_type),
            arch=str(arch),
            uuid=str(uuid),
            jobid=f"{buildername}/{buildnumber}",
            artifacts=RUNS_DIR,
            python=pythons.get(str(workername)),
            sandbox=worker.sandbox if (worker := workers.get(str(workername))) else None,
            network=worker.network if worker else True,
        )

    prop = util.Property
    return util.Transform(
        argv,
        *(prop(name) for name in ("taskname", "item", "item_type", "arch", "uuid")),
        *(prop(name) for name in ("buildername", "buildnumber", "workername")),
    )


def build_factory(settings: MasterSettings) -> util.BuildFactory:
    run_dir = util.Interpolate(f"{RUNS_DIR}/%(prop:uuid)s")
    factory = util.BuildFactory()
    factory.addStep(ReserveArtifacts(settings.artifacts_root))
    factory.addStep(CloneChecks(settings.checks_repo, settings.checks_branch, logEnviron=False))
    factory.addStep(
        RunTask(
            name="runtask",
            command=runtask_command(settings),
            env=dict(settings.task_env),
            decodeRC=RUNNER_RESULTS,
            sigtermTime=CANCEL_GRACE,
            timeout=settings.task_timeout,
            logEnviron=False,
        )
    )
    factory.addStep(
        UploadArtifacts(
            workersrc=run_dir,
            masterdest=util.Interpolate(
                os.path.join(os.path.abspath(settings.artifacts_root), "%(prop:uuid)s")
            ),
            alwaysRun=True,
            doStepIf=_reserved,
        )
    )
    factory.addStep(ReportResults(settings, alwaysRun=True, doStepIf=_reserved))
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
