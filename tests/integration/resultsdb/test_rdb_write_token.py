"""Beyond upstream: with a write token configured, writes need it and reads stay open."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import resultsdb_api
from rdb_server import ResultsDBServer, start_server, stop_server

TOKEN = "s3cret-token"  # noqa: S105 - a test token


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ResultsDBServer]:
    tmp: Path = tmp_path_factory.mktemp("guarded")
    env = {**os.environ, "CHECKLINE_RESULTSDB_WRITE_TOKEN": TOKEN}
    proc, server = start_server(
        f"sqlite:///{tmp / 'r.sqlite'}", tmp / "server.log", env=env, workers=1
    )
    yield server
    stop_server(proc)


@pytest.mark.parametrize("path", ["/results", "/results/bulk", "/groups", "/testcases"])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}])
def test_writes_without_the_token_are_refused(
    guarded: ResultsDBServer, path: str, headers: dict[str, str]
) -> None:
    """Assert every POST without the right token is a 401 with a message, storing nothing."""
    body: dict[str, Any] = {"outcome": "PASSED", "testcase": "t", "name": "t", "results": []}
    response = requests.post(f"{guarded.api}{path}", json=body, headers=headers, timeout=10)
    assert (response.status_code, response.json()) == (
        401,
        {"message": "a valid write token is required to write"},
    )
    assert requests.get(f"{guarded.api}/testcases", timeout=10).json()["data"] == []


def test_the_token_opens_writes_and_reads_stay_open(guarded: ResultsDBServer) -> None:
    """Assert a bearer token or resultsdb-api's _auth_token writes; GETs need nothing."""
    response = requests.post(
        f"{guarded.api}/results",
        json={"outcome": "PASSED", "testcase": "bearer"},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )
    assert response.status_code == 201
    client = resultsdb_api.ResultsDBapi(guarded.api, auth_token=TOKEN)
    created = client.create_result(outcome="FAILED", testcase="client", item="x")
    assert created["testcase"]["name"] == "client"
    names = [
        r["testcase"]["name"]
        for r in requests.get(f"{guarded.api}/results", timeout=10).json()["data"]
    ]
    assert sorted(names) == ["bearer", "client"]
