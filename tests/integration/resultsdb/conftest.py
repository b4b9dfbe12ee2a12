"""A real ResultsDB server (``checkline resultsdb serve``, gunicorn, 2 workers) per backend.

``rdb`` empties the database before each test (ids restart at 1) and gives a small HTTP
client: ``rdb.get(path, params)``, ``rdb.post(path, json)``, ``rdb.api`` (the v2.0 base URL).
``database`` is a PostgreSQL ``Database`` at the newest schema, emptied, for tests of the
statements themselves.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rdb_server import Client, ResultsDBServer, start_server, stop_server
from sqlalchemy import create_engine

from checkline.resultsdb.db import Database, reset_database
from checkline.resultsdb.migrate import upgrade

__all__ = ["Client", "ResultsDBServer"]


@pytest.fixture(scope="session")
def resultsdb_server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ResultsDBServer]:
    log = tmp_path_factory.mktemp("resultsdb") / "server.log"
    proc, server = start_server(database_url, log)
    yield server
    stop_server(proc)


@pytest.fixture
def rdb(resultsdb_server: ResultsDBServer) -> Client:
    engine = create_engine(resultsdb_server.db_url)
    try:
        reset_database(engine)
    finally:
        engine.dispose()
    return Client(resultsdb_server)


@pytest.fixture
def database(postgres_database: str) -> Iterator[Database]:
    upgrade(postgres_database)
    db = Database(postgres_database)
    reset_database(db.engine)
    yield db
    db.dispose()
