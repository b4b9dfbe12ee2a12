"""``checkline report``: a run's results into ResultsDB, exactly once, with log URLs.

Exit codes: 0 reported (or already there); 2 a usage error; 65 ResultsDB refused the results
(a 4xx: retrying cannot help; nothing is spooled); 75 ResultsDB unreachable: the results are
spooled and the next report (or ``--flush-spool``) posts them (``EX_TEMPFAIL``).
"""

from __future__ import annotations

import enum
import logging
import sys
from pathlib import Path
from typing import Any

import click

from checkline.contracts import EXECUTION_FILE
from checkline.retry import RetryPolicy
from checkline.secrets import Secret

from .client import PermanentError
from .deliver import DeliveryFailed
from .report import (
    ReportError,
    ReportSummary,
    Target,
    default_spool,
    flush_spool,
    report_results,
    report_status,
    summary_lines,
)

__all__ = ["report_command"]


class ReportExit(enum.IntEnum):
    OK = 0
    USAGE = 2
    REFUSED = 65
    SPOOLED = 75


def _print_summary(summary: ReportSummary) -> None:
    for text, problem in summary_lines(summary):
        click.echo(text, err=problem)


@click.command("report")
@click.argument("results", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--resultsdb",
    envvar="CHECKLINE_RESULTSDB_URL",
    help="ResultsDB root URL, with or without /api/v2.0. Env: CHECKLINE_RESULTSDB_URL.",
)
@click.option("--uuid", help="The job's uuid, when the run's execution.json does not say.")
@click.option(
    "--run-dir",
    "--artifacts-dir",
    "rundir",
    type=click.Path(file_okay=False, path_type=Path),
    help="The run directory, <artifacts root>/<uuid> (default: the folder of RESULTS when it "
    "holds execution.json). --artifacts-dir is its older name.",
)
@click.option(
    "--artifacts-url",
    envvar="CHECKLINE_ARTIFACTS_URL",
    help="Where the artifacts root is served; log URLs are BASE/<uuid>/<file>. "
    "Env: CHECKLINE_ARTIFACTS_URL.",
)
@click.option("--job-url", help="The job's page (the Buildbot build): the group's ref_url.")
@click.option(
    "--testcase",
    "testcases",
    multiple=True,
    help="The job's testcase, the formula's namespace.name (dist.rpmlint), when execution.json "
    "is missing. With --queued/--running: a testcase the job will produce (repeatable; "
    "default: the job's testcase).",
)
@click.option(
    "--taskname",
    deprecated="Use --testcase.",
    help="Older name of --testcase: the job's testcase, when execution.json is missing.",
)
@click.option("-i", "--item", help="The item, when execution.json is missing.")
@click.option("-t", "--type", "item_type", help="The item's type, when execution.json is missing.")
@click.option("-a", "--arch", help="The arch, when execution.json is missing.")
@click.option(
    "--spool",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where results that cannot be posted wait (default: $CHECKLINE_REPORT_SPOOL, else "
    ".report-spool beside the run directory, in its artifacts root).",
)
@click.option(
    "--flush-spool",
    "flush_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Only post the reports spooled in this folder (each remembers its ResultsDB).",
)
@click.option(
    "--token",
    envvar="CHECKLINE_RESULTSDB_TOKEN",
    help="ResultsDB write token. Env: CHECKLINE_RESULTSDB_TOKEN.",
)
@click.option(
    "--queued", "status", flag_value="QUEUED", help="Post QUEUED for the job's testcases."
)
@click.option(
    "--running", "status", flag_value="RUNNING", help="Post RUNNING for the job's testcases."
)
@click.option(
    "--attempts",
    type=click.IntRange(1, 100),
    default=6,
    show_default=True,
    help="Attempts before spooling (exponential backoff with jitter between them).",
)
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds per request.")
@click.option("-d", "--debug", is_flag=True, help="Log every request and retry.")
def report_command(
    results: Path | None,
    resultsdb: str | None,
    rundir: Path | None,
    artifacts_url: str | None,
    spool: Path | None,
    flush_dir: Path | None,
    token: str | None,
    status: str | None,
    testcases: tuple[str, ...],
    taskname: str | None,
    attempts: int,
    timeout: float,
    debug: bool,
    **job: str | None,
) -> None:
    """Report RESULTS (a run's results.tap, or ResultYAML) to ResultsDB.

    One group per job (its uuid), one result per verdict, each linking its log. Transient
    failures are retried, then spooled; a retry never posts a result twice.
    """
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING, format="%(levelname)s %(message)s"
    )
    policy = RetryPolicy(attempts=attempts)
    secret = Secret(token) if token else None
    if flush_dir is not None:
        target = Target(resultsdb or "", token=secret, policy=policy, timeout=timeout)
        flushed = flush_spool(flush_dir, target)
        click.echo(
            f"{len(flushed.flushed)} spooled report(s) flushed: {flushed.posted} result(s) "
            f"posted, {flushed.already} already in ResultsDB; {len(flushed.remaining)} left"
        )
        for error in flushed.errors:
            click.echo(error, err=True)
        sys.exit(ReportExit.SPOOLED if flushed.remaining else ReportExit.OK)
    if not resultsdb:
        raise click.UsageError("--resultsdb is required (or CHECKLINE_RESULTSDB_URL)")
    if results is None and status is None:
        raise click.UsageError("give RESULTS, or --queued/--running, or --flush-spool DIR")
    if status is None and len(testcases) > 1:
        raise click.UsageError(
            "--testcase names the job's one testcase when reporting RESULTS: give it once "
            "(several are for --queued/--running)"
        )
    if rundir is None and results is not None:
        if (results.parent / EXECUTION_FILE).is_file():
            rundir = results.parent
    target = Target(
        resultsdb,
        token=secret,
        spool=spool or default_spool(rundir),
        policy=policy,
        timeout=timeout,
    )
    # The job's testcase when execution.json does not say: --testcase when it names one.
    testcase = taskname or (testcases[0] if len(testcases) == 1 else None)
    common: dict[str, Any] = {
        "rundir": rundir,
        "artifacts_url": artifacts_url,
        "testcase": testcase,
        **job,
    }
    try:
        if status is not None:
            summary = report_status(status, list(testcases), target, **common)
        else:
            summary = report_results(results, target, **common)
    except ReportError as err:
        raise click.UsageError(str(err)) from err
    except PermanentError as err:
        click.echo(f"ERROR ResultsDB refused the results: {err}", err=True)
        sys.exit(ReportExit.REFUSED)
    except DeliveryFailed as err:  # pragma: no cover - a Target from here always has a spool
        click.echo(f"ERROR ResultsDB unreachable: {err}", err=True)
        sys.exit(ReportExit.SPOOLED)
    _print_summary(summary)
    if summary.spooled is not None:
        sys.exit(ReportExit.SPOOLED)
