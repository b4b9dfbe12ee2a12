"""HTTP contract of the ResultsDB API v2.0: searching results.

GET /results (filters, sorting, pagination), /groups/<uuid>/results,
/testcases/<name>/results and /results/latest (including ``_distinct_on`` as Greenwave uses
it). Written from upstream ResultsDB 2.2.0's API v2.0 documentation plus
our documented deviations; every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from contract import OUTCOME_MSG, assert_validation_error, post_result

SINCE_MSG = "Value error, must be in ISO8601 format"
INT_MSG = "Input should be a valid integer, unable to parse string as an integer"
MAX_LIMIT = 10000
BASE = dt.datetime(2024, 5, 31, 12, 0, 0, 500000)


# ----------------------------------------------------------------------------- helpers


def at(minutes: float) -> str:
    """A submit_time ``minutes`` after 2024-05-31T12:00:00.5; serialized identically."""
    return (BASE + dt.timedelta(minutes=minutes)).isoformat()


def post_at(rdb: Any, minutes: float, **overrides: Any) -> dict[str, Any]:
    """POST a result submitted ``minutes`` after the base time."""
    return post_result(rdb, submit_time=at(minutes), **overrides)


def ids(resp: Any) -> list[int]:
    """The result ids of a 200 answer, in order."""
    assert resp.status_code == 200, resp.text
    return [result["id"] for result in resp.json()["data"]]


# ----------------------------------------------------------------------------- GET /results


class TestResultsList:
    def test_empty(self, rdb: Any) -> None:
        """Assert an empty database answers an empty page without links."""
        resp = rdb.get("/results")
        assert resp.status_code == 200
        assert resp.json() == {"prev": None, "next": None, "data": []}

    def test_page_envelope_holds_serialized_results(self, rdb: Any) -> None:
        """Assert the page's data are the same objects GET /results/<id> returns."""
        first = post_at(rdb, 0, data={"item": "a"}, groups=["g1"])
        second = post_at(rdb, 1, testcase={"name": "t2", "ref_url": "https://t2"})
        assert rdb.get("/results").json() == {"prev": None, "next": None, "data": [second, first]}

    def test_default_order_is_submit_time_desc(self, rdb: Any) -> None:
        """Assert results are ordered by submit_time descending, not by id."""
        post_at(rdb, 2)
        post_at(rdb, 0)
        post_at(rdb, 1)
        assert ids(rdb.get("/results")) == [1, 3, 2]

    @pytest.mark.parametrize(
        ("sort", "expected"),
        [
            ("asc:submit_time", [2, 3, 1]),
            ("desc:submit_time", [1, 3, 2]),
            ("asc:id", [1, 3, 2]),
            ("bogus", [1, 3, 2]),
            ("", [1, 3, 2]),
        ],
    )
    def test_sort(self, rdb: Any, sort: str, expected: list[int]) -> None:
        """Assert _sort=asc|desc:submit_time orders; anything else falls back to desc."""
        post_at(rdb, 2)
        post_at(rdb, 0)
        post_at(rdb, 1)
        assert ids(rdb.get("/results", params={"_sort": sort})) == expected


class TestResultsFilterOutcome:
    @pytest.fixture
    def results(self, rdb: Any) -> None:
        post_at(rdb, 0, outcome="PASSED")
        post_at(rdb, 1, outcome="FAILED")
        post_at(rdb, 2, outcome="INFO")
        post_at(rdb, 3, outcome="FAILED")

    @pytest.mark.usefixtures("results")
    @pytest.mark.parametrize(
        ("outcome", "expected"),
        [
            ("FAILED", [4, 2]),
            ("failed", [4, 2]),
            ("passed,FAILED", [4, 2, 1]),
            ("INFO,Passed", [3, 1]),
            ("NEEDS_INSPECTION", []),
        ],
    )
    def test_outcome_filter(self, rdb: Any, outcome: str, expected: list[int]) -> None:
        """Assert outcome= takes a case-insensitive comma list (OR)."""
        assert ids(rdb.get("/results", params={"outcome": outcome})) == expected

    @pytest.mark.parametrize("outcome", ["BOGUS", "PASSED,bogus"])
    def test_invalid_outcome(self, rdb: Any, outcome: str) -> None:
        """Assert an unknown outcome in the filter answers 400 value_error."""
        resp = rdb.get("/results", params={"outcome": outcome})
        assert_validation_error(resp, (["outcome"], OUTCOME_MSG, "value_error"))


