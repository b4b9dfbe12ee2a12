"""Connecting: one ``Database`` per process, read and write transactions, schema set-up.

SQLite gets WAL (readers never wait for the writer), a busy timeout, and ``BEGIN IMMEDIATE``
for write transactions: a deferred transaction that reads and then writes can fail at once
with "database is locked" when another worker wrote in between, whatever the timeout.

Reads run outside any transaction (autocommit): every read is one statement (see
``serializers.with_details``), so it sees one snapshot anyway, and on PostgreSQL this saves
the BEGIN and ROLLBACK round trips. There is no pre-ping either (another round trip per
request): a connection the server dropped fails once and is replaced (503 for that request).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from .schema import metadata

__all__ = ["Database", "reset_database"]

_WRITE = "checkline_write"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Take BEGIN over from pysqlite, so that the "begin" hook below chooses its kind.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # pysqlite's own BEGIN is off (see _sqlite_pragmas): only writes open a transaction.
    if conn.get_execution_options().get(_WRITE):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _psycopg_prepare(dbapi_connection: Any, _record: Any) -> None:
    # Planning a page's statement costs more than running it (1.8 ms against 0.5 ms): let
    # psycopg prepare every statement at once, so each connection plans a query shape once.
    dbapi_connection.prepare_threshold = 0


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with Checkline's per-backend settings (see the module docstring)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(url, pool_recycle=1800, **kwargs)
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() == "psycopg":
        event.listen(engine, "connect", _psycopg_prepare)
    return engine


class Database:
    """The engine and its two kinds of transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.dialect = self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection in autocommit mode: each statement on its own (see above)."""
        with self.engine.connect() as conn:
            if self.dialect != "sqlite":  # SQLite reads already open no transaction
                conn.execution_options(isolation_level="AUTOCOMMIT")
            yield conn

    @contextmanager
    def write_one(self) -> Iterator[Connection]:
        """A connection in autocommit mode for a write that is ONE statement (PostgreSQL):
        the statement is a transaction of its own (atomic, and committed, WAL flushed, before
        it answers), without the BEGIN and COMMIT round trips of ``write``."""
        with self.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction committed at the end of the block, rolled back on an exception."""
        with self.engine.connect().execution_options(**{_WRITE: True}) as conn, conn.begin():
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()


def reset_database(engine: Engine) -> None:
    """Delete every row and restart ids at 1 (tests, and ``init-db --drop`` on a live DB)."""
    tables = list(reversed(metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())
