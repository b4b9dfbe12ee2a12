"""The schema: Alembic's migrations build exactly the tables the code uses; init-db --drop."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from rdb_server import start_server, stop_server
from sqlalchemy import create_engine, func, select

from resultsdb.schema import metadata, result


def test_migrations_match_the_code(resultsdb_server: object, database_url: str) -> None:
    """Assert `init-db` (alembic upgrade head) created exactly schema.py's tables and indexes."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    assert diffs == []


@pytest.fixture
def scratch_url(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database of its own (not the running server's), on the same backend."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'scratch.sqlite'}"
        return
    import psycopg

    admin = request.getfixturevalue("postgres_admin_url")
    name = f"checkline_scratch_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    yield f"{base}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_init_db_drop_empties_and_restarts_ids(scratch_url: str, tmp_path: Path) -> None:
    """Assert results survive a plain init-db, and --drop empties the database (ids from 1)."""
    checkline = str(Path(sys.executable).parent / "checkline")
    proc, server = start_server(scratch_url, tmp_path / "server.log", workers=1)
    try:
        for _ in range(2):
            body = {"outcome": "PASSED", "testcase": "t", "data": {"item": "x"}}
            assert requests.post(f"{server.api}/results", json=body, timeout=10).status_code == 201
    finally:
        stop_server(proc)
    engine = create_engine(scratch_url)
    try:
        subprocess.run([checkline, "resultsdb", "init-db", "--db", scratch_url], check=True)
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(result)).scalar() == 2
        subprocess.run(
            [checkline, "resultsdb", "init-db", "--db", scratch_url, "--drop"], check=True
        )
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(result)).scalar() == 0
    finally:
        engine.dispose()
    proc, server = start_server(scratch_url, tmp_path / "server2.log", workers=1)
    try:
        body = {"outcome": "PASSED", "testcase": "t"}
        assert requests.post(f"{server.api}/results", json=body, timeout=10).json()["id"] == 1
    finally:
        stop_server(proc)
