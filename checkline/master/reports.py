"""Reporting on the master: a build's uploaded run into ResultsDB, and the spool flushed.

The report step runs here, not on the worker, for three reasons:

* **The token stays on the master.** Workers run the checks' code; a worker that reported
  would hold ResultsDB's write token, and any check could post results in any name.
* **Reports read what was uploaded**: the artifacts folder the log URLs point at, so a
  result never links a log that did not arrive.
* **One spool, flushed on a timer.** A worker's spool waited for that worker's next build;
  the master's is flushed by every report and every ``report_flush_interval`` seconds. And no
  process starts per job (``checkline report`` cost a job 0.2 s and as much CPU).

The work is blocking (``reporting`` uses requests, with retries and backoff), so it runs in a
thread pool of its own: a ResultsDB outage ties up these threads, not the reactor's pool that
Buildbot's database and log work share.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from buildbot.process.results import FAILURE, SUCCESS, WARNINGS
from buildbot.util import service
from twisted.internet import defer, reactor, task, threads
from twisted.python import log
from twisted.python.threadpool import ThreadPool

from checkline.contracts import RESULTS_FILE
from checkline.reporting.client import PermanentError
from checkline.reporting.report import Target, flush_spool, report_results, summary_lines
from checkline.retry import RetryPolicy
from checkline.secrets import Secret

from .jobs import artifacts_path
from .settings import MasterSettings

__all__ = [
    "REPORT_ATTEMPTS",
    "ReportOutcome",
    "SpoolFlusher",
    "report_pool",
    "report_run",
    "spool_flusher",
]

#: Attempts before spooling, and the seconds after which none starts: the build holds its
#: worker slot while it reports, so through a ResultsDB outage it gives up within seconds and
#: spools; the spool flusher (every ``report_flush_interval``) delivers once ResultsDB is back.
REPORT_ATTEMPTS = 4
REPORT_DEADLINE = 5.0
#: Seconds per request: a living ResultsDB answers a bulk POST of 1,000 results in well under
#: a second; one that accepts connections but does not answer costs the build this, once.
REPORT_TIMEOUT = 10.0
#: Reports posted at once; more wait for a thread (each is a few requests, or a backoff).
REPORT_THREADS = 4

_pool: ThreadPool | None = None


def report_pool() -> ThreadPool:
    """The reports' thread pool, started on first use and stopped with the reactor."""
    global _pool
    if _pool is None:
        _pool = ThreadPool(minthreads=0, maxthreads=REPORT_THREADS, name="checkline-report")
        _pool.start()
        the_reactor: Any = reactor  # typed as a module by Twisted
        the_reactor.addSystemEventTrigger("during", "shutdown", _pool.stop)
    return _pool


def in_report_thread(work: Any, *args: Any) -> defer.Deferred[Any]:
    the_reactor: Any = reactor
    return threads.deferToThreadPool(the_reactor, report_pool(), work, *args)


def _target(settings: MasterSettings) -> Target:
    return Target(
        settings.resultsdb_url,
        token=settings.resultsdb_token or None,
        spool=Path(settings.report_spool).resolve(),
        policy=RetryPolicy(attempts=REPORT_ATTEMPTS, cap=2.0, deadline=REPORT_DEADLINE),
        timeout=REPORT_TIMEOUT,
    )


@dataclass(frozen=True)
class ReportOutcome:
    """The report step's result (a Buildbot result code), its summary and its log."""

    result: int
    summary: str
    log: str


def report_run(
    settings: MasterSettings, props: dict[str, str], job_url: str, uploaded: bool
) -> ReportOutcome:
    """Report the run uploaded to ``<artifacts_root>/<uuid>`` (blocking: run it in a thread).

    ``props`` are the job's, already checked by the reserve step. A run whose upload failed
    is reported CRASHED, saying where its artifacts stayed: its results are not here to read.
    A run that recorded no result is reported NEEDS_INSPECTION, and the step ends WARNINGS.
    """
    rundir = artifacts_path(settings.artifacts_root, props["uuid"])
    reason = None
    if not uploaded:
        reason = (
            "the run's artifacts were not uploaded to the master; they stay on the worker in "
            f"runs/{props['uuid']} (see the build's upload step)"
        )
    try:
        summary = report_results(
            rundir / RESULTS_FILE,
            _target(settings),
            rundir=rundir if uploaded else None,
            artifacts_url=settings.artifacts_url if uploaded else None,
            unavailable=reason,
            job_url=job_url,
            # A run that recorded nothing (not uploaded) is known by its check's folder only.
            testcase=props.get("taskname"),
            **{name: props.get(name) for name in ("uuid", "item", "item_type", "arch")},
        )
    except PermanentError as err:
        return ReportOutcome(FAILURE, "refused", f"ResultsDB refused the results: {err}\n")
    text = "".join(f"{line}\n" for line, _problem in summary_lines(summary))
    if summary.spooled is not None:
        return ReportOutcome(WARNINGS, "spooled", text)
    if summary.no_result:  # posted as NEEDS_INSPECTION; the build must not look green either
        return ReportOutcome(WARNINGS, "no result", text)
    return ReportOutcome(SUCCESS, f"{summary.posted + summary.already} result(s)", text)


def flush_now(target: Target) -> str:
    """Post what ``target``'s spool holds (blocking); what it did, for the log ("" if idle)."""
    if target.spool is None or not any(target.spool.glob("*.json")):
        return ""
    flushed = flush_spool(target.spool, target)
    lines = [
        f"report spool: {len(flushed.flushed)} report(s) flushed ({flushed.posted} posted), "
        f"{len(flushed.remaining)} left",
        *flushed.errors,
    ]
    return "\n".join(lines)


class SpoolFlusher(service.BuildbotService):  # type: ignore[misc]
    """Flushes the report spool every ``interval`` seconds (plain arguments: Buildbot compares
    and hashes a service's arguments to decide whether a reconfig changes it)."""

    name = "checkline-report-spool"

    def checkConfig(self, resultsdb_url: str, token: Secret, spool: str, interval: int) -> None:
        if interval < 1:
            from buildbot import config

            config.error(f"report_flush_interval must be at least 1 second, not {interval}")

    def reconfigService(self, resultsdb_url: str, token: Secret, spool: str, interval: int) -> None:
        self.target = Target(
            resultsdb_url, token=token or None, spool=Path(spool).resolve(),
            policy=RetryPolicy(attempts=2),
        )  # fmt: skip
        self.interval = interval
        self._stop_loop()
        if self.running:
            self._start_loop()

    @defer.inlineCallbacks
    def startService(self) -> Any:
        yield super().startService()
        self._start_loop()

    def stopService(self) -> Any:
        self._stop_loop()
        return super().stopService()

    def _start_loop(self) -> None:
        if getattr(self, "loop", None) is None:
            self.loop: task.LoopingCall | None = task.LoopingCall(self.flush)
            self.loop.start(self.interval, now=False)

    def _stop_loop(self) -> None:
        loop, self.loop = getattr(self, "loop", None), None
        if loop is not None and loop.running:
            loop.stop()

    @defer.inlineCallbacks
    def flush(self) -> Any:
        try:
            said = yield in_report_thread(flush_now, self.target)
        except Exception:  # a broken spool entry must not stop the timer
            log.err(None, "checkline: flushing the report spool failed")  # type: ignore[no-untyped-call]
            return
        if said:
            log.msg(said)


def spool_flusher(settings: MasterSettings) -> SpoolFlusher:
    return SpoolFlusher(
        settings.resultsdb_url,
        settings.resultsdb_token,
        settings.report_spool,
        settings.report_flush_interval,
    )
