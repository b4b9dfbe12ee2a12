"""``run_job``: a runner-input dict and a formula in, a run directory and an exit code out.

This is the one code path behind ``checkline run``, ``runtask`` and the Buildbot step. It
owns the edges: the run directory, the runner log, the working directory, and writing
``results.tap`` (after every recorded verdict, so a killed run keeps what it had) and
``execution.json`` (always, once the run directory exists).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from checkline.contracts import (
    EXECUTION_FILE,
    NO_RESULT,
    RESULTS_FILE,
    RUNNER_LOG,
    TASK_OUTPUT,
    ExitCode,
    RunnerInput,
    Verdict,
)
from checkline.outcomes import Outcome
from checkline.reporting.tap import format_tap

from .context import RunContext
from .directives import REGISTRY, DirectiveRegistry
from .errors import DirectiveError, FormulaError, JobError
from .executor import Execution, RunStatus, execute, worst_outcome
from .formula import load_plan
from .job import RunInput
from .process import CancelToken
from .results import ArtifactPathError, complete_verdict, failed_run_verdicts
from .sandbox import NoSandbox, Sandbox

__all__ = ["RunReport", "run_job"]

_LOG_TAIL_LINES = 60


@dataclass(frozen=True)
class RunReport:
    exit_code: int
    rundir: Path
    execution: dict[str, Any]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _make_rundir(artifacts_root: Path, run_uuid: str) -> Path:
    rundir = artifacts_root / run_uuid
    artifacts_root.mkdir(parents=True, exist_ok=True)
    try:
        rundir.mkdir()
    except FileExistsError:
        if any(rundir.iterdir()):
            raise JobError(
                f"artifacts of uuid {run_uuid!r} already exist in {str(rundir)!r}; refusing to "
                "overwrite them (a uuid names exactly one job: give a new one or none)"
            ) from None
    return rundir


def _run_logger(rundir: Path, run_uuid: str, echo: logging.Handler | None) -> logging.Logger:
    logger = logging.getLogger(f"checkline.run.{run_uuid}")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    handler = logging.FileHandler(rundir / RUNNER_LOG, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    if echo is not None:
        logger.addHandler(echo)
    return logger


def run_job(
    runner_input: RunnerInput,
    formula: Path | str | None = None,
    *,
    artifacts: Path | str,
    cancel: CancelToken | None = None,
    keep_workdir: bool = False,
    echo: logging.Handler | None = None,
    registry: DirectiveRegistry = REGISTRY,
    python: str | None = None,
    sandbox: Sandbox | None = None,
) -> RunReport:
    """Run ``formula`` for ``runner_input`` (``{item, item_type, arch, uuid, jobid}``).

    Args:
        formula: the formula file; defaults to ``runner_input["formula"]``.
        artifacts: the artifacts root; the run writes ``<artifacts>/<uuid>/``.
        cancel: set it (e.g. from a signal handler) to stop the run.
        echo: an extra log handler (the CLI's stderr).
        python: the interpreter of the ``python`` directive's check code (``--python``; the
            formula's own choice wins, see ``interpreter.py``).
        sandbox: where ``shell`` and ``python`` run their children (default: none, not
            isolated); prepared here and cleaned up when the run ends, however it ends.

    Returns:
        The exit code (see ``ExitCode``), the run directory and the ``execution.json`` dict.

    Raises:
        JobError: the input is unusable, or the uuid's directory is taken; nothing written.
    """
    run = RunInput.from_dict(dict(runner_input))
    formula = formula or runner_input.get("formula")
    if not formula:
        raise JobError("no formula given (FORMULA argument, or 'formula' in the input)")
    formula_path = Path(formula).absolute()
    rundir = _make_rundir(Path(artifacts).absolute(), run.uuid)
    artifactsdir = rundir / TASK_OUTPUT
    artifactsdir.mkdir()
    workdir = Path(tempfile.mkdtemp(prefix=f"checkline-{run.uuid}-"))
    log = _run_logger(rundir, run.uuid, echo)
    started = _now()
    known: dict[str, Any] = {
        **run.as_dict(),
        run.item_type: run.item,
        "workdir": str(workdir),
        "artifactsdir": str(artifactsdir),
        "taskdir": str(formula_path.parent),
    }
    verdicts: list[Verdict] = []
    checkname = formula_path.parent.name or "task"
    testcase = checkname
    namespace: str | None = None  # unknown until the formula loads
    environment: dict[str, Any] | None = None  # the formula's environment, as given
    execution = Execution()
    has_results_action = False  # to say why nothing was recorded
    sandbox = sandbox or NoSandbox()
    try:
        log.info(
            "run %s: %s %s (%s, arch %s)", run.uuid, formula_path, run.item, run.item_type, run.arch
        )
        sandbox.prepare(taskdir=formula_path.parent, workdir=workdir, artifactsdir=artifactsdir)
        log.info("%s", sandbox.describe())
        try:
            plan = load_plan(formula_path, known, registry=registry)
        except FormulaError as err:
            log.error("%s", err)
            execution = Execution(RunStatus.JOB_ERROR, str(err), ExitCode.JOB_ERROR)
        else:
            checkname, testcase, namespace = plan.name, plan.testcase, plan.namespace
            environment = dict(plan.environment)
            if environment:
                needs = plan.requirements
                listed = [f"rpm: {', '.join(needs.rpm)}"] if needs.rpm else []
                listed += [f"{key}: {value!r}" for key, value in needs.other.items()]
                log.warning(
                    "environment (recorded in execution.json; the local runner installs "
                    "nothing): %s",
                    "; ".join(listed),
                )

            def record(new: list[Verdict]) -> None:
                try:
                    done = [
                        complete_verdict(
                            v,
                            checkname=checkname,
                            arch=run.arch,
                            rundir=rundir,
                            artifactsdir=artifactsdir,
                        )
                        for v in new
                    ]
                except ArtifactPathError as err:
                    raise DirectiveError(str(err)) from err
                verdicts.extend(done)
                _write_atomically(rundir / RESULTS_FILE, format_tap(verdicts))
                log.info(
                    "recorded %d verdict(s): %s",
                    len(done),
                    ", ".join(f"{v['checkname']} {v['outcome']}" for v in done),
                )

            ctx = RunContext(
                run=run,
                testcase=testcase,
                checkname=checkname,
                taskdir=plan.taskdir,
                workdir=workdir,
                artifactsdir=artifactsdir,
                rundir=rundir,
                log=log,
                python=python,
                formula_python=plan.python,
                cancel=cancel or CancelToken(),
                sandbox=sandbox,
                on_verdicts=record,
            )
            has_results_action = any(action.directive.name == "results" for action in plan.actions)
            execution = execute(plan, ctx, dict(known))
        final = verdicts
        if execution.status is not RunStatus.FINISHED:
            outcome = Outcome.ABORTED if execution.status is RunStatus.ABORTED else Outcome.CRASHED
            failed = execution.failed_action
            final = failed_run_verdicts(
                verdicts,
                outcome,
                item=run.item,
                item_type=run.item_type,
                arch=run.arch,
                checkname=checkname,
                message=execution.message,
                output=_tail(rundir / failed.log) if failed else "",
            )
        elif not verdicts:
            # Said plainly, so that a check that lost its verdicts never passes for green:
            # reporting posts NEEDS_INSPECTION with this message (reporting/report.py).
            why = (
                "its resultsdb action got no verdict (did the check return nothing?)"
                if has_results_action
                else "the formula has no resultsdb action to record one"
            )
            execution.message = f"{NO_RESULT}: {why}"
            log.warning("%s", execution.message)
        _write_atomically(rundir / RESULTS_FILE, format_tap(final))
        document = {
            "execution_status": execution.status.execution_status,
            "status": execution.status.value,
            "uuid": run.uuid,
            "results": RESULTS_FILE,
            "item": run.item,
            "item_type": run.item_type,
            "arch": run.arch,
            "jobid": run.jobid,
            "testcase": testcase,
            "namespace": namespace,
            "formula": str(formula_path),
            "environment": environment,
            "exit_code": int(execution.exit_code),
            "message": execution.message,
            "verdicts": len(final),
            "no_results": not verdicts,
            "worst_outcome": worst_outcome(final),
            "started": started,
            "finished": _now(),
            "actions": [asdict(record) for record in execution.actions],
        }
        # default=str: the environment is YAML as given, which may hold dates.
        text = json.dumps(document, indent=2, default=str)
        _write_atomically(rundir / EXECUTION_FILE, text + "\n")
        log.info("run %s: %s, exit code %d", run.uuid, execution.status.value, execution.exit_code)
    finally:
        sandbox.cleanup()
        if keep_workdir:
            log.info("working directory kept: %s", workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
        for handler in list(log.handlers):
            log.removeHandler(handler)
            if handler is not echo:
                handler.close()
    return RunReport(int(execution.exit_code), rundir, document)


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
