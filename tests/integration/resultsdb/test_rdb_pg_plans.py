"""PostgreSQL: which reads are prepared (planned once, for any values) and which are planned
for their values at each execution (``FilterShape.plan_per_values``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sql_capture import statements_sent
from sqlalchemy import Connection

from checkline.resultsdb import reads
from checkline.resultsdb.app import create_app
from checkline.resultsdb.config import ResultsDBSettings
from checkline.resultsdb.db import Database
from checkline.resultsdb.parsers import CreateResultBody
from checkline.resultsdb.queries import DataFilter, ResultFilters
from checkline.resultsdb.serializers import Urls
from checkline.resultsdb.store import create_results

URLS = Urls("http://resultsdb.example/")


def _prepared_reads(conn: Connection) -> list[tuple[str, int, int]]:
    """(SQL, generic plans, custom plans) of each read of results prepared on ``conn`` (not
    the set-up's statements, nor this query)."""
    rows = conn.exec_driver_sql(
        "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
    ).all()
    return [(row[0], int(row[1]), int(row[2])) for row in rows if "result.outcome" in row[0]]


def _prepared(conn: Connection) -> list[str]:
    """The SQL of each read of results prepared on ``conn``."""
    return [sql for sql, _generic, _custom in _prepared_reads(conn)]


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


def _plans(conn: Connection) -> list[tuple[int, int]]:
    """(generic plans, custom plans) of each read of results prepared on ``conn``."""
    return [(generic, custom) for _sql, generic, custom in _prepared_reads(conn)]


def test_a_planned_once_session_never_plans_a_read_for_its_values(database: Database) -> None:
    """Assert an item's page read on a planned-once connection is planned once for any
    values, from its first execution, while a default session plans it for its values (its
    first five executions, and then for as long as PostgreSQL prefers)."""
    first = ResultFilters(data=(DataFilter("item", ("pkg-1.fc41",)),))
    second = ResultFilters(data=(DataFilter("item", ("pkg-2.fc41",)),))
    with database.read(planned_once=True) as conn:
        for filters in (first, second, first):
            reads.page(conn, filters, URLS, offset=0, limit=21)
        assert _plans(conn) == [(3, 0)]
        assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_generic_plan"
    with database.read() as conn:
        for filters in (first, second, first):
            reads.page(conn, filters, URLS, offset=0, limit=21)
        assert _plans(conn) == [(0, 3)]
        assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar() == "auto"


def test_a_planned_once_session_plans_a_broad_read_for_its_values(database: Database) -> None:
    """Assert a read whose best plan depends on its values (a broad key, no item) is planned
    for its values even on a planned-once connection, which plans once again afterwards."""
    broad = ResultFilters(data=(DataFilter("type", ("bodhi_update",)),))
    item = ResultFilters(data=(DataFilter("item", ("pkg-1.fc41",)),))
    assert not reads.planned_once(broad)
    assert reads.planned_once(item)
    with database.read(planned_once=True) as conn:
        reads.page(conn, broad, URLS, offset=0, limit=21)
        reads.page(conn, broad, URLS, offset=0, limit=21)
        assert _plans(conn) == [(0, 2)]
        assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_generic_plan"
        reads.page(conn, item, URLS, offset=0, limit=21)
        assert sorted(_plans(conn)) == [(0, 2), (1, 0)]


def test_the_api_reads_an_item_on_a_planned_once_session(database: Database) -> None:
    """Assert GET /results?item=X and /results/latest?item=X run on the planned-once pool
    (the connection it hands out next, LIFO, holds their statements, planned once), and
    pages whose plan depends on the values (a broad key, an outcome, a testcase pattern, with
    no item) on the other pool."""
    client = create_app(
        ResultsDBSettings(db=database.url), database=database, start_relay=False
    ).test_client()
    for path in ("/results?item=pkg-1.fc41", "/results/latest?item=pkg-1.fc41"):
        assert client.get(f"/api/v2.0{path}").status_code == 200
    for path in ("type=bodhi_update", "outcome=CRASHED", "testcases:like=nosuch*"):
        assert client.get(f"/api/v2.0/results?{path}").status_code == 200
    with database.read(planned_once=True) as conn:
        assert _plans(conn) == [(1, 0), (1, 0)]
    with database.read() as conn:
        assert _prepared(conn) == []  # the broad read: not prepared, planned for its values


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


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def test_latest_searches_each_testcase_once(database: Database) -> None:
    """Assert /results/latest of an item looks for each testcase's newest result once (the
    correlated search, pulled into the IN, used to run twice per testcase)."""
    outcomes = ("PASSED",)
    bodies = [
        CreateResultBody.model_validate(
            {
                "outcome": "PASSED",
                "testcase": {"name": f"dist.check{i % 3}"},
                "data": {"item": "pkg-1.fc41", "type": "koji_build"},
            },
            context={"outcomes": outcomes},
        )
        for i in range(9)
    ]
    with database.write() as conn:
        create_results(conn, bodies)
    filters = ResultFilters(
        data=(DataFilter("item", ("pkg-1.fc41",)), DataFilter("type", ("koji_build",)))
    )
    with statements_sent(database.engine) as sent, database.read() as conn:
        assert len(reads.latest(conn, filters, URLS)) == 3
    statement, parameters = sent[-1]
    with database.read() as conn:
        explained = conn.exec_driver_sql(
            f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", parameters
        ).scalar_one()
    searches = [
        node
        for node in _nodes(explained[0]["Plan"])
        if node.get("Alias") == "newest" and "Index" in node["Node Type"]
    ]
    assert searches, explained
    assert all(node["Actual Loops"] == 3 for node in searches), searches
