"""The pages' pure helpers (query strings, links, outcome classes) and their SQL cost."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from checkline.resultsdb.app import create_app
from checkline.resultsdb.config import ResultsDBSettings
from checkline.resultsdb.db import Database
from checkline.resultsdb.migrate import upgrade
from checkline.resultsdb.queries import DataFilter, ResultFilters
from checkline.resultsdb.web import (
    BadInput,
    Window,
    http_url,
    outcome_class,
    parse_filters,
    parse_window,
)

OUTCOMES = ResultsDBSettings().outcomes

# count_statements (conftest.py): (database, client, url) -> SQL statements of GET url
StatementCounter = Callable[..., int]


class TestHttpUrl:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("https://ci.example/job/1", True),
            ("http://ci.example/job/1", True),
            ("HTTPS://CI.EXAMPLE/", True),
            ("javascript:alert(1)", False),
            ("JaVaScRiPt:alert(1)", False),
            (" javascript:alert(1)", False),
            ("java\tscript:alert(1)", False),
            (" https://ci.example/", False),
            ("data:text/html,<script>alert(1)</script>", False),
            ("//evil.example/", False),
            ("ftp://mirror.example/", False),
            ("", False),
            (None, False),
            (42, False),
        ],
    )
    def test_only_http_and_https_become_links(self, value: Any, expected: bool) -> None:
        assert http_url(value) is expected


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        ("PASSED", "outcome outcome-passed"),
        ("FAILED", "outcome outcome-failed"),
        ("INFO", "outcome outcome-info"),
        ("NEEDS_INSPECTION", "outcome outcome-needs-inspection"),
        ("CRASHED", "outcome outcome-other"),
        ('x" onmouseover="alert(1)', "outcome outcome-other"),
    ],
)
def test_outcome_class_is_one_of_a_fixed_set(outcome: str, expected: str) -> None:
    assert outcome_class(outcome) == expected


class TestParseWindow:
    @pytest.mark.parametrize(
        ("args", "expected"),
        [
            ({}, Window(0, 50)),
            ({"page": "", "limit": ""}, Window(0, 50)),
            ({"page": "3", "limit": "20"}, Window(3, 20)),
            ({"page": "-2"}, Window(0, 50)),
            ({"limit": "100"}, Window(0, 100)),
        ],
    )
    def test_window(self, args: dict[str, str], expected: Window) -> None:
        assert parse_window(args, 100) == expected

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            ({"page": "x"}, "page must be an integer, got 'x'"),
            ({"limit": "1.5"}, "limit must be an integer, got '1.5'"),
            ({"limit": "0"}, "limit must be between 1 and 100, got 0"),
            ({"limit": "101"}, "limit must be between 1 and 100, got 101"),
        ],
    )
    def test_bad_window(self, args: dict[str, str], message: str) -> None:
        with pytest.raises(BadInput) as err:
            parse_window(args, 100)
        assert str(err.value) == message

    def test_offset(self) -> None:
        assert Window(3, 20).offset == 60


class TestParseFilters:
    @pytest.mark.parametrize(
        ("args", "expected"),
        [
            ([], ResultFilters()),
            ([("item", ""), ("outcome", ""), ("since", " ")], ResultFilters()),
            (
                [("item", "a-1.fc40, b-1.fc40"), ("type", "koji_build")],
                ResultFilters(
                    data=(
                        DataFilter("item", ("a-1.fc40", "b-1.fc40")),
                        DataFilter("type", ("koji_build",)),
                    )
                ),
            ),
            (
                [("arch", "x86_64"), ("arch", "i686")],
                ResultFilters(data=(DataFilter("arch", ("x86_64", "i686")),)),
            ),
            ([("outcome", "failed,passed")], ResultFilters(outcomes=("FAILED", "PASSED"))),
            ([("testcase", "dist.rpmlint")], ResultFilters(testcases=("dist.rpmlint",))),
            ([("prefix", "dist.")], ResultFilters(testcases_like=("dist.*",))),
            (
                [("testcase", "dist.rpmlint,fedora.lint"), ("prefix", "dist.")],
                ResultFilters(testcases=("dist.rpmlint",)),
            ),
            ([("testcase", "fedora.lint"), ("prefix", "dist.")], None),
            (
                [("since", "2024-05-31")],
                ResultFilters(since=dt.datetime(2024, 5, 31)),
            ),
            (
                [("since", "2024-05-31T12:00,2024-06-01")],
                ResultFilters(since=dt.datetime(2024, 5, 31, 12), until=dt.datetime(2024, 6, 1)),
            ),
        ],
    )
    def test_filters(self, args: list[tuple[str, str]], expected: ResultFilters | None) -> None:
        assert parse_filters(MultiDict(args), OUTCOMES) == expected

    def test_unknown_outcome(self) -> None:
        with pytest.raises(BadInput) as err:
            parse_filters(MultiDict([("outcome", "passed,bogus")]), OUTCOMES)
        assert str(err.value) == f"unknown outcome 'BOGUS'; known: {', '.join(OUTCOMES)}"

    def test_bad_since(self) -> None:
        with pytest.raises(BadInput) as err:
            parse_filters(MultiDict([("since", "yesterday")]), OUTCOMES)
        assert str(err.value) == (
            "since must be a time in ISO 8601 (2024-05-31 or 2024-05-31T12:00), "
            "or two separated by a comma; got 'yesterday'"
        )


# ----------------------------------------------------------------------------- SQL cost


@pytest.fixture
def app_and_db(tmp_path: Path) -> Iterator[tuple[FlaskClient, Database]]:
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    upgrade(url)
    database = Database(url)
    client = create_app(ResultsDBSettings(db=url), database=database).test_client()
    for index in range(30):
        body = {
            "outcome": "PASSED" if index % 3 else "FAILED",
            "testcase": f"dist.check{index % 4}",
            "groups": [f"group-{index % 2}"],
            "note": f"note {index}",
            "data": {
                "item": f"pkg-{index % 2}-1.fc40",
                "type": "koji_build",
                "arch": ["x86_64", "i686"][index % 2 :],
            },
        }
        assert client.post("/api/v2.0/results", json=body).status_code == 201
    yield client, database
    database.dispose()


@pytest.mark.parametrize(
    ("path", "cost"),
    [
        ("/results?limit={n}", 1),
        ("/results?item=pkg-1-1.fc40&type=koji_build&outcome=PASSED&limit={n}", 1),
        ("/items/pkg-1-1.fc40?type=koji_build&limit={n}", 2),  # latest, history
        ("/groups/group-1?limit={n}", 2),  # the group, its page
        ("/testcases/dist.check1?limit={n}", 2),  # the testcase, its page
    ],
)
def test_pages_cost_a_constant_number_of_statements(
    app_and_db: tuple[FlaskClient, Database],
    path: str,
    cost: int,
    count_statements: StatementCounter,
) -> None:
    """Assert a page of 2 rows and a page of 30 cost the same, small number of statements."""
    client, database = app_and_db
    assert count_statements(database, client, path.format(n=2)) == cost
    assert count_statements(database, client, path.format(n=30)) == cost


def test_result_page_costs_two_statements(
    app_and_db: tuple[FlaskClient, Database], count_statements: StatementCounter
) -> None:
    """Assert a result page is the result (one statement) and its groups' rows."""
    client, database = app_and_db
    assert count_statements(database, client, "/results/7") == 2
