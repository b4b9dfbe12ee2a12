"""Verdicts of one job to ResultsDB v2.0 result bodies: pure functions over plain dicts.

Consumes the verdict dicts of ``.parse`` and a :class:`ReportedRun`; produces the bodies of
``POST /api/v2.0/results`` (the *ResultsDB result* of docs/architecture.md):

* one group per job: ``uuid`` = the job's uuid, ``ref_url`` = the job's page (the Buildbot
  build), ``description`` = testcase and item;
* testcase = ``checkname`` in the formula's namespace, libtaskotron's rule
  (``checkline.contracts.namespaced_testcase``): ``two_three`` and
  ``python-versions.two_three`` in ``dist`` are ``dist.two_three`` and
  ``dist.python-versions.two_three``; a name already starting with ``dist.`` is left alone;
* note = ``summary``; ``ref_url`` = the log URL (given by the caller, see ``.links``);
* data = ``item``, ``type``, ``arch`` and every other key of the verdict, lists kept as lists.
  ``details`` (the check's whole output) is left out: it is in the log the result links to,
  and a result's data is for querying, not for megabytes of text;
* ``checkline.report_key``: a digest of the job, the verdict's position, testcase and outcome.
  It makes a report idempotent: before posting, reporting asks which keys the job's group
  already has (see ``.deliver``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from checkline.contracts import NO_RESULT, Verdict, namespaced_testcase
from checkline.outcomes import Outcome

from .verdicts import Problem

__all__ = [
    "BASE_OUTCOMES",
    "NO_RESULT_OUTCOME",
    "REPORT_KEY",
    "ReportedRun",
    "accept_outcomes",
    "crashed_body",
    "group_body",
    "no_result_body",
    "result_bodies",
    "status_bodies",
    "testcase_name",
]

#: The data key holding a result's idempotency key.
REPORT_KEY = "checkline.report_key"
#: The data key keeping an outcome the server does not accept (see ``accept_outcomes``).
ORIGINAL_OUTCOME_KEY = "checkline.outcome"
#: What every ResultsDB accepts; the rest depends on its ADDITIONAL_RESULT_OUTCOMES.
BASE_OUTCOMES = ("PASSED", "INFO", "FAILED", "NEEDS_INSPECTION")
#: The nearest base outcome of each additional one. Never INFO or PASSED: gating tools
#: (Greenwave) count those as satisfied, and a crash must not gate as a pass.
NEAREST_OUTCOME = {
    "ABORTED": "NEEDS_INSPECTION",
    "CRASHED": "NEEDS_INSPECTION",
    "ERROR": "NEEDS_INSPECTION",
}
#: A job's status before it has results; they have no honest nearest outcome.
EARLY_OUTCOMES = ("QUEUED", "RUNNING")
#: Verdict keys that become the result's own fields, or are left out (see the docstring).
_NOT_DATA = frozenset({"outcome", "checkname", "summary", "note", "details"})
#: Longest note we send; a malformed-results note lists problems and could be unbounded.
MAX_NOTE = 4000


@dataclass(frozen=True)
class ReportedRun:
    """The run whose verdicts are reported, as reporting knows it (not the trigger's Job
    contract: it carries the testcase, not the check, and the job's page)."""

    uuid: str
    testcase: str = ""  #: the formula's ``namespace.name`` (``dist.rpmlint``)
    item: str = ""
    item_type: str = ""
    arch: str = ""
    job_url: str | None = None
    #: The formula's namespace, as ``execution.json`` records it; None when nothing says it
    #: (a run recorded before the runner wrote it, a testcase given as an option).
    namespace: str | None = None

    @property
    def checkname_namespace(self) -> str:
        """The namespace verdicts' checknames go in: the recorded one, else what comes
        before the last dot of ``testcase`` (``dist`` for ``dist.rpmlint``; empty without a
        dot)."""
        if self.namespace is not None:
            return self.namespace
        return self.testcase.rpartition(".")[0]


def testcase_name(checkname: str, job: ReportedRun) -> str:
    """The testcase of a verdict: its ``checkname`` in the formula's namespace
    (``checkline.contracts.namespaced_testcase``); without one, the job's own testcase."""
    if not checkname:
        return job.testcase or "unnamed"
    return namespaced_testcase(checkname, job.checkname_namespace)


def group_body(job: ReportedRun) -> dict[str, Any]:
    """The job's group, as it appears in each result's ``groups``."""
    description = " ".join(part for part in (job.testcase, job.item) if part)
    group: dict[str, Any] = {"uuid": job.uuid, "description": description or job.uuid}
    if job.job_url:
        group["ref_url"] = job.job_url
    return group


def _data_value(value: Any) -> Any:
    """A value ResultsDB stores faithfully: mappings (which it would ``str()`` Python-style)
    as JSON text, lists element by element, the rest as is."""
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, default=str)
    if isinstance(value, list | tuple):
        return [_data_value(v) if not isinstance(v, list | tuple) else json.dumps(v) for v in value]
    return value


def _data(verdict: Verdict) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in verdict.items():
        if key in _NOT_DATA or value is None:
            continue
        # ResultsDB refuses a colon in a data key (its filter syntax uses it).
        data[str(key).replace(":", "_")] = _data_value(value)
    return data


def key_of(body: dict[str, Any]) -> str:
    """The idempotency key a result body carries."""
    return str(body["data"][REPORT_KEY])


