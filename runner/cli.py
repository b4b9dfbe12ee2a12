"""``checkline run`` and ``runtask``: run a formula locally, from flags or a runner-input JSON.

Exit codes (``checkline.contracts.ExitCode``): 0 the task ran to its end (whatever its
verdicts), 100 an ``exitcode`` directive said a verdict failed, 2 an execution error (a
directive failed, a timeout, a cancel), 3 a job error (bad formula, bad input, bad flags, or
an item that names nothing, found while running: ``ItemNotFound``).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import click

from checkline.contracts import RESULTS_FILE, ExitCode, RunnerInput

from .api import run_job
from .errors import JobError
from .interpreter import TASKAPI_DIR
from .job import ITEM_TYPES
from .process import CancelToken, cancel_on_signals
from .sandbox import BACKENDS, DEFAULT_NPROC, SandboxError, make_sandbox, memory_limit

__all__ = ["run_command", "runtask_main"]

#: The python directive's child script, bound read-only into a sandbox with the check API.
PYCALL = Path(__file__).resolve().parent / "pycall.py"


class JobCommand(click.Command):
    """A command whose usage errors are job errors: exit 3, not click's 2 (an execution error)."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as err:
            err.exit_code = ExitCode.JOB_ERROR  # type: ignore[misc]  # per instance, on purpose
            raise