class TestResultsFilterTestcases:
    @pytest.fixture
    def results(self, rdb: Any) -> None:
        post_at(rdb, 0, testcase="alpha")
        post_at(rdb, 1, testcase="beta")
        post_at(rdb, 2, testcase="dist.rpmlint")
        post_at(rdb, 3, testcase="dist.abicheck")
        post_at(rdb, 4, testcase="alpha")

    @pytest.mark.usefixtures("results")
    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"testcases": "alpha"}, [5, 1]),
            ({"testcases": "alpha,beta"}, [5, 2, 1]),
            ({"testcases": "alp"}, []),
            ({"testcases:like": "dist.*"}, [4, 3]),
            ({"testcases:like": "*check,bet*"}, [4, 2]),
            ({"testcases": "alpha", "testcases:like": "dist.*"}, [5, 4, 3, 1]),
            ({"testcases": "beta", "testcases:like": "*rpm*"}, [3, 2]),
        ],
    )
    def test_testcases_filters(self, rdb: Any, params: dict[str, str], expected: list[int]) -> None:
        """Assert testcases (IN) and testcases:like ('*' patterns) are OR-ed together."""
        assert ids(rdb.get("/results", params=params)) == expected


class TestResultsFilterGroups:
    @pytest.mark.parametrize(
        ("groups", "expected"),
        [
            ("g1", [3, 1]),
            ("g2", [3, 2]),
            ("g1,g2", [3, 2, 1]),
            ("nope", []),
        ],
    )
    def test_groups_filter(self, rdb: Any, groups: str, expected: list[int]) -> None:
        """Assert groups= returns results in any of the groups, each result once."""
        post_at(rdb, 0, groups=["g1"])
        post_at(rdb, 1, groups=["g2"])
        post_at(rdb, 2, groups=["g1", "g2"])
        post_at(rdb, 3)
        assert ids(rdb.get("/results", params={"groups": groups})) == expected


class TestResultsFilterSince:
    @pytest.fixture
    def results(self, rdb: Any) -> None:
        for minutes in range(4):
            post_at(rdb, minutes)

    @pytest.mark.usefixtures("results")
    @pytest.mark.parametrize(
        ("since", "expected"),
        [
            (at(1), [4, 3, 2]),
            (at(1.5), [4, 3]),
            (f"{at(1)},{at(2)}", [3, 2]),
            (f"{at(0.5)},{at(1.5)}", [2]),
            (f"{at(1)}+02:00", [4, 3, 2]),
            (f"{at(1)}Z,{at(2)}-05:00", [3, 2]),
            ("2024-05-31", [4, 3, 2, 1]),
            ("2024-05-31T12:03", [4]),
            ("2024-06-01", []),
            ("2024-05-30,2024-05-31", []),
            ("1900-01-01T00:00:00.000000,2024-05-31T12:01:00.500000", [2, 1]),
        ],
    )
    def test_since(self, rdb: Any, since: str, expected: list[int]) -> None:
        """Assert since=START[,END] bounds submit_time inclusively; offsets are stripped."""
        assert ids(rdb.get("/results", params={"since": since})) == expected

    def test_since_date_only_range(self, rdb: Any) -> None:
        """Assert date-only bounds mean midnight."""
        post_result(rdb, submit_time="2024-05-30T10:00:00.000001")
        post_result(rdb, submit_time="2024-05-31T00:00:00.000000")
        post_result(rdb, submit_time="2024-05-31T00:00:00.000001")
        assert ids(rdb.get("/results", params={"since": "2024-05-30,2024-05-31"})) == [2, 1]
        assert ids(rdb.get("/results", params={"since": "2024-05-31"})) == [3, 2]

    @pytest.mark.parametrize("since", ["yesterday", "2024-13-45", "2024-05-31,nope", "31.5.2024"])
    def test_invalid_since(self, rdb: Any, since: str) -> None:
        """Assert an unparsable since answers 400 value_error."""
        resp = rdb.get("/results", params={"since": since})
        assert_validation_error(resp, (["since"], SINCE_MSG, "value_error"))