def report_key(job: ReportedRun, index: int, body: dict[str, Any]) -> str:
    """A digest naming one verdict of one job: its uuid, position, testcase and outcome.

    Not the rest of the body: reporting the same run again with other log URLs (or a job page
    learnt later) is the same verdict, and must find itself already reported.
    """
    canonical = json.dumps([job.uuid, index, body["testcase"]["name"], body["outcome"]])
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _with_key(job: ReportedRun, index: int, body: dict[str, Any]) -> dict[str, Any]:
    body["data"][REPORT_KEY] = report_key(job, index, body)
    return body


def result_bodies(
    verdicts: Iterable[Verdict],
    job: ReportedRun,
    log_url: Callable[[Verdict], str | None],
) -> list[dict[str, Any]]:
    """One result body per verdict, in order.

    Args:
        verdicts: verdict dicts (``.parse``).
        job: the job they belong to.
        log_url: the log URL of a verdict (its artifact's, else the run's main log).
    """
    group = group_body(job)
    bodies = []
    for index, verdict in enumerate(verdicts):
        data = _data(verdict)
        if job.arch and "arch" not in data:
            data["arch"] = job.arch
        body: dict[str, Any] = {
            "testcase": {"name": testcase_name(str(verdict.get("checkname") or ""), job)},
            "outcome": verdict["outcome"],
            "note": str(verdict.get("summary") or "")[:MAX_NOTE],
            "groups": [group],
            "data": data,
        }
        url = log_url(verdict)
        if url:
            body["ref_url"] = url
        bodies.append(_with_key(job, index, body))
    return bodies


def _job_data(job: ReportedRun) -> dict[str, Any]:
    pairs = (("item", job.item), ("type", job.item_type), ("arch", job.arch))
    return {key: value for key, value in pairs if value}


def crashed_body(
    job: ReportedRun, problems: list[Problem], what: str, log_url: str | None, index: int
) -> dict[str, Any]:
    """The CRASHED result that says a job's results could not (all) be read.

    Args:
        problems: what was wrong, each naming where.
        what: the results' source, for the note (``results.tap``).
        index: its position after the verdicts that did parse (part of its key).
    """
    listed = "; ".join(str(problem) for problem in problems)
    note = f"{what} is malformed ({len(problems)} problem(s)): {listed}"
    if len(note) > MAX_NOTE:
        note = note[: MAX_NOTE - 1] + "…"
    body: dict[str, Any] = {
        "testcase": {"name": testcase_name("", job)},
        "outcome": Outcome.CRASHED.value,
        "note": note,
        "groups": [group_body(job)],
        "data": _job_data(job),
    }
    if log_url:
        body["ref_url"] = log_url
    return _with_key(job, index, body)


#: The outcome of a run that recorded no result: not CRASHED, as nothing crashed (the run
#: finished; a rerun gives the same nothing), and never PASSED or INFO, which gating tools count
#: as satisfied. Every ResultsDB accepts it, so it is posted as it is.
NO_RESULT_OUTCOME = Outcome.NEEDS_INSPECTION.value


def no_result_body(job: ReportedRun, reason: str, log_url: str | None) -> dict[str, Any]:
    """The one result of a run that ran to its end without recording a verdict (no
    ``resultsdb`` action, a check that returned nothing): NEEDS_INSPECTION for the job's
    testcase, its note saying no result was recorded, and why (``reason``)."""
    note = reason if reason.startswith(NO_RESULT) else f"{NO_RESULT}: {reason}"
    body: dict[str, Any] = {
        "testcase": {"name": testcase_name("", job)},
        "outcome": NO_RESULT_OUTCOME,
        "note": note[:MAX_NOTE],
        "groups": [group_body(job)],
        "data": _job_data(job),
    }
    if log_url:
        body["ref_url"] = log_url
    return _with_key(job, 0, body)


def status_bodies(
    job: ReportedRun, testcases: Iterable[str], outcome: str, log_url: str | None = None
) -> list[dict[str, Any]]:
    """Early-status results (QUEUED when a job is scheduled, RUNNING when it starts) for the
    testcases the job will produce; its final results replace them as the latest.

    ``testcases`` are ResultsDB's names (``--testcase``): a dotted one is taken as it is, one
    without a dot is a checkname, put in the job's namespace as a verdict's would be."""
    bodies = []
    for name in testcases:
        body: dict[str, Any] = {
            "testcase": {"name": name if "." in name else testcase_name(name, job)},
            "outcome": outcome,
            "note": f"{outcome.lower()}: {job.testcase or name}",
            "groups": [group_body(job)],
            "data": _job_data(job),
        }
        if log_url:
            body["ref_url"] = log_url
        key = hashlib.sha256(f"{job.uuid}\0{outcome}\0{name}".encode()).hexdigest()[:32]
        body["data"][REPORT_KEY] = key
        bodies.append(body)
    return bodies


def accept_outcomes(
    bodies: list[dict[str, Any]], accepted: Iterable[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Fit the bodies to the outcomes a server accepts.

    An outcome it does not accept becomes the nearest one it does, the original kept in data
    under ``checkline.outcome``. Early-status outcomes (QUEUED, RUNNING) have no honest
    nearest: those bodies are returned apart, unsent.

    Returns:
        ``(sendable, unsendable)``; the key of a changed body is kept (it names the verdict).
    """
    allowed = set(accepted) | set(BASE_OUTCOMES)
    sendable, unsendable = [], []
    for body in bodies:
        outcome = body["outcome"]
        if outcome in allowed:
            sendable.append(body)
        elif outcome not in EARLY_OUTCOMES:
            nearest = NEAREST_OUTCOME.get(outcome, "NEEDS_INSPECTION")
            changed = {**body, "data": {**body["data"], ORIGINAL_OUTCOME_KEY: outcome}}
            changed["outcome"] = nearest
            sendable.append(changed)
        else:
            unsendable.append(body)
    return sendable, unsendable
