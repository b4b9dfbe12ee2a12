"""The ``buildbot`` backend: one ForceScheduler JSON-RPC ``force`` call per job.

``POST {buildbot_url}api/v2/forceschedulers/{scheduler}`` with ``{"jsonrpc": "2.0", "method":
"force", "params": {"builderNames": [arch], "item", "item_type", "taskname", "arch", "uuid",
"reason"}}`` answers ``{"result": [bsid, {builderid: brid}]}``. The build request id ``brid``
is the token; ``{buildbot_url}#/buildrequests/{brid}`` is a page that shows the request and,
once it starts, its build. The master must declare the five job properties as parameters of
its ForceScheduler (undeclared ones are silently dropped), one builder per arch, and
``collapseRequests = False`` (Buildbot collapses requests by default, whatever their
properties).

Status: the build request, then its build (``/api/v2/buildrequests/{brid}/builds``). A build
that ran to its end (results SUCCESS, WARNINGS or FAILURE: the runner's verdicts are not the
scheduler's business) is FINISHED; an exception, skip or cancel is CRASHED; a build that lost
its worker (RETRY) leaves the request queued again, so the job is SUBMITTED until the next try.

Errors: no answer, a timeout or a 5xx without a JSON-RPC error is transient (the job waits in
the ledger); a 4xx or a JSON-RPC error (an unknown builder: HTTP 500 with error -32603) is
permanent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import requests

from checkline.contracts import ExitCode, Job
from checkline.secrets import Secret, reveal

from ..errors import BackendError, BackendUnavailable
from ..ledger import JobStatus
from .base import Backend

__all__ = ["BuildbotBackend"]

# buildbot.process.results: SUCCESS 0, WARNINGS 1, FAILURE 2, SKIPPED 3, EXCEPTION 4, RETRY 5,
# CANCELLED 6.
RAN_TO_THE_END = (0, 1, 2)
RETRY = 5
#: The build properties by which master.cfg says it refused a job or the runner could not run
#: it (see ``job_status``).
REFUSAL_PROPERTIES = "property=duplicate_uuid&property=job_refused&property=runner_exit"
#: The runner's exit codes of a run that did not reach its end: execution error, job error.
RUNNER_CRASHED = (ExitCode.EXECUTION_ERROR, ExitCode.JOB_ERROR)


def _property(properties: Mapping[str, Any], name: str) -> Any:
    """A build property's value (Buildbot's REST API gives ``[value, source]``)."""
    value = properties.get(name)
    return value[0] if isinstance(value, list) and value else value


def job_status(request: Mapping[str, Any], builds: list[dict[str, Any]]) -> JobStatus:
    """A job's status from its build request and the request's builds, oldest first."""
    if builds:
        build = builds[-1]
        if not build.get("complete"):
            return JobStatus.RUNNING
        if build.get("results") == RETRY and not request.get("complete"):
            # The worker was lost: Buildbot puts the request back in the queue and runs it
            # again; the job is not over.
            return JobStatus.SUBMITTED
        properties = build.get("properties") or {}
        if properties.get("duplicate_uuid") or properties.get("job_refused"):
            # master.cfg refused it: another job already has this uuid's artifacts, or its
            # properties cannot make a job (a NUL in the item, say). Never FINISHED.
            return JobStatus.CRASHED
        if _property(properties, "runner_exit") in RUNNER_CRASHED:
            # The runner could not run the check to its end (an execution or a job error):
            # master.cfg gives such builds FAILURE, not EXCEPTION (which quarantines workers).
            return JobStatus.CRASHED
        return JobStatus.FINISHED if build.get("results") in RAN_TO_THE_END else JobStatus.CRASHED
    if request.get("complete"):  # cancelled before it started
        return JobStatus.CRASHED
    return JobStatus.SUBMITTED


class BuildbotBackend(Backend):
    name = "buildbot"

    def __init__(
        self,
        url: str,
        scheduler: str = "force",
        timeout: float = 30.0,
        session: requests.Session | None = None,
        login: tuple[str, Secret | str] | None = None,
    ) -> None:
        self.url = url.rstrip("/") + "/"
        self.scheduler = scheduler
        self.timeout = timeout
        self.session = session or requests.Session()
        self.login = login
        self._logged_in = False

    def _log_in(self) -> None:
        """Open a session on a master that requires a login to force (see master.cfg's
        ``users``): Buildbot's API takes the session cookie ``/auth/login`` sets, not basic
        credentials on each call."""
        if self.login is None or self._logged_in:
            return
        try:
            response = self.session.get(
                f"{self.url}auth/login",
                auth=(self.login[0], reveal(self.login[1])),
                timeout=self.timeout,
            )
        except requests.RequestException as err:
            raise BackendUnavailable(f"Buildbot at {self.url} did not answer: {err}") from err
        if response.status_code >= 500:
            raise BackendUnavailable(f"Buildbot login: HTTP {response.status_code}")
        if response.status_code >= 400:
            raise BackendError(
                f"Buildbot login as {self.login[0]!r} refused (HTTP {response.status_code}): "
                "check buildbot_user and buildbot_password"
            )
        self._logged_in = True

    def _call(self, path: str, method: str, params: Mapping[str, Any]) -> Any:
        self._log_in()
        payload: dict[str, Any] = {
            "jsonrpc": "2.0",
            "method": method,
            "id": 1,
            "params": dict(params),
        }
        try:
            response = self.session.post(
                f"{self.url}api/v2/{path}", json=payload, timeout=self.timeout
            )
        except requests.RequestException as err:
            raise BackendUnavailable(f"Buildbot at {self.url} did not answer: {err}") from err
        if response.status_code == 403 and self.login is not None and self._logged_in:
            # The session expired (a master restart forgets it): log in again next time.
            self._logged_in = False
            raise BackendUnavailable(f"Buildbot {method} on {path}: session expired")
        return self._answer(response, f"{method} on {path}")

    def _get(self, path: str) -> Any:
        try:
            response = self.session.get(f"{self.url}api/v2/{path}", timeout=self.timeout)
        except requests.RequestException as err:
            raise BackendUnavailable(f"Buildbot at {self.url} did not answer: {err}") from err
        return self._answer(response, f"GET {path}")

    @staticmethod
    def _answer(response: requests.Response, what: str) -> Any:
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict) and "error" in data:
            # The master answered and refused this request (it says so with an HTTP 500 and
            # JSON-RPC error -32603 for an unknown builder): retrying cannot help.
            error = data["error"]
            message = error.get("message") if isinstance(error, dict) else error
            raise BackendError(f"Buildbot {what}: {message}")
        if response.status_code >= 500:
            raise BackendUnavailable(f"Buildbot {what}: HTTP {response.status_code}")
        if response.status_code >= 400 or not isinstance(data, dict):
            raise BackendError(
                f"Buildbot {what}: HTTP {response.status_code}: {response.text[:200]}"
            )
        return data

    def submit(self, job: Job) -> str:
        params = {
            "builderNames": [str(job["arch"])],
            "item": str(job["item"]),
            "item_type": str(job["item_type"]),
            "taskname": str(job["taskname"]),
            "arch": str(job["arch"]),
            "uuid": str(job["uuid"]),
            # The uuid in the reason: ``find`` looks the job's buildset up by it.
            "reason": (
                f"checkline job {job['uuid']}: {job['taskname']} on {job['item_type']} "
                f"{job['item']}"
            ),
        }
        data = self._call(f"forceschedulers/{self.scheduler}", "force", params)
        try:
            _bsid, requests_by_builder = data["result"]
            (brid,) = requests_by_builder.values()
        except (KeyError, TypeError, ValueError) as err:
            raise BackendError(f"Buildbot force: unexpected answer {data!r}") from err
        return str(brid)

    def find(self, job: Job) -> str | None:
        """The newest build request of a buildset whose reason names the job's uuid.

        Buildbot filters buildsets by ``reason__contains`` in SQL; builds are not searched by
        property, as their properties are not in a column.
        """
        uuid = str(job["uuid"])
        query = urlencode(
            {"reason__contains": f"checkline job {uuid}", "field": ["bsid", "reason"]}, doseq=True
        )
        found = self._get(f"buildsets?{query}")
        bsids = sorted(int(bs["bsid"]) for bs in found.get("buildsets") or [])
        for bsid in reversed(bsids):
            held = self._get(
                f"buildrequests?buildsetid={bsid}&field=buildrequestid&field=buildsetid"
            )
            brids = sorted(int(r["buildrequestid"]) for r in held.get("buildrequests") or [])
            if brids:
                return str(brids[-1])
        return None

    def status(self, token: str) -> JobStatus | None:
        requests_ = self._get(f"buildrequests/{int(token)}").get("buildrequests") or []
        if not requests_:
            return None
        path = f"buildrequests/{int(token)}/builds?{REFUSAL_PROPERTIES}"
        builds = self._get(path).get("builds") or []
        return job_status(requests_[0], builds)

    def status_many(self, tokens: list[str]) -> dict[str, JobStatus | None]:
        """All of ``tokens`` in two requests (requests and builds from the oldest on), so that
        reconciling many active jobs does not load the master with two requests per job."""
        brids = sorted({int(token) for token in tokens})
        if not brids:
            return {}
        since = f"buildrequestid__ge={brids[0]}"
        found = self._get(f"buildrequests?{since}").get("buildrequests") or []
        built = self._get(f"builds?{since}&{REFUSAL_PROPERTIES}").get("builds") or []
        requests_by_id = {r["buildrequestid"]: r for r in found}
        builds_by_request: dict[int, list[dict[str, Any]]] = {}
        for build in sorted(built, key=lambda b: b["buildid"]):
            builds_by_request.setdefault(build["buildrequestid"], []).append(build)
        out: dict[str, JobStatus | None] = {}
        for token in tokens:
            request = requests_by_id.get(int(token))
            out[token] = (
                None
                if request is None
                else job_status(request, builds_by_request.get(int(token), []))
            )
        return out

    def cancel(self, token: str) -> None:
        self._call(f"buildrequests/{int(token)}", "cancel", {"reason": "cancelled by checkline"})

    def info_url(self, token: str) -> str | None:
        return f"{self.url}#/buildrequests/{token}"