class TestResultsFilterData:
    @pytest.fixture
    def results(self, rdb: Any) -> None:
        post_at(rdb, 0, data={"item": "a", "type": "koji_build", "arch": ["x86_64", "noarch"]})
        post_at(rdb, 1, data={"item": "b", "type": "koji_build", "arch": "aarch64"})
        post_at(rdb, 2, data={"item": "a", "type": "bodhi_update"})
        post_at(rdb, 3, data={"item": "pkg-1.0", "type": "koji_build"})

    @pytest.mark.usefixtures("results")
    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"item": "a"}, [3, 1]),
            ({"item": "a,b"}, [3, 2, 1]),
            ([("item", "a"), ("item", "b")], [3, 2, 1]),
            ([("item", "a,pkg-1.0"), ("item", "b")], [4, 3, 2, 1]),
            ({"item": "a", "type": "koji_build"}, [1]),
            ({"item": "a,b", "type": "koji_build"}, [2, 1]),
            ({"item": "c"}, []),
            ({"arch": "noarch"}, [1]),
            ({"arch": "x86_64,noarch"}, [1]),
            ({"arch": "x86_64,aarch64"}, [2, 1]),
            ({"item:like": "pkg-*"}, [4]),
            ({"type:like": "koji*,bodhi*"}, [4, 3, 2, 1]),
            ({"arch:like": "*86*"}, [1]),
            ({"arch:like": "*"}, [2, 1]),
            ({"item:like": "a", "type:like": "*build"}, [1]),
            ({"item:eq": "a"}, [3, 1]),
            ({"item:like:x": "a"}, []),
            ({"nope": "1"}, []),
            ({"callback": "cb"}, []),
            ({"_auth_token": "x"}, []),
            ({"item": "a", "outcome": "PASSED", "testcases": "dist.rpmlint"}, [3, 1]),
            ({"_distinct_on": "item", "item": "a"}, [3, 1]),
        ],
    )
    def test_data_filters(self, rdb: Any, params: Any, expected: list[int]) -> None:
        """Assert other params filter on data: values OR-ed, keys AND-ed, ':like' with '*'."""
        assert ids(rdb.get("/results", params=params)) == expected

    @pytest.mark.usefixtures("results")
    def test_reserved_params_are_not_data_filters(self, rdb: Any) -> None:
        """Assert page/limit/_sort/since/outcome/groups/testcases/_distinct_on are reserved."""
        params = {
            "page": "0",
            "limit": "20",
            "_sort": "desc:submit_time",
            "since": "2000-01-01",
            "outcome": "PASSED",
            "testcases": "dist.rpmlint",
            "testcases:like": "dist.*",
            "_distinct_on": "item",
        }
        assert ids(rdb.get("/results", params=params)) == [4, 3, 2, 1]


