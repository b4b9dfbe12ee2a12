"""SQL statements per request stay constant whatever the page size (upstream: 3 per result);
a POST costs a few on SQLite (one on PostgreSQL: tests/integration/resultsdb/test_rdb_pg_post.py,
as it needs a server)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from checkline.resultsdb.app import create_app
from checkline.resultsdb.config import ResultsDBSettings
from checkline.resultsdb.db import Database
from checkline.resultsdb.migrate import upgrade

# count_statements (conftest.py): (database, client, url) -> SQL statements of GET url
StatementCounter = Callable[..., int]


@pytest.fixture
def app_and_db(tmp_path: Path) -> Iterator[tuple[FlaskClient, Database]]:
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    upgrade(url)
    database = Database(url)
    app = create_app(ResultsDBSettings(db=url), database=database)
    client = app.test_client()
    for index in range(30):
        body = {
            "outcome": "PASSED" if index % 3 else "FAILED",
            "testcase": f"dist.check{index % 4}",
            "groups": [f"group-{index % 5}"],
            "data": {"item": f"pkg-{index % 7}-1.fc40", "type": "koji_build", "arch": ["x86_64"]},
        }
        assert client.post("/api/v2.0/results", json=body).status_code == 201
    yield client, database
    database.dispose()


@pytest.mark.parametrize(
    ("path", "cost"),
    [
        ("/api/v2.0/results?limit={n}", 1),
        ("/api/v2.0/results?item=pkg-1-1.fc40,pkg-2-1.fc40&type=koji_build&limit={n}", 1),
        ("/api/v2.0/groups/group-1/results?limit={n}", 1),
        ("/api/v2.0/groups/no-such-group/results?limit={n}", 2),  # empty: does it exist?
        ("/api/v2.0/groups?limit={n}", 1),
        ("/api/v2.0/testcases?limit={n}", 1),
        ("/api/v2.0/results/latest?item=pkg-1-1.fc40&_distinct_on=arch&limit={n}", 1),
    ],
)
def test_a_page_is_one_statement_whatever_its_size(
    app_and_db: tuple[FlaskClient, Database],
    path: str,
    cost: int,
    count_statements: StatementCounter,
) -> None:
    """Assert a page of 2 and a page of 30 cost the same: one statement (one round trip)."""
    client, database = app_and_db
    small = count_statements(database, client, path.format(n=2), ok=cost == 1)
    large = count_statements(database, client, path.format(n=30), ok=cost == 1)
    assert small == large == cost


def test_single_lookups_are_one_statement(
    app_and_db: tuple[FlaskClient, Database], count_statements: StatementCounter
) -> None:
    """Assert a result, a group and the latest results each cost one statement."""
    client, database = app_and_db
    for path in ("/api/v2.0/results/3", "/api/v2.0/groups/group-1", "/api/v2.0/results/latest"):
        assert count_statements(database, client, path) == 1


@pytest.mark.parametrize(
    ("groups", "cost"),
    [
        (["group-1"], 5),  # testcase, group, then the result, its data, its link
        (["a-new-group"], 6),  # one more: the new group's insert
        ([], 3),  # no group: no group lookup, no link
    ],
)
def test_a_post_on_sqlite_is_a_few_statements(
    app_and_db: tuple[FlaskClient, Database],
    groups: list[str],
    cost: int,
    count_statements: StatementCounter,
) -> None:
    """Assert a POST /results on SQLite costs the statements of the general path, in
    ``BEGIN IMMEDIATE`` (SQLite has no INSERT in a WITH, which PostgreSQL's one statement is)."""
    client, database = app_and_db
    body = {"outcome": "PASSED", "testcase": "dist.check1", "groups": groups, "data": {"a": "1"}}
    assert count_statements(database, client, "/api/v2.0/results", post=body) == cost
