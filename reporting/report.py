"""Report a job to ResultsDB: the one code path behind ``checkline report``, Buildbot's
report step and ``checkline run --resultsdb``.

``report_results`` reads a run's results (TAP13 or ResultYAML), turns them into result bodies
(``.mapping``) with log URLs (``.links``), and delivers them exactly once
(``.deliver``), spooling what cannot be posted (``.spool``). A report never
silently posts nothing: results that are missing, empty or malformed give a CRASHED result
for the job, with the problems in its note, beside the verdicts that did parse; a run that
recorded no result gives one NEEDS_INSPECTION result saying so.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checkline.contracts import EXECUTION_FILE, Verdict
from checkline.retry import RetryPolicy
from checkline.secrets import Secret

from .client import ResultsDBClient
from .deliver import DeliveryFailed, deliver
from .links import LogLinks
from .mapping import ReportedRun, crashed_body, no_result_body, result_bodies, status_bodies
from .parse import parse_results
from .spool import FlushSummary, Spool, SpooledReport
from .verdicts import Problem

__all__ = [
    "ReportError",
    "ReportSummary",
    "Target",
    "default_spool",
    "job_from_run",
    "report_results",
    "report_status",
    "run_record",
    "summary_lines",
]

log = logging.getLogger(__name__)

#: Where results that cannot be posted wait, unless the caller says (see ``default_spool``).
SPOOL_ENV = "CHECKLINE_REPORT_SPOOL"


class ReportError(Exception):
    """The report cannot be made as asked (no uuid, say): a usage error, nothing sent."""


@dataclass(frozen=True)
class Target:
    """Where and how results go."""

    resultsdb: str
    token: Secret | None = None  # prints as *** (a Target may be logged)
    spool: Path | None = None
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: float = 60.0

    def client(self, url: str | None = None) -> ResultsDBClient:
        return ResultsDBClient(url or self.resultsdb, token=self.token, timeout=self.timeout)


@dataclass
class ReportSummary:
    job: ReportedRun
    results: int = 0
    posted: int = 0
    already: int = 0
    unsendable: int = 0
    problems: list[Problem] = field(default_factory=list)
    refused: list[Problem] = field(default_factory=list)
    spooled: Path | None = None
    error: str = ""
    flushed: FlushSummary | None = None
    #: The note of the NEEDS_INSPECTION result of a run that recorded no result ("" else).
    no_result: str = ""


def default_spool(rundir: Path | None) -> Path:
    """``$CHECKLINE_REPORT_SPOOL``, else ``.report-spool`` beside the run directory, in its
    artifacts root (shared by every run there, so a later report flushes it), else
    ``.checkline/report-spool``."""
    if os.environ.get(SPOOL_ENV):
        return Path(os.environ[SPOOL_ENV])
    if rundir is not None:
        return rundir.resolve().parent / ".report-spool"
    return Path(".checkline") / "report-spool"


def run_record(rundir: Path | None) -> dict[str, Any]:
    """The run directory's ``execution.json`` as a dict; ``{}`` without one (or unreadable)."""
    if rundir is None or not (rundir / EXECUTION_FILE).is_file():
        return {}
    try:
        loaded = json.loads((rundir / EXECUTION_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        log.warning("%s: unreadable, ignored: %s", rundir / EXECUTION_FILE, err)
        return {}
    return loaded if isinstance(loaded, dict) else {}


def job_from_run(rundir: Path | None, **given: str | None) -> ReportedRun:
    """The job, from the run directory's ``execution.json`` (uuid, testcase, namespace, item,
    item_type, arch) and, for what it does not say (a run that never started), the options
    ``given``.

    The record wins: its testcase is the formula's own ``namespace.name`` (``dist.rpmlint``),
    where a scheduler knows only the check's folder (``rpmlint``). A run recorded before the
    runner said ``testcase`` has it as ``taskname``.

    Raises:
        ReportError: no uuid in either.
    """
    recorded = run_record(rundir)
    if "testcase" not in recorded and "taskname" in recorded:  # an older runner's record
        recorded["testcase"] = recorded["taskname"]

    def field_(name: str) -> str:
        return str(recorded.get(name) or given.get(name) or "")

    if not field_("uuid"):
        raise ReportError("no job uuid: give --uuid, or --run-dir with the run's execution.json")
    namespace = recorded.get("namespace")
    return ReportedRun(
        uuid=field_("uuid"),
        testcase=field_("testcase"),
        item=field_("item"),
        item_type=field_("item_type"),
        arch=field_("arch"),
        job_url=given.get("job_url") or None,
        namespace=namespace if isinstance(namespace, str) else None,
    )


def _read(results: Path | None) -> tuple[str | None, Problem | None]:
    if results is None:
        return None, Problem("results", "no results file was given")
    try:
        return results.read_text(encoding="utf-8"), None
    except FileNotFoundError:
        return None, Problem(str(results), "does not exist (the run wrote no results)")
    except (OSError, UnicodeDecodeError) as err:
        return None, Problem(str(results), f"cannot be read: {err}")


def build_bodies(
    text: str | None, job: ReportedRun, links: LogLinks, source: str
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The result bodies of a results text, and the problems that make a CRASHED result.

    A text that reads without problems and holds no verdict gives neither: the run recorded
    no result (``report_results`` posts that as NEEDS_INSPECTION). An empty text is a problem:
    the runner always writes TAP's header, so something else broke.
    """
    problems: list[Problem] = []
    verdicts: list[Verdict] = []
    if text is not None and not text.strip():
        problems = [Problem(source, "is empty: the run recorded no results")]
    elif text is not None:
        parsed = parse_results(text)
        problems, verdicts = parsed.problems, parsed.verdicts
    bodies = result_bodies(
        verdicts, job, lambda v: links.for_verdict(v, f"{v.get('checkname') or 'verdict'}")
    )
    return bodies, problems


def _send(
    target: Target, job: ReportedRun, bodies: list[dict[str, Any]], summary: ReportSummary
) -> ReportSummary:
    """Deliver, spool what fails, then flush what earlier reports spooled."""
    summary.results = len(bodies)
    spool = Spool(target.spool) if target.spool else None
    try:
        done = deliver(target.client(), job.uuid, bodies, policy=target.policy)
    except DeliveryFailed as err:
        summary.posted, summary.already = err.done.posted, err.done.already
        summary.error = str(err)
        if spool is None:
            raise
        summary.spooled = spool.add(SpooledReport(target.resultsdb, job.uuid, err.pending))
        log.warning(
            "ResultsDB unreachable (%s): %d result(s) spooled to %s",
            err,
            len(err.pending),
            summary.spooled,
        )
        return summary
    summary.posted, summary.already, summary.unsendable = (
        done.posted,
        done.already,
        done.unsendable,
    )
    if spool is not None and spool.entries():
        summary.flushed = spool.flush(target.client, RetryPolicy(attempts=2))
    return summary


def report_results(
    results: Path | None,
    target: Target,
    *,
    rundir: Path | None = None,
    artifacts_url: str | None = None,
    unavailable: str | None = None,
    **job: str | None,
) -> ReportSummary:
    """Report the results file of a run.

    Args:
        results: ``results.tap`` (or a ResultYAML file); None or missing gives a CRASHED result.
        unavailable: why the run's results cannot be read (its artifacts never reached this
            machine, say): the job is reported CRASHED with this in the note, nothing read.
        rundir: the run directory ``<artifacts root>/<uuid>`` (``execution.json``, logs,
            ``task_output/``).
        artifacts_url: where the artifacts root is served; log URLs are
            ``BASE/<uuid>/<path>``.
        job: ``uuid``, ``testcase``, ``item``, ``item_type``, ``arch`` filling in what
            ``execution.json`` does not say; ``job_url``.

    Raises:
        ReportError: no uuid.
        PermanentError: ResultsDB refused the results (4xx).
        DeliveryFailed: ResultsDB unreachable and no spool to keep them.
    """
    the_job = job_from_run(rundir, **job)
    links = LogLinks(the_job.uuid, artifacts_url, rundir)
    source = results.name if results is not None else "results"
    if unavailable is None:
        text, unreadable = _read(results)
    else:
        text, unreadable = None, Problem(source, unavailable)
    bodies, problems = build_bodies(text, the_job, links, source)
    if unreadable is not None:
        problems = [unreadable]
    summary = ReportSummary(the_job, problems=problems, refused=links.refused)
    if problems:
        bodies.append(crashed_body(the_job, problems, source, links.main_log, len(bodies)))
    elif not bodies:
        # The run recorded no result: one NEEDS_INSPECTION result says so, never nothing
        # (which gating would not see) and never a pass.
        recorded = run_record(rundir) if unavailable is None else {}
        message = recorded.get("message")
        reason = (
            message
            if recorded.get("no_results") is True and isinstance(message, str) and message
            else f"{source} holds no verdict"
        )
        body = no_result_body(the_job, reason, links.main_log)
        summary.no_result = body["note"]
        bodies.append(body)
    return _send(target, the_job, bodies, summary)


def report_status(
    outcome: str,
    testcases: list[str],
    target: Target,
    *,
    rundir: Path | None = None,
    artifacts_url: str | None = None,
    **job: str | None,
) -> ReportSummary:
    """Post early status (``QUEUED`` when scheduled, ``RUNNING`` when started) for the
    testcases the job will produce; by default its formula's own testcase."""
    the_job = job_from_run(rundir, **job)
    names = testcases or [the_job.testcase]
    if not any(names):
        raise ReportError("no testcase: give --testcase")
    log_url = LogLinks(the_job.uuid, artifacts_url, None).url("") if artifacts_url else None
    bodies = status_bodies(the_job, names, outcome, log_url=the_job.job_url or log_url)
    return _send(target, the_job, bodies, ReportSummary(the_job))


def summary_lines(summary: ReportSummary) -> list[tuple[str, bool]]:
    """What a report did, as lines for a person: ``(text, is_a_problem)`` each."""
    job = summary.job
    lines = [
        (
            f"job {job.uuid}: {summary.results} result(s); {summary.posted} posted, "
            f"{summary.already} already in ResultsDB"
            + (
                f", {summary.unsendable} not accepted by this ResultsDB"
                if summary.unsendable
                else ""
            ),
            False,
        )
    ]
    lines += [(f"malformed results: {p} (reported as CRASHED)", True) for p in summary.problems]
    if summary.no_result:
        lines.append((f"no result: {summary.no_result} (reported as NEEDS_INSPECTION)", True))
    lines += [(f"refused artifact: {problem}", True) for problem in summary.refused]
    flushed = summary.flushed
    if flushed and (flushed.flushed or flushed.errors):
        lines.append(
            (f"spool: {len(flushed.flushed)} earlier report(s) flushed ({flushed.posted} posted)",
             False)
        )  # fmt: skip
        lines += [(f"spool: {error}", True) for error in flushed.errors]
    if summary.spooled is not None:
        lines.append(
            (
                f"ResultsDB unreachable ({summary.error}); results spooled to {summary.spooled}: "
                "the next report or `checkline report --flush-spool` posts them",
                True,
            )
        )
    return lines


def flush_spool(directory: Path, target: Target) -> FlushSummary:
    """Post every report spooled in ``directory`` (each to the ResultsDB it was meant for)."""
    return Spool(directory).flush(target.client, target.policy)