def _run_options(function: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.argument("formula", required=False, type=click.Path(path_type=Path)),
        click.option("-i", "--item", help="The item to check, e.g. xchat-0.5-1.fc20."),
        click.option(
            "-t", "--type", "item_type", help=f"The item's type: {', '.join(ITEM_TYPES)}."
        ),
        click.option("-a", "--arch", help="Architecture (default noarch: all arches at once)."),
        click.option("--uuid", help="The job's uuid (default: a fresh one)."),
        click.option("-j", "--jobid", help="The scheduler's job id, for logs (default -1)."),
        click.option(
            "--artifacts",
            envvar="CHECKLINE_ARTIFACTS",
            default="artifacts",
            show_default=True,
            type=click.Path(file_okay=False, path_type=Path),
            help="The artifacts root: the run writes its run directory ARTIFACTS/<uuid>/ "
            "there. Env: CHECKLINE_ARTIFACTS.",
        ),
        click.option(
            "--input",
            "input_file",
            type=click.File("r"),
            help="Runner input as JSON: {item, item_type, arch, uuid[, jobid, formula]}; "
            "flags override its fields.",
        ),
        click.option(
            "--resultsdb",
            help="Also report the run's results to this ResultsDB when it ends (what "
            "`checkline report` does; transient failures are spooled).",
        ),
        click.option(
            "--artifacts-url",
            help="With --resultsdb: where the artifacts root is served, for the results' log "
            "URLs (BASE/<uuid>/<file>).",
        ),
        click.option(
            "--python",
            metavar="PYTHON",
            help="The interpreter of the python directive's check code: a path or a command "
            "on PATH. Default: $CHECKLINE_PYTHON, else /usr/bin/python3 when it exists, else "
            "the runner's own. A formula's checkline.python wins over it.",
        ),
        click.option(
            "--sandbox",
            type=click.Choice(BACKENDS),
            envvar="CHECKLINE_SANDBOX",
            default="none",
            show_default=True,
            help="Where shell and python actions run: bwrap (bubblewrap: throwaway system, "
            "private /tmp, own PID namespace, clean environment) or none (not isolated). "
            "Env: CHECKLINE_SANDBOX.",
        ),
        click.option(
            "--network/--no-network",
            envvar="CHECKLINE_SANDBOX_NETWORK",
            default=True,
            show_default=True,
            help="With --sandbox bwrap: --no-network runs the actions with no network at all. "
            "Env: CHECKLINE_SANDBOX_NETWORK=0.",
        ),
        click.option("--keep-workdir", is_flag=True, help="Keep the temporary working directory."),
        click.option("-d", "--debug", is_flag=True, help="Log debug messages to stderr too."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _runner_input(input_file: Any, **flags: str | None) -> RunnerInput:
    data: dict[str, Any] = {}
    if input_file is not None:
        try:
            data = json.load(input_file)
        except ValueError as err:
            raise JobError(f"--input {input_file.name}: not valid JSON: {err}") from err
        if not isinstance(data, dict):
            raise JobError(f"--input {input_file.name}: must be a JSON object")
    data.update({key: value for key, value in flags.items() if value is not None})
    return cast(RunnerInput, data)  # as the user wrote it: run_job checks it (RunInput)


def _execute(
    formula: Path | None,
    artifacts: Path,
    keep_workdir: bool,
    debug: bool,
    input_file: Any,
    resultsdb: str | None = None,
    artifacts_url: str | None = None,
    python: str | None = None,
    sandbox: str = "none",
    network: bool = True,
    **flags: str | None,
) -> int:
    echo = logging.StreamHandler(sys.stderr)
    echo.setLevel(logging.DEBUG if debug else logging.INFO)
    echo.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    cancel = CancelToken()
    if not network and sandbox == "none":
        click.echo(
            "error: --no-network needs a sandbox (--sandbox bwrap): without one, check code "
            "has the worker's network",
            err=True,
        )
        return ExitCode.JOB_ERROR
    try:
        box = make_sandbox(
            sandbox,
            network=network,
            memory=memory_limit(os.environ.get("CHECKLINE_SANDBOX_MEMORY")),
            nproc=memory_limit(os.environ.get("CHECKLINE_SANDBOX_NPROC", str(DEFAULT_NPROC))),
            extra_ro=(PYCALL, TASKAPI_DIR),
        )
    except SandboxError as err:
        click.echo(
            f"error: {err} (no fallback: fix the worker, or run with --sandbox none)", err=True
        )
        return ExitCode.EXECUTION_ERROR
    try:
        runner_input = _runner_input(input_file, **flags)
        if formula is not None and formula.is_dir():
            formula = formula / "runtask.yml"
        with cancel_on_signals(cancel):
            report = run_job(
                runner_input,
                formula,
                artifacts=artifacts,
                cancel=cancel,
                keep_workdir=keep_workdir,
                echo=echo,
                python=python,
                sandbox=box,
            )
    except JobError as err:
        click.echo(f"error: {err}", err=True)
        return ExitCode.JOB_ERROR
    execution = report.execution
    click.echo(f"results:   {report.rundir / execution['results']}")
    click.echo(f"execution: {report.rundir / 'execution.json'}")
    click.echo(
        f"status:    {execution['status']} ({execution['execution_status']}), "
        f"{execution['verdicts']} verdict(s), worst {execution['worst_outcome']}, "
        f"exit code {report.exit_code}"
    )
    if resultsdb:
        _report(report.rundir, resultsdb, artifacts_url)
    return report.exit_code


def _report(rundir: Path, resultsdb: str, artifacts_url: str | None) -> None:
    """Report the run through reporting's one code path; its problems are printed, and do not
    change the run's exit code (a spooled report is posted later; a refused one is logged)."""
    # Imported here: a run that does not report does not pay for the HTTP client.
    from checkline.reporting.client import PermanentError
    from checkline.reporting.report import Target, default_spool, report_results

    target = Target(resultsdb, spool=default_spool(rundir))
    try:
        summary = report_results(
            rundir / RESULTS_FILE, target, rundir=rundir, artifacts_url=artifacts_url
        )
    except PermanentError as err:
        click.echo(f"report:    ResultsDB refused the results: {err}", err=True)
        return
    if summary.spooled is not None:
        click.echo(f"report:    ResultsDB unreachable, spooled to {summary.spooled}", err=True)
    else:
        click.echo(
            f"report:    {summary.posted} result(s) posted to {resultsdb}, "
            f"{summary.already} already there"
        )


@click.command("run", cls=JobCommand)
@_run_options
def run_command(**options: Any) -> None:
    """Run the check FORMULA (a runtask.yml, or a folder holding one) on one item.

    \b
    Examples:
      checkline run checks/dummy/runtask.yml -i xchat-0.5-1.fc20 -t koji_build
      checkline run checks/dummy --input job.json
    """
    sys.exit(_execute(**options))


@click.command("runtask", cls=JobCommand)
@_run_options
@click.option("--local", is_flag=True, help="Run on this machine (the default, and the only way).")
@click.option("--libvirt", is_flag=True, hidden=True)
@click.option("--ssh", hidden=True)
@click.option("--ssh-privkey", hidden=True)
@click.option("--no-destroy", is_flag=True, hidden=True)
def runtask_command(
    local: bool,
    libvirt: bool,
    ssh: str | None,
    ssh_privkey: str | None,
    no_destroy: bool,
    **options: Any,
) -> None:
    """Taskotron's runtask: run the check FORMULA on one item (same as `checkline run`)."""
    if libvirt or ssh or ssh_privkey or no_destroy:
        click.echo(
            "error: --libvirt, --ssh, --ssh-privkey and --no-destroy are not supported: "
            "Checkline runs a task where it is started (--local); isolation is the Buildbot "
            "worker's job",
            err=True,
        )
        sys.exit(ExitCode.JOB_ERROR)
    sys.exit(_execute(**options))


def runtask_main() -> None:
    runtask_command(prog_name="runtask")
