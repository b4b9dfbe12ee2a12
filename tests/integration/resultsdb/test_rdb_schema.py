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

from checkline.resultsdb.schema import metadata, result


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


def test_upgrade_copies_each_results_testcase_and_time_into_its_data(scratch_url: str) -> None:
    """Assert migration 0003 fills the data rows' copies of their result's testcase and time
    in a database made by 0002, and leaves exactly schema.py's tables and indexes."""
    from alembic import command

    from checkline.resultsdb.migrate import alembic_config, upgrade

    command.upgrade(alembic_config(scratch_url), "0002")
    engine = create_engine(scratch_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO testcase (name) VALUES ('dist.a'), ('dist.b')")
            conn.exec_driver_sql(
                "INSERT INTO result (id, testcase_name, submit_time, outcome) VALUES"
                " (1, 'dist.a', '2026-11-01 10:00:00', 'PASSED'),"
                " (2, 'dist.b', '2026-11-02 11:30:00', 'FAILED')"
            )
            conn.exec_driver_sql(
                "INSERT INTO result_data (result_id, key, value) VALUES"
                " (1, 'item', 'x'), (1, 'type', 'koji_build'), (2, 'item', 'y')"
            )
        upgrade(scratch_url)
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT result_id, key, testcase_name, submit_time FROM result_data ORDER BY id"
            ).all()
            diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    assert [(r[0], r[1], r[2], str(r[3])[:19]) for r in rows] == [
        (1, "item", "dist.a", "2026-11-01 10:00:00"),
        (1, "type", "dist.a", "2026-11-01 10:00:00"),
        (2, "item", "dist.b", "2026-11-02 11:30:00"),
    ]
    assert diffs == []
