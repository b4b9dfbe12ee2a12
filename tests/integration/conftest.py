"""Real services for integration tests, started here on 127.0.0.1 and free ports.

``postgres_admin_url``: a PostgreSQL server (the machine's, started if installed but down).
``database_url``: a fresh database per backend, ``sqlite`` and ``postgresql``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_ADMIN_URL = os.environ.get(
    "CHECKLINE_TEST_PG", "postgresql://checkline:checkline@127.0.0.1:5432/postgres"
)


def _pg_reachable() -> bool:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def _start_local_postgres() -> None:
    """Start the machine's PostgreSQL cluster if it is installed but not running."""
    clusters = Path("/etc/postgresql")
    if not shutil.which("pg_ctlcluster") or not clusters.is_dir():
        return
    for version in sorted(p.name for p in clusters.iterdir()):
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
            check=False,
            capture_output=True,
            timeout=60,
        )
    for _ in range(40):
        if _pg_reachable():
            return
        time.sleep(0.25)


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    if not _pg_reachable():
        _start_local_postgres()
    if not _pg_reachable():
        pytest.skip(
            f"!!! PostgreSQL is not reachable at {PG_ADMIN_URL} and none could be started: "
            "the PostgreSQL half of the integration tests DID NOT RUN (make test installs "
            "and starts it; set CHECKLINE_TEST_PG to use another server) !!!"
        )
    return PG_ADMIN_URL


@pytest.fixture(scope="session")
def postgres_database(postgres_admin_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for this test session; dropped at the end."""
    import psycopg

    name = f"checkline_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = postgres_admin_url.rsplit("/", 1)[0]
    yield f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"
    with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'resultsdb.sqlite'}"
    return str(request.getfixturevalue("postgres_database"))
