"""SQLite's plans for the reads, from EXPLAIN QUERY PLAN: SQLite keeps no statistics, so it
chooses its indexes from the schema alone, the same on an empty database as on a large one.
A wrong choice is not an error, only slow (650 ms instead of 2 at 1,000,000 results), so it
is checked here."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sql_capture import statements_sent

from checkline.resultsdb import reads
from checkline.resultsdb.db import Database
from checkline.resultsdb.migrate import upgrade
from checkline.resultsdb.queries import DataFilter, ResultFilters
from checkline.resultsdb.serializers import Urls

URLS = Urls("http://resultsdb.example/")
ITEM = DataFilter("item", ("pkg-1.fc41",))
KOJI = DataFilter("type", ("koji_build",))


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    upgrade(url)
    db = Database(url)
    yield db
    db.dispose()


def _plan(database: Database, read: str, filters: ResultFilters) -> list[str]:
    """The EXPLAIN QUERY PLAN lines of the statement ``read`` runs for ``filters``."""
    with statements_sent(database.engine) as sent, database.read() as conn:
        if read == "page":
            reads.page(conn, filters, URLS, offset=0, limit=21)
        else:
            reads.latest(conn, filters, URLS)
    statement, parameters = sent[-1]
    path = database.url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as raw:
        return [row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)]


@pytest.mark.parametrize(
    ("read", "filters"),
    [
        ("page", ResultFilters(data=(ITEM,))),
        ("page", ResultFilters(data=(ITEM, KOJI))),
        ("latest", ResultFilters(data=(ITEM, KOJI))),
        ("latest", ResultFilters(data=(ITEM,), testcases_like=("dist.%",))),
        ("latest", ResultFilters(data=(KOJI, DataFilter("arch", ("x86_64",))))),
        ("page", ResultFilters(data=(KOJI, DataFilter("arch", ("x86_64",))))),
    ],
    ids=["item", "item+type", "latest item+type", "latest item+like", "latest type+arch", "type"],
)
def test_no_read_scans_the_data_table(
    database: Database, read: str, filters: ResultFilters
) -> None:
    """Assert the data table is only searched by index, and a check of a broad key (type,
    arch) on a candidate is one entry of the (result_id, key, value) index."""
    plan = _plan(database, read, filters)
    assert not [line for line in plan if line.startswith("SCAN result_data")], plan
    probes = [line for line in plan if "AND key=? AND value=?" in line]
    assert bool(probes) == any(f.broad for f in filters.data), plan
    assert all("ix_result_data_result_id_key_value (result_id=? AND" in p for p in probes), plan


def test_an_items_reads_use_its_index_entries(database: Database) -> None:
    """Assert the newest result per testcase of an item is one step in the item's entries
    by testcase, not a walk through the result table."""
    plan = _plan(database, "latest", ResultFilters(data=(ITEM, KOJI)))
    wide = "ix_result_data_key_value_testcase_name_submit_time_result_id"
    assert any(f"{wide} (key=? AND value=? AND testcase_name=?)" in line for line in plan), plan
    assert not [line for line in plan if line.startswith("SCAN result ")], plan


@pytest.mark.parametrize(
    "filters",
    [
        ResultFilters(outcomes=("FAILED",)),
        ResultFilters(outcomes=("FAILED",), since=dt.datetime(2025, 5, 1)),
        ResultFilters(outcomes=("FAILED",), data=(KOJI,)),
    ],
    ids=["outcome", "outcome+since", "outcome+type"],
)
def test_a_page_of_an_outcome_is_the_head_of_its_index(
    database: Database, filters: ResultFilters
) -> None:
    """Assert a page of one outcome walks the (outcome, submit_time, id) index newest first:
    no sort of all the outcome's results (107 ms for FAILED at 1,000,000 results)."""
    plan = _plan(database, "page", filters)
    assert any("ix_result_outcome_submit_time_id (outcome=?" in line for line in plan), plan
    assert not [line for line in plan if "TEMP B-TREE FOR ORDER BY" in line], plan