class TestResultsPagination:
    def test_default_limit_is_20(self, rdb: Any) -> None:
        """Assert a page holds 20 results by default and links to the next page."""
        for minutes in range(21):
            post_at(rdb, minutes)
        first = rdb.get("/results").json()
        assert [r["id"] for r in first["data"]] == list(range(21, 1, -1))
        assert first["prev"] is None
        assert first["next"] == f"{rdb.api}/results?page=1"
        second = rdb.get(first["next"]).json()
        assert [r["id"] for r in second["data"]] == [1]
        assert second["prev"] == f"{rdb.api}/results?page=0"
        assert second["next"] is None

    def test_limit_and_links(self, rdb: Any) -> None:
        """Assert ?limit=2 gets next ...?limit=2&page=1, then prev ...&page=0."""
        for minutes in range(3):
            post_at(rdb, minutes)
        first = rdb.get("/results?limit=2").json()
        assert [r["id"] for r in first["data"]] == [3, 2]
        assert first["prev"] is None
        assert first["next"] == f"{rdb.api}/results?limit=2&page=1"
        second = rdb.get(first["next"]).json()
        assert [r["id"] for r in second["data"]] == [1]
        assert second["prev"] == f"{rdb.api}/results?limit=2&page=0"
        assert second["next"] is None

    def test_page_param_replaced_in_place(self, rdb: Any) -> None:
        """Assert an existing page= is replaced where it stands in the URL."""
        for minutes in range(4):
            post_at(rdb, minutes)
        page = rdb.get("/results?page=1&limit=1").json()
        assert [r["id"] for r in page["data"]] == [3]
        assert page["prev"] == f"{rdb.api}/results?page=0&limit=1"
        assert page["next"] == f"{rdb.api}/results?page=2&limit=1"

    def test_links_keep_filters(self, rdb: Any) -> None:
        """Assert prev/next keep the other query parameters."""
        for minutes in range(3):
            post_at(rdb, minutes, outcome="PASSED", data={"item": "x"})
        post_at(rdb, 5, outcome="FAILED", data={"item": "x"})
        page = rdb.get("/results?outcome=PASSED&item=x&limit=1&page=1").json()
        assert [r["id"] for r in page["data"]] == [2]
        assert page["prev"] == f"{rdb.api}/results?outcome=PASSED&item=x&limit=1&page=0"
        assert page["next"] == f"{rdb.api}/results?outcome=PASSED&item=x&limit=1&page=2"
        last = rdb.get(page["next"]).json()
        assert [r["id"] for r in last["data"]] == [1]
        assert last["next"] is None

    def test_exact_fit_has_no_next(self, rdb: Any) -> None:
        """Assert next is null when the page holds exactly the remaining results."""
        for minutes in range(2):
            post_at(rdb, minutes)
        page = rdb.get("/results?limit=2").json()
        assert [r["id"] for r in page["data"]] == [2, 1]
        assert page["next"] is None

    def test_limit_zero_quirk(self, rdb: Any) -> None:
        """Assert limit=0 gives no data but still a next link when results exist."""
        post_at(rdb, 0)
        assert rdb.get("/results?limit=0").json() == {
            "prev": None,
            "next": f"{rdb.api}/results?limit=0&page=1",
            "data": [],
        }

    def test_huge_page_is_empty(self, rdb: Any) -> None:
        """Assert a page far past the end is an empty 200 page."""
        post_at(rdb, 0)
        resp = rdb.get("/results?page=100000000")
        assert resp.status_code == 200
        assert resp.json() == {
            "prev": f"{rdb.api}/results?page=99999999",
            "next": None,
            "data": [],
        }

    @pytest.mark.parametrize("path", ["/results", "/groups", "/testcases"])
    def test_max_limit_accepted(self, rdb: Any, path: str) -> None:
        """Assert limit equal to the maximum (10000) is accepted."""
        post_at(rdb, 0, groups=["g1"])
        resp = rdb.get(path, params={"limit": str(MAX_LIMIT)})
        assert resp.status_code == 200
        assert len(resp.json()["data"]) == 1

    @pytest.mark.parametrize("path", ["/results", "/groups", "/testcases", "/groups/g1/results"])
    def test_limit_above_maximum(self, rdb: Any, path: str) -> None:
        """Assert limit above 10000 answers 400 {"message": ...} naming the maximum."""
        post_at(rdb, 0, groups=["g1"])
        resp = rdb.get(path, params={"limit": str(MAX_LIMIT + 1)})
        assert resp.status_code == 400
        body = resp.json()
        assert list(body) == ["message"]
        assert str(MAX_LIMIT) in body["message"]

    @pytest.mark.parametrize("path", ["/results", "/groups", "/testcases"])
    def test_negative_limit(self, rdb: Any, path: str) -> None:
        """Assert a negative limit answers 400 with a JSON error."""
        resp = rdb.get(path, params={"limit": "-1"})
        assert resp.status_code == 400
        body = resp.json()
        assert set(body) in ({"message"}, {"validation_error"})

    @pytest.mark.parametrize("path", ["/results", "/groups", "/testcases", "/results/latest"])
    @pytest.mark.parametrize("param", ["limit", "page"])
    @pytest.mark.parametrize("value", ["abc", "1.5", ""])
    def test_non_integer_limit_or_page(self, rdb: Any, path: str, param: str, value: str) -> None:
        """Assert a non-integer limit or page answers 400 int_parsing."""
        resp = rdb.get(f"{path}?{param}={value}")
        assert_validation_error(resp, ([param], INT_MSG, "int_parsing"))


# ----------------------------------------------------------------------------- sub-resources


class TestGroupResults:
    @pytest.fixture
    def results(self, rdb: Any) -> None:
        post_at(rdb, 0, groups=["g1"], outcome="PASSED", data={"item": "a"})
        post_at(rdb, 1, groups=["g1", "g2"], outcome="FAILED", data={"item": "b"})
        post_at(rdb, 2, groups=["g2"], outcome="PASSED", data={"item": "a"})
        post_at(rdb, 3, groups=["g1"], outcome="PASSED", testcase="other", data={"item": "b"})

    @pytest.mark.usefixtures("results")
    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({}, [4, 2, 1]),
            ({"outcome": "PASSED"}, [4, 1]),
            ({"item": "b"}, [4, 2]),
            ({"testcases": "dist.rpmlint"}, [2, 1]),
            ({"since": at(1)}, [4, 2]),
            ({"_sort": "asc:submit_time"}, [1, 2, 4]),
            ({"nope": "x"}, []),
        ],
    )
    def test_group_results(self, rdb: Any, params: dict[str, str], expected: list[int]) -> None:
        """Assert /groups/<uuid>/results is /results?groups=<uuid> with the other filters."""
        assert ids(rdb.get("/groups/g1/results", params=params)) == expected

    @pytest.mark.usefixtures("results")
    def test_pagination_links(self, rdb: Any) -> None:
        """Assert the sub-resource builds prev/next from its own URL."""
        page = rdb.get("/groups/g1/results?limit=1").json()
        assert [r["id"] for r in page["data"]] == [4]
        assert page["prev"] is None
        assert page["next"] == f"{rdb.api}/groups/g1/results?limit=1&page=1"

    def test_unknown_group(self, rdb: Any) -> None:
        """Assert an unknown group answers 404 "Group not found: <uuid>"."""
        resp = rdb.get("/groups/nope/results")
        assert resp.status_code == 404
        assert resp.json() == {"message": "Group not found: nope"}

    def test_group_without_results(self, rdb: Any) -> None:
        """Assert an existing group without results answers an empty page."""
        assert rdb.post("/groups", json={"uuid": "empty"}).status_code == 201
        resp = rdb.get("/groups/empty/results")
        assert resp.status_code == 200
        assert resp.json() == {"prev": None, "next": None, "data": []}

    @pytest.mark.usefixtures("results")
    def test_invalid_outcome(self, rdb: Any) -> None:
        """Assert the results query validation applies to the sub-resource."""
        resp = rdb.get("/groups/g1/results", params={"outcome": "bogus"})
        assert_validation_error(resp, (["outcome"], OUTCOME_MSG, "value_error"))


