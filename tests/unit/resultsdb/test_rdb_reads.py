"""Statements kept per filter shape: values are bound, never baked into a kept statement."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from checkline.resultsdb import reads
from checkline.resultsdb.app import create_app
from checkline.resultsdb.config import ResultsDBSettings
from checkline.resultsdb.db import Database
from checkline.resultsdb.migrate import upgrade
from checkline.resultsdb.queries import DataFilter, ResultFilters


@pytest.fixture
def client(tmp_path: Path) -> Iterator[FlaskClient]:
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    upgrade(url)
    database = Database(url)
    app = create_app(ResultsDBSettings(db=url), database=database)
    client = app.test_client()
    for index in range(40):
        body = {
            "outcome": "PASSED",
            "testcase": f"dist.check{index % 2}",
            "data": {"item": f"pkg-{index}-1.fc40", "type": "koji_build"},
        }
        assert client.post("/api/v2.0/results", json=body).status_code == 201
    yield client
    database.dispose()


def _items(client: FlaskClient, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return sorted(r["data"]["item"][0] for r in response.get_json()["data"])


def test_one_shape_two_values_two_answers(client: FlaskClient) -> None:
    """Assert requests of the same shape share a statement yet each gets its own rows."""
    assert _items(client, "/api/v2.0/results?item=pkg-1-1.fc40") == ["pkg-1-1.fc40"]
    kept = reads._kept_page.cache_info().currsize
    assert _items(client, "/api/v2.0/results?item=pkg-2-1.fc40") == ["pkg-2-1.fc40"]
    assert _items(client, "/api/v2.0/results/latest?item=pkg-3-1.fc40") == ["pkg-3-1.fc40"]
    assert _items(client, "/api/v2.0/results/latest?item=pkg-4-1.fc40") == ["pkg-4-1.fc40"]
    assert reads._kept_page.cache_info().currsize == kept


def test_many_values_are_answered_but_not_kept(client: FlaskClient) -> None:
    """Assert a filter with more values than are kept still answers right, and is not kept."""
    wanted = [f"pkg-{i}-1.fc40" for i in range(reads._KEPT_VALUES + 5)]
    kept = reads._kept_page.cache_info().currsize
    url = f"/api/v2.0/results?item={','.join(wanted)}&limit=100"
    assert _items(client, url) == sorted(wanted)
    assert reads._kept_page.cache_info().currsize == kept


@pytest.mark.parametrize(
    ("filters", "page", "latest"),
    [
        # An item or a group pins the candidates: one plan suits every value.
        (ResultFilters(data=(DataFilter("item", ("x-1.fc41",)),)), True, True),
        (ResultFilters(outcomes=("CRASHED",), data=(DataFilter("item", ("x",)),)), True, True),
        (ResultFilters(groups=("g1",), outcomes=("FAILED",), testcases_like=("a%",)), True, True),
        (
            ResultFilters(data=(DataFilter("item", ("x",)), DataFilter("type", ("koji_build",)))),
            True,
            True,
        ),
        (ResultFilters(testcases=("dist.rpmlint",)), True, True),
        (ResultFilters(since=dt.datetime(2025, 5, 1)), True, True),
        # Newest first, a common outcome is found at once and a rare one after every result.
        (ResultFilters(outcomes=("CRASHED",)), False, True),
        (ResultFilters(testcases=("dist.rpmlint",), outcomes=("ERROR",)), False, True),
        # A testcase pattern: a page walks the results; latest reads the testcase table.
        (ResultFilters(testcases_like=("nosuch%",)), False, True),
        # A broad key's values differ in how many results they match; a pattern may match any.
        (ResultFilters(data=(DataFilter("type", ("bodhi_update",)),)), False, False),
        (ResultFilters(data=(DataFilter("item", ("nosuch*",), like=True),)), False, False),
    ],
)
def test_which_reads_are_planned_once(filters: ResultFilters, page: bool, latest: bool) -> None:
    """Assert a read is planned once for any values exactly when its best plan does not
    depend on them (PostgreSQL; ``Database.read(planned_once=...)``)."""
    assert reads.planned_once(filters) is page
    assert reads.planned_once(filters, latest=True) is latest
