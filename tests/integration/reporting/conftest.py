"""A real ResultsDB (``checkline resultsdb serve``) for reporting, and the artifacts served.

``rdb``: a server on SQLite, emptied before each test. ``rdb_factory(db_url)``: a server of
one's own (started, and stopped at the end), for the tests that kill and restart it.
``artifacts``: a folder served over HTTP like the master's artifacts directory.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rdb_server import Client, ResultsDBServer, start_server, stop_server
from sqlalchemy import create_engine

from checkline.resultsdb.db import reset_database


@pytest.fixture(scope="session")
def sqlite_rdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ResultsDBServer]:
    folder = tmp_path_factory.mktemp("report-rdb")
    proc, server = start_server(f"sqlite:///{folder / 'resultsdb.sqlite'}", folder / "server.log")
    yield server
    stop_server(proc)


def _reset(server: ResultsDBServer) -> Client:
    engine = create_engine(server.db_url)
    try:
        reset_database(engine)
    finally:
        engine.dispose()
    return Client(server)


@pytest.fixture
def rdb(sqlite_rdb: ResultsDBServer) -> Client:
    return _reset(sqlite_rdb)


@pytest.fixture
def rdb_factory(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    started: list[Any] = []

    def start(db_url: str | None = None, *extra: str) -> tuple[Any, ResultsDBServer]:
        url = db_url or f"sqlite:///{tmp_path / 'own.sqlite'}"
        proc, server = start_server(url, tmp_path / "own-server.log", *extra)
        started.append(proc)
        return proc, server

    yield start
    for proc in started:
        if proc.poll() is None:
            stop_server(proc)


@dataclass
class Artifacts:
    root: Path
    url: str


@pytest.fixture
def artifacts(tmp_path: Path) -> Iterator[Artifacts]:
    root = tmp_path / "artifacts"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Artifacts(root, f"http://127.0.0.1:{server.server_address[1]}")
    server.shutdown()
    server.server_close()