class TestTestcaseResults:
    @pytest.fixture
    def results(self, rdb: Any) -> None:
        post_at(rdb, 0, testcase="t1", outcome="PASSED", data={"item": "a"})
        post_at(rdb, 1, testcase="t1", outcome="FAILED", data={"item": "b"}, groups=["g1"])
        post_at(rdb, 2, testcase="t2", outcome="PASSED", data={"item": "a"})
        post_at(rdb, 3, testcase="ns/t1", outcome="PASSED", data={"item": "a"})

    @pytest.mark.usefixtures("results")
    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({}, [2, 1]),
            ({"outcome": "FAILED"}, [2]),
            ({"item": "a"}, [1]),
            ({"groups": "g1"}, [2]),
            ({"since": f"{at(0)},{at(0.5)}"}, [1]),
            ({"_sort": "asc:submit_time"}, [1, 2]),
            ({"nope": "x"}, []),
        ],
    )
    def test_testcase_results(self, rdb: Any, params: dict[str, str], expected: list[int]) -> None:
        """Assert /testcases/<name>/results is /results?testcases=<name> with filters."""
        assert ids(rdb.get("/testcases/t1/results", params=params)) == expected

    @pytest.mark.usefixtures("results")
    def test_name_with_slash(self, rdb: Any) -> None:
        """Assert a testcase name with '/' works in the sub-resource path."""
        assert ids(rdb.get("/testcases/ns/t1/results")) == [4]

    @pytest.mark.usefixtures("results")
    def test_pagination_links(self, rdb: Any) -> None:
        """Assert the sub-resource builds prev/next from its own URL."""
        page = rdb.get("/testcases/t1/results?limit=1&page=1").json()
        assert [r["id"] for r in page["data"]] == [1]
        assert page["prev"] == f"{rdb.api}/testcases/t1/results?limit=1&page=0"
        assert page["next"] is None

    def test_unknown_testcase(self, rdb: Any) -> None:
        """Assert an unknown testcase answers 404 "Testcase not found"."""
        resp = rdb.get("/testcases/nope/results")
        assert resp.status_code == 404
        assert resp.json() == {"message": "Testcase not found"}


# ----------------------------------------------------------------------------- latest


