"""PostgreSQL: which reads are prepared (planned once, for any values) and which are planned
for their values at each execution (``FilterShape.plan_per_values``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection

from resultsdb import reads
from resultsdb.db import Database, reset_database
from resultsdb.migrate import upgrade
from resultsdb.queries import DataFilter, ResultFilters
from resultsdb.serializers import Urls

URLS = Urls("http://resultsdb.example/")


@pytest.fixture
def database(postgres_database: str) -> Iterator[Database]:
    upgrade(postgres_database)
    db = Database(postgres_database)
    reset_database(db.engine)
    yield db
    db.dispose()


def _prepared(conn: Connection) -> list[str]:
    """The reads of results prepared on ``conn`` (not the set-up's statements, nor this)."""
    rows = conn.exec_driver_sql("SELECT statement FROM pg_prepared_statements").all()
    return [row[0] for row in rows if "result.outcome" in row[0]]


def test_reads_whose_plan_depends_on_values_are_not_prepared(database: Database) -> None:
    """Assert a read of one item is prepared on the connection, while one of a broad value
    (type=...) is sent unprepared, and the connection prepares again afterwards."""
    item = ResultFilters(data=(DataFilter("item", ("pkg-1.fc41",)),))
    broad = ResultFilters(data=(DataFilter("type", ("bodhi_update",)),))
    with database.read() as conn:
        reads.page(conn, broad, URLS, offset=0, limit=21)
        assert _prepared(conn) == []
        reads.latest(conn, broad, URLS)
        assert _prepared(conn) == []
        reads.page(conn, item, URLS, offset=0, limit=21)
        assert len(_prepared(conn)) == 1
        reads.latest(conn, broad, URLS)
        assert len(_prepared(conn)) == 1
        raw = conn.connection.dbapi_connection
        assert raw is not None
        assert getattr(raw, "prepare_threshold", None) == 0


def test_page_bounds_are_part_of_the_prepared_text(database: Database) -> None:
    """Assert LIMIT and OFFSET are in a prepared read's SQL (a plan made once must know the
    limit), so two page sizes are two statements."""
    filters = ResultFilters(testcases=("dist.rpmlint",))
    with database.read() as conn:
        reads.page(conn, filters, URLS, offset=0, limit=21)
        reads.page(conn, filters, URLS, offset=40, limit=3)
        texts = _prepared(conn)
    assert len(texts) == 2
    assert any("LIMIT 21 OFFSET 0" in t for t in texts)
    assert any("LIMIT 3 OFFSET 40" in t for t in texts)
