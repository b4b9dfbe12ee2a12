"""Connecting: one ``Database`` per process, read and write transactions, schema set-up.

SQLite gets WAL (readers never wait for the writer), a busy timeout, and ``BEGIN IMMEDIATE``
for write transactions: a deferred transaction that reads and then writes can fail at once
with "database is locked" when another worker wrote in between, whatever the timeout.

SQLite writers also queue on a lock of their own (a mutex per process, then ``flock`` on
``<database>.write-lock``) before ``BEGIN IMMEDIATE``: a writer that finds the database locked
otherwise sleeps in SQLite's busy handler (1, 2, 5, 10 ms...) and wakes late, while the kernel
wakes a ``flock`` waiter the moment the lock is released. SQLite's own lock still decides (an
``import`` or a migration does not take ours); this only shortens the waits. Measured: 4
clients posting single results 508-544/s without it, 585-654/s with it (interleaved runs).

Reads run outside any transaction (autocommit): every read is one statement (see
``queries.with_details``), so it sees one snapshot anyway, and on PostgreSQL this saves
the BEGIN and ROLLBACK round trips. There is no pre-ping either (another round trip per
request): a connection the server dropped fails once and is replaced (503 for that request).
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from .schema import metadata

__all__ = ["Database", "planned_per_execution", "reset_database", "run_again_if_chosen_to_fail"]

T = TypeVar("T")

#: SQLSTATEs of a transaction PostgreSQL failed so that others could go on: the victim of a
#: deadlock it broke, and a serialization failure. Run again, such a transaction succeeds.
_CHOSEN_TO_FAIL = frozenset({"40P01", "40001"})

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


#: ``ConnectionRecord.info`` key of a session whose prepared statements get plans made once.
_PLANS_ONCE = "checkline_plans_once"


def _plan_once(dbapi_connection: Any, record: Any) -> None:
    # PostgreSQL plans a prepared statement for its values five times, then keeps doing so
    # when its plan made once for any values looks costlier, however much planning costs: an
    # item's page at 100,000 results was planned at every execution (0.45 ms of 1.5 ms).
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True  # a SET in a transaction would be rolled back with it
    dbapi_connection.execute("SET plan_cache_mode = force_generic_plan")
    dbapi_connection.autocommit = autocommit
    record.info[_PLANS_ONCE] = True


@contextmanager
def planned_per_execution(conn: Connection) -> Iterator[None]:
    """PostgreSQL (psycopg): statements run in this block are planned for their values at
    each execution. For statements whose best plan depends on the values
    (``FilterShape.plan_per_values``).

    On a session that plans once (``Database.read(planned_once=True)``) the block switches
    ``plan_cache_mode`` to custom plans and back (two round trips); elsewhere its statements
    are simply not prepared (a prepared one may get a plan made once for any values).
    """
    if conn.info.get(_PLANS_ONCE):
        conn.exec_driver_sql("SET plan_cache_mode = force_custom_plan")
        try:
            yield
        finally:
            conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        return
    raw = conn.connection.dbapi_connection
    if raw is None or getattr(raw, "prepare_threshold", None) is None:
        yield  # SQLite, or nothing prepared anyway
        return
    threshold = raw.prepare_threshold
    raw.prepare_threshold = None
    try:
        yield
    finally:
        raw.prepare_threshold = threshold


def run_again_if_chosen_to_fail(transaction: Callable[[], T], tries: int = 3) -> T:
    """``transaction()``, run again (up to ``tries`` times in all) when PostgreSQL failed it
    to break a deadlock or a serialization conflict.

    Two POSTs creating the same new groups in opposite orders each hold one and wait for the
    other; PostgreSQL fails one of them after ``deadlock_timeout``. Nothing of it was stored,
    and the other has committed by the time it runs again, so the second run finds its groups.
    ``transaction`` must be a whole transaction (it is run from its start again).
    """
    for attempt in range(1, tries + 1):
        try:
            return transaction()
        except OperationalError as err:
            if attempt == tries or getattr(err.orig, "sqlstate", None) not in _CHOSEN_TO_FAIL:
                raise
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def make_engine(url: str, *, planned_once: bool = False, **kwargs: Any) -> Engine:
    """An engine with Checkline's per-backend settings (see the module docstring);
    ``planned_once``: PostgreSQL sessions whose prepared statements get plans made once for
    any values (``plan_cache_mode = force_generic_plan``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # LIFO: a request takes the connection the last one gave back, so a few connections do
    # most of the work and their prepared statements reach PostgreSQL's plan made once for
    # any values (after five executions each) instead of each being planned again on the
    # next of several connections taken in turn.
    engine = create_engine(url, pool_recycle=1800, pool_use_lifo=True, **kwargs)
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() == "psycopg":
        event.listen(engine, "connect", _psycopg_prepare)
        if planned_once:
            event.listen(engine, "connect", _plan_once)
    return engine


class Database:
    """The engine and its two kinds of transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.dialect = self.engine.dialect.name
        # PostgreSQL: a second pool, of sessions that plan once (see ``read``).
        self._planned_once = (
            make_engine(url, planned_once=True) if self.dialect == "postgresql" else self.engine
        )
        self._writers_in_process = threading.Lock()
        database = make_url(url).database if self.dialect == "sqlite" else None
        self._write_lock_file = (
            f"{database}.write-lock" if database and database != ":memory:" else None
        )

    @contextmanager
    def read(self, *, planned_once: bool = False) -> Iterator[Connection]:
        """A connection in autocommit mode: each statement on its own (see above).

        ``planned_once``: for statements whose best plan does not depend on the values
        (``reads.planned_once``). On PostgreSQL the connection then comes from a pool of
        sessions that plan each prepared statement once, for any values, and never again:
        no planning per execution, which PostgreSQL's own choice may keep doing.
        """
        with (self._planned_once if planned_once else self.engine).connect() as conn:
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
        with self._writers_queue():
            with self.engine.connect().execution_options(**{_WRITE: True}) as conn, conn.begin():
                yield conn

    @contextmanager
    def _writers_queue(self) -> Iterator[None]:
        """SQLite: one writer at a time, woken at once (see the module docstring)."""
        if self._write_lock_file is None:
            yield
            return
        with self._writers_in_process:
            # Opened per write, never inherited: a flock belongs to an open file, and one
            # opened before gunicorn forked its workers would be the same lock in all of them.
            with open(self._write_lock_file, "ab") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                yield  # closing the file releases the lock

    def dispose(self) -> None:
        self.engine.dispose()
        self._planned_once.dispose()


def reset_database(engine: Engine) -> None:
    """Delete every row and restart ids at 1: the test fixtures' empty database between tests,
    faster than dropping and migrating again (``init-db --drop`` drops: ``migrate.drop``)."""
    tables = list(reversed(metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())
