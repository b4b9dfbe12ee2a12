"""The buildbot backend's reading of answers, against a small real HTTP server on 127.0.0.1.

The real master is exercised in tests/integration/trigger/test_buildbot_backend.py; here the
server answers what a master, a proxy in front of it or a broken one may answer.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from checkline.trigger.backends.buildbot import BuildbotBackend
from checkline.trigger.errors import BackendError, BackendUnavailable
from checkline.trigger.ledger import JobStatus

JOB = {"item": "x-1-1", "item_type": "koji_build", "taskname": "dummy", "arch": "x86_64"}
JOB = {**JOB, "uuid": "4f7e0d5c-52e7-4d3a-9c36-3b4cf2a6f0c1"}


class Server:
    """Answers every request with the next (status, body) of ``answers``; keeps the requests."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, Any]] = []
        self.requests: list[tuple[str, str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                outer.requests.append((self.command, self.path, body))
                status, payload = outer.answers.pop(0)
                data = (
                    payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                )
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def test_force_request_and_token(server: Server) -> None:
    """Assert submit sends the JSON-RPC force call with the job and keeps the brid."""
    server.answers = [(200, {"result": [7, {"2": 42}], "id": 1, "jsonrpc": "2.0"})]
    backend = BuildbotBackend(server.url)
    assert backend.submit(JOB) == "42"
    method, path, body = server.requests[0]
    assert (method, path) == ("POST", "/api/v2/forceschedulers/force")
    assert body["method"] == "force"
    assert body["params"] == {
        "builderNames": ["x86_64"],
        **JOB,
        "reason": f"checkline job {JOB['uuid']}: dummy on koji_build x-1-1",
    }
    assert backend.info_url("42") == f"{server.url}#/buildrequests/42"


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (503, "Service Unavailable", BackendUnavailable, "HTTP 503"),
        (502, {"no": "rpc"}, BackendUnavailable, "HTTP 502"),
        (
            500,
            {"error": {"code": -32603, "message": "no such builder"}},
            BackendError,
            "no such builder",
        ),
        (404, "Not Found", BackendError, "HTTP 404: Not Found"),
        (200, {"result": "odd"}, BackendError, "unexpected answer"),
        (200, "not json", BackendError, "HTTP 200: not json"),
    ],
)
def test_answers_map_to_errors(
    server: Server, status: int, body: Any, error: type[Exception], message: str
) -> None:
    """Assert 5xx without JSON-RPC error is transient; refusals and nonsense are permanent."""
    server.answers = [(status, body)]
    with pytest.raises(error, match=message) as caught:
        BuildbotBackend(server.url).submit(JOB)
    # a permanent refusal must not be taken for a transient one (it would be retried forever)
    assert isinstance(caught.value, BackendUnavailable) == (error is BackendUnavailable)


@pytest.mark.parametrize(
    ("request_", "builds", "expected"),
    [
        ({"complete": False}, [], JobStatus.SUBMITTED),
        ({"complete": True}, [], JobStatus.CRASHED),  # cancelled before it started
        ({"complete": False}, [{"complete": False, "results": None}], JobStatus.RUNNING),
        ({"complete": True}, [{"complete": True, "results": 0}], JobStatus.FINISHED),
        ({"complete": True}, [{"complete": True, "results": 2}], JobStatus.FINISHED),
        ({"complete": True}, [{"complete": True, "results": 4}], JobStatus.CRASHED),
        ({"complete": True}, [{"complete": True, "results": 6}], JobStatus.CRASHED),
        # the worker was lost: Buildbot queues the request again
        ({"complete": False}, [{"complete": True, "results": 5}], JobStatus.SUBMITTED),
        # another job already had this uuid's artifacts: this one never ran
        (
            {"complete": True},
            [{"complete": True, "results": 2, "properties": {"duplicate_uuid": [True, "x"]}}],
            JobStatus.CRASHED,
        ),
        # the master refused its properties (a NUL in the item): never FINISHED
        (
            {"complete": True},
            [{"complete": True, "results": 2, "properties": {"job_refused": ["item", "x"]}}],
            JobStatus.CRASHED,
        ),
        # the runner could not run the check to its end (execution error 2, job error 3): the
        # build FAILED (never EXCEPTION, which quarantines the worker), the job CRASHED
        (
            {"complete": True},
            [{"complete": True, "results": 2, "properties": {"runner_exit": [2, "RunTask"]}}],
            JobStatus.CRASHED,
        ),
        (
            {"complete": True},
            [{"complete": True, "results": 2, "properties": {"runner_exit": [3, "RunTask"]}}],
            JobStatus.CRASHED,
        ),
        # a failing check (exit 100) ran to its end
        (
            {"complete": True},
            [{"complete": True, "results": 2, "properties": {"runner_exit": [100, "RunTask"]}}],
            JobStatus.FINISHED,
        ),
    ],
)
def test_status(
    server: Server, request_: dict[str, Any], builds: list[dict[str, Any]], expected: JobStatus
) -> None:
    """Assert the request and its build give the job's status."""
    server.answers = [(200, {"buildrequests": [request_]}), (200, {"builds": builds})]
    assert BuildbotBackend(server.url).status("42") == expected
    assert [path for _, path, _ in server.requests] == [
        "/api/v2/buildrequests/42",
        "/api/v2/buildrequests/42/builds?property=duplicate_uuid&property=job_refused&property=runner_exit",
    ]


def test_unknown_request_status(server: Server) -> None:
    """Assert a request the master does not know gives no status."""
    server.answers = [(200, {"buildrequests": []})]
    assert BuildbotBackend(server.url).status("42") is None


def test_status_many_two_requests_for_all(server: Server) -> None:
    """Assert the statuses of many jobs come from two requests, whatever their number."""
    server.answers = [
        (200, {"buildrequests": [
            {"buildrequestid": 40, "complete": True},
            {"buildrequestid": 41, "complete": False},
            {"buildrequestid": 42, "complete": False},
            {"buildrequestid": 43, "complete": False},
        ]}),
        (200, {"builds": [
            {"buildid": 7, "buildrequestid": 40, "complete": True, "results": 0},
            {"buildid": 9, "buildrequestid": 42, "complete": True, "results": 5},
            {"buildid": 8, "buildrequestid": 41, "complete": False, "results": None},
        ]}),
    ]  # fmt: skip
    statuses = BuildbotBackend(server.url).status_many(["40", "41", "42", "43", "99"])
    assert statuses == {
        "40": JobStatus.FINISHED,
        "41": JobStatus.RUNNING,
        "42": JobStatus.SUBMITTED,  # lost its worker: queued again
        "43": JobStatus.SUBMITTED,
        "99": None,
    }
    assert [path for _, path, _ in server.requests] == [
        "/api/v2/buildrequests?buildrequestid__ge=40",
        "/api/v2/builds?buildrequestid__ge=40&property=duplicate_uuid&property=job_refused&property=runner_exit",
    ]