class TestLatest:
    def test_newest_per_testcase(self, rdb: Any) -> None:
        """Assert without filters the newest result of each testcase comes back, newest first."""
        post_at(rdb, 0, testcase="a", outcome="FAILED")
        b = post_at(rdb, 1, testcase="b", outcome="PASSED")
        a = post_at(rdb, 2, testcase="a", outcome="PASSED")
        post_at(rdb, 0.5, testcase="b", outcome="FAILED")
        resp = rdb.get("/results/latest")
        assert resp.status_code == 200
        assert resp.json() == {"data": [a, b]}

    def test_newest_by_submit_time_not_id(self, rdb: Any) -> None:
        """Assert 'latest' means the highest submit_time, whatever the creation order."""
        newest = post_at(rdb, 5, testcase="a", outcome="FAILED")
        post_at(rdb, 1, testcase="a", outcome="PASSED")
        assert rdb.get("/results/latest").json() == {"data": [newest]}

    def test_empty(self, rdb: Any) -> None:
        """Assert no matching result gives {"data": []}."""
        post_at(rdb, 0, data={"item": "a"})
        assert rdb.get("/results/latest", params={"item": "zzz"}).json() == {"data": []}

    def test_data_filters(self, rdb: Any) -> None:
        """Assert data filters choose which results compete for 'latest'."""
        a_old = post_at(rdb, 0, testcase="t", data={"item": "a", "type": "koji_build"})
        post_at(rdb, 3, testcase="t", data={"item": "b", "type": "koji_build"})
        post_at(rdb, 4, testcase="t", data={"item": "a", "type": "bodhi_update"})
        u = post_at(rdb, 1, testcase="u", data={"item": "a", "type": "brew-build"})
        resp = rdb.get("/results/latest", params={"item": "a", "type": "koji_build,brew-build"})
        assert resp.json() == {"data": [u, a_old]}

    def test_data_like_filter(self, rdb: Any) -> None:
        """Assert ':like' data filters apply to latest."""
        old = post_at(rdb, 0, testcase="t", data={"item": "pkg-1.0"})
        post_at(rdb, 1, testcase="t", data={"item": "other-1.0"})
        assert rdb.get("/results/latest", params={"item:like": "pkg-*"}).json() == {"data": [old]}

    def test_testcase_filters(self, rdb: Any) -> None:
        """Assert testcases and testcases:like (OR-ed) restrict latest."""
        post_at(rdb, 0, testcase="dist.a")
        da = post_at(rdb, 1, testcase="dist.a")
        db = post_at(rdb, 2, testcase="dist.b")
        x = post_at(rdb, 3, testcase="x")
        post_at(rdb, 4, testcase="y")
        resp = rdb.get("/results/latest", params={"testcases:like": "dist.*"})
        assert resp.json() == {"data": [db, da]}
        resp = rdb.get("/results/latest", params={"testcases": "x", "testcases:like": "dist.*"})
        assert resp.json() == {"data": [x, db, da]}

    def test_groups_filter(self, rdb: Any) -> None:
        """Assert groups restricts which results compete for 'latest'."""
        in_group = post_at(rdb, 0, testcase="t", groups=["g1"])
        post_at(rdb, 1, testcase="t", groups=["g2"])
        u = post_at(rdb, 0.5, testcase="u", groups=["g1", "g2"])
        resp = rdb.get("/results/latest", params={"groups": "g1"})
        assert resp.json() == {"data": [u, in_group]}

    def test_since_only_filter(self, rdb: Any) -> None:
        """Assert since alone still gives the newest result of every testcase in the window."""
        post_at(rdb, 0, testcase="a", outcome="FAILED")
        a = post_at(rdb, 2, testcase="a", outcome="PASSED")
        b = post_at(rdb, 1.5, testcase="b", outcome="FAILED")
        post_at(rdb, 3, testcase="b", outcome="PASSED")
        post_at(rdb, 0, testcase="c", outcome="PASSED")
        resp = rdb.get("/results/latest", params={"since": f"{at(1)},{at(2.5)}"})
        assert resp.json() == {"data": [a, b]}

    def test_testcases_without_results_are_skipped(self, rdb: Any) -> None:
        """Assert a testcase with no (matching) result contributes nothing."""
        assert rdb.post("/testcases", json={"name": "empty"}).status_code == 201
        a = post_at(rdb, 1, testcase="a")
        b = post_at(rdb, 0, testcase="b")
        resp = rdb.get("/results/latest", params={"testcases": "empty,a"})
        assert resp.json() == {"data": [a]}
        assert rdb.get("/results/latest").json() == {"data": [a, b]}

    def test_since_window(self, rdb: Any) -> None:
        """Assert since bounds the results considered (the 'as of' decision)."""
        failed = post_at(rdb, 0, testcase="t", outcome="FAILED", data={"item": "x"})
        passed = post_at(rdb, 3, testcase="t", outcome="PASSED", data={"item": "x"})
        window = f"1900-01-01T00:00:00.000000,{at(1)}"
        resp = rdb.get("/results/latest", params={"item": "x", "since": window})
        assert resp.json() == {"data": [failed]}
        resp = rdb.get("/results/latest", params={"item": "x", "since": at(1)})
        assert resp.json() == {"data": [passed]}

    def test_ignores_outcome_page_limit_sort(self, rdb: Any) -> None:
        """Assert outcome, page, limit and _sort do not affect /results/latest."""
        b = post_at(rdb, 1, testcase="b", outcome="PASSED", data={"item": "x"})
        a = post_at(rdb, 2, testcase="a", outcome="PASSED", data={"item": "x"})
        post_at(rdb, 0, testcase="a", outcome="FAILED", data={"item": "x"})
        params = {
            "item": "x",
            "outcome": "FAILED",
            "page": "3",
            "limit": "1",
            "_sort": "asc:submit_time",
        }
        resp = rdb.get("/results/latest", params=params)
        assert resp.status_code == 200
        assert resp.json() == {"data": [a, b]}

    def test_invalid_since(self, rdb: Any) -> None:
        """Assert query validation applies to latest too."""
        resp = rdb.get("/results/latest", params={"since": "nope", "item": "x"})
        assert_validation_error(resp, (["since"], SINCE_MSG, "value_error"))


class TestLatestDistinctOn:
    @pytest.mark.parametrize(
        "query",
        [
            "_distinct_on=scenario",
            "_distinct_on=scenario,system_architecture",
            "_distinct_on=scenario&outcome=PASSED&limit=5&page=0&_sort=asc:submit_time",
        ],
    )
    def test_needs_another_filter(self, rdb: Any, query: str) -> None:
        """Assert _distinct_on without another filter answers 400 with upstream's message."""
        post_at(rdb, 0, data={"scenario": "s1"})
        resp = rdb.get(f"/results/latest?{query}")
        assert resp.status_code == 400
        assert resp.json() == {
            "message": "Please, provide at least one filter beside '_distinct_on'"
        }

    @pytest.mark.parametrize(
        "params",
        [
            {"testcases": "t"},
            {"testcases:like": "t*"},
            {"groups": "g1"},
            {"since": "2000-01-01"},
            {"item": "x"},
        ],
    )
    def test_any_filter_is_enough(self, rdb: Any, params: dict[str, str]) -> None:
        """Assert testcases, testcases:like, groups, since or a data filter unlock it."""
        newest = post_at(rdb, 1, testcase="t", groups=["g1"], data={"item": "x"})
        post_at(rdb, 0, testcase="t", groups=["g1"], data={"item": "x"})
        resp = rdb.get("/results/latest", params={"_distinct_on": "scenario", **params})
        assert resp.status_code == 200
        assert resp.json() == {"data": [newest]}

    def test_newest_per_testcase_and_scenario(self, rdb: Any) -> None:
        """Assert one result per (testcase, scenario); a missing scenario is its own group."""
        post_at(rdb, 0, testcase="t", outcome="FAILED", data={"item": "x", "scenario": "s1"})
        s1 = post_at(rdb, 4, testcase="t", outcome="PASSED", data={"item": "x", "scenario": "s1"})
        s2 = post_at(rdb, 2, testcase="t", outcome="FAILED", data={"item": "x", "scenario": "s2"})
        post_at(rdb, 1, testcase="t", outcome="FAILED", data={"item": "x"})
        none = post_at(rdb, 3, testcase="t", outcome="PASSED", data={"item": "x"})
        u_s1 = post_at(rdb, 1.5, testcase="u", data={"item": "x", "scenario": "s1"})
        post_at(rdb, 0.5, testcase="u", outcome="FAILED", data={"item": "x", "scenario": "s1"})
        post_at(rdb, 9, testcase="t", data={"item": "other", "scenario": "s1"})
        resp = rdb.get("/results/latest", params={"item": "x", "_distinct_on": "scenario"})
        assert resp.status_code == 200
        assert resp.json() == {"data": [s1, none, s2, u_s1]}

    def test_unnamed_keys_do_not_split_groups(self, rdb: Any) -> None:
        """Assert keys not named in _distinct_on do not make separate groups."""
        post_at(rdb, 0, testcase="t", data={"item": "x", "scenario": "s1", "arch": "x86_64"})
        newest = post_at(
            rdb, 1, testcase="t", data={"item": "x", "scenario": "s1", "arch": "aarch64"}
        )
        resp = rdb.get("/results/latest", params={"item": "x", "_distinct_on": "scenario"})
        assert resp.json() == {"data": [newest]}

    def test_several_keys(self, rdb: Any) -> None:
        """Assert each named key's value splits the groups."""
        post_at(rdb, 0, testcase="t", data={"item": "x", "scenario": "s1", "arch": "x86_64"})
        x86 = post_at(rdb, 1, testcase="t", data={"item": "x", "scenario": "s1", "arch": "x86_64"})
        arm = post_at(rdb, 2, testcase="t", data={"item": "x", "scenario": "s1", "arch": "aarch64"})
        no_arch = post_at(rdb, 0.5, testcase="t", data={"item": "x", "scenario": "s1"})
        resp = rdb.get("/results/latest", params={"item": "x", "_distinct_on": "scenario,arch"})
        assert resp.json() == {"data": [arm, x86, no_arch]}

    def test_newest_by_submit_time_not_id(self, rdb: Any) -> None:
        """Assert the newest submit_time wins even when it was created first."""
        newest = post_at(
            rdb, 5, testcase="t", outcome="FAILED", data={"item": "x", "scenario": "s"}
        )
        post_at(rdb, 1, testcase="t", outcome="PASSED", data={"item": "x", "scenario": "s"})
        resp = rdb.get("/results/latest", params={"item": "x", "_distinct_on": "scenario"})
        assert resp.json() == {"data": [newest]}

    def test_no_match(self, rdb: Any) -> None:
        """Assert no matching result gives {"data": []}."""
        post_at(rdb, 0, data={"item": "x"})
        resp = rdb.get("/results/latest", params={"item": "y", "_distinct_on": "scenario"})
        assert resp.status_code == 200
        assert resp.json() == {"data": []}


class TestGreenwaveQuery:
    """Greenwave's gating query, verbatim: a superseded FAILED must never come back."""

    NVR = "pkg-1.2-3.fc40"
    TESTCASE = "fedora-ci.koji-build.tier0.functional"

    def query(self, rdb: Any, since: str | None = None) -> Any:
        path = (
            f"/results/latest?item={self.NVR}&type=koji_build,brew-build"
            "&_distinct_on=scenario,system_architecture,system_variant"
            f"&testcases={self.TESTCASE}"
        )
        if since is not None:
            path += f"&since={since}"
        resp = rdb.get(path)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def gating_data(self, **extra: Any) -> dict[str, Any]:
        return {"item": self.NVR, "type": "koji_build", **extra}

    def test_newer_passed_supersedes_older_failed(self, rdb: Any) -> None:
        """Assert an old FAILED and a newer PASSED for one scenario return only the PASSED."""
        data = self.gating_data(
            scenario="fedora.x86_64", system_architecture="x86_64", system_variant="Server"
        )
        post_at(rdb, 0, testcase=self.TESTCASE, outcome="FAILED", data=data)
        passed = post_at(rdb, 1, testcase=self.TESTCASE, outcome="PASSED", data=data)
        assert self.query(rdb) == {"data": [passed]}

    def test_newer_passed_supersedes_older_failed_without_scenario(self, rdb: Any) -> None:
        """Assert results without any distinct key also form one group (newest wins)."""
        post_at(rdb, 0, testcase=self.TESTCASE, outcome="FAILED", data=self.gating_data())
        passed = post_at(rdb, 1, testcase=self.TESTCASE, outcome="PASSED", data=self.gating_data())
        assert self.query(rdb) == {"data": [passed]}

    def test_as_of_a_time(self, rdb: Any) -> None:
        """Assert the since window makes the decision 'as of' a time."""
        data = self.gating_data(scenario="s")
        failed = post_at(rdb, 0, testcase=self.TESTCASE, outcome="FAILED", data=data)
        passed = post_at(rdb, 2, testcase=self.TESTCASE, outcome="PASSED", data=data)
        assert self.query(rdb, since=f"1900-01-01T00:00:00.000000,{at(1)}") == {"data": [failed]}
        assert self.query(rdb, since=f"1900-01-01T00:00:00.000000,{at(2)}") == {"data": [passed]}

    def test_full_scenario(self, rdb: Any) -> None:
        """Assert groups per (scenario, arch, variant), other items/types/testcases excluded."""
        tc = self.TESTCASE
        s1 = {"scenario": "s1", "system_architecture": "x86_64", "system_variant": "v"}
        post_at(rdb, 0, testcase=tc, outcome="FAILED", data=self.gating_data(**s1))
        newest_s1 = post_at(rdb, 5, testcase=tc, outcome="PASSED", data=self.gating_data(**s1))
        s2 = post_at(
            rdb,
            2,
            testcase=tc,
            outcome="FAILED",
            data={"item": self.NVR, "type": "brew-build", "scenario": "s2"},
        )
        post_at(rdb, 1, testcase=tc, outcome="FAILED", data=self.gating_data())
        bare = post_at(rdb, 3, testcase=tc, outcome="PASSED", data=self.gating_data())
        arm = post_at(
            rdb,
            4,
            testcase=tc,
            outcome="PASSED",
            data=self.gating_data(**{**s1, "system_architecture": "aarch64"}),
        )
        post_at(rdb, 3.5, testcase=tc, outcome="FAILED", data=self.gating_data(**s1))
        post_at(rdb, 6, testcase="other.testcase", outcome="FAILED", data=self.gating_data())
        post_at(rdb, 7, testcase=tc, outcome="FAILED", data={"item": "pkg-9", "type": "koji_build"})
        post_at(
            rdb, 8, testcase=tc, outcome="FAILED", data={"item": self.NVR, "type": "bodhi_update"}
        )
        assert self.query(rdb) == {"data": [newest_s1, arm, bare, s2]}
