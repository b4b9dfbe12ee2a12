"""Input that fuzzing turned into 5xx answers is a 400 naming what is wrong and where.

Deep JSON bodies, text no database can store (a NUL, a lone surrogate), long filter lists and
long ``_distinct_on`` lists; the bounds are ``resultsdb.parsers``'s. Every test runs on SQLite
and on PostgreSQL (``rdb``), through the real server (gunicorn: a request line holds at most
4094 bytes, so long lists are sent with bare commas).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from contract import assert_validation_error, make_result

from checkline.resultsdb.parsers import (
    MAX_BODY_DEPTH,
    MAX_DATA_FILTERS,
    MAX_DISTINCT_ON,
    MAX_LIST_VALUES,
)

POST_PATHS = ["/results", "/results/bulk", "/groups", "/testcases"]
TOO_DEEP = f"Request body nests arrays and objects more than {MAX_BODY_DEPTH} deep"
NUL = "\x00"
SURROGATE = "\udcff"


def post_raw(rdb: Any, path: str, data: bytes | str) -> Any:
    """POST ``data`` as it is, declared as JSON."""
    headers = {"Content-Type": "application/json"}
    return rdb.session.post(rdb.url(path), data=data, headers=headers, timeout=30)


def get_raw(rdb: Any, path: str, query: str) -> Any:
    """GET ``path?query``, the query sent as written (commas stay bare: see the docstring)."""
    return rdb.session.get(f"{rdb.url(path)}?{query}", timeout=30)


def values(count: int, stem: str = "v") -> str:
    """``count`` comma-separated values, short enough for gunicorn's request line."""
    return ",".join(f"{stem}{index}" for index in range(count))


def assert_message(response: Any, message: str) -> None:
    """Assert a 400 with the API's ``{"message": ...}`` document, exactly ``message``."""
    assert (response.status_code, response.json()) == (400, {"message": message}), response.text


def assert_nothing_stored(rdb: Any) -> None:
    for path in ("/results", "/testcases", "/groups"):
        assert rdb.get(path).json()["data"] == [], path


def nested(depth: int) -> Any:
    """A value ``depth`` arrays deep (0: a number)."""
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def body_of_depth(path: str, depth: int) -> str:
    """A body for ``path`` that is otherwise valid, nested ``depth`` deep in all (the body
    itself is 1 deep), the nesting in a field each endpoint takes as it is or refuses."""
    if path == "/results":
        # body (1) > data (2) > the value: stored, as upstream does, as its str().
        return json.dumps(make_result(data={"k": nested(depth - 2)}))
    if path == "/results/bulk":
        return json.dumps({"results": [make_result(data={"k": nested(depth - 4)})]})
    return json.dumps({"name": "t", "description": nested(depth - 1)})


class TestDeepBodies:
    @pytest.mark.parametrize("path", POST_PATHS)
    @pytest.mark.parametrize("opening, closing", [("[", "]"), ('{"a": ', "}")])
    def test_deeper_than_the_json_parser_goes(
        self, rdb: Any, path: str, opening: str, closing: str
    ) -> None:
        """Assert a body nested 100,000 deep (the fuzzer's 500: RecursionError) is a 400."""
        response = post_raw(rdb, path, opening * 100_000 + "1" + closing * 100_000)
        assert_message(response, TOO_DEEP)
        assert_nothing_stored(rdb)

    @pytest.mark.parametrize("path", POST_PATHS)
    def test_one_level_past_the_bound(self, rdb: Any, path: str) -> None:
        """Assert a body one level deeper than MAX_BODY_DEPTH, which Python parses, is the
        same 400: the answer does not depend on how deep the server's stack already is."""
        assert_message(post_raw(rdb, path, body_of_depth(path, MAX_BODY_DEPTH + 1)), TOO_DEEP)
        assert_nothing_stored(rdb)

    @pytest.mark.parametrize("path", ["/results", "/results/bulk"])
    def test_at_the_bound_is_stored(self, rdb: Any, path: str) -> None:
        """Assert a result body exactly MAX_BODY_DEPTH deep is stored, its deep value kept
        as upstream keeps one: its str()."""
        response = post_raw(rdb, path, body_of_depth(path, MAX_BODY_DEPTH))
        assert response.status_code == 201, response.text
        stored = rdb.get("/results").json()["data"][0]["data"]["k"]
        depth = MAX_BODY_DEPTH - (2 if path == "/results" else 4)
        assert stored == [str(nested(depth - 1))]


def readable(text: str) -> str:
    """``text`` as UTF-8 with each byte of a lone surrogate replaced by U+FFFD."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _text_cases(char: str) -> list[Any]:
    """(path, body, loc, message before "must not contain") with ``char`` at offset 1."""
    t = f"t{char}"
    return [
        ("/results", make_result(testcase=t), ["testcase"], "testcase name "),
        (
            "/results",
            make_result(testcase={"name": "t", "ref_url": t}),
            ["testcase"],
            "testcase ref_url ",
        ),
        ("/results", make_result(note=t), ["note"], ""),
        ("/results", make_result(ref_url=t), ["ref_url"], ""),
        ("/results", make_result(data={"item": t}), ["data", "item"], ""),
        ("/results", make_result(data={"item": ["x", t]}), ["data", "item"], "element 1 "),
        # pydantic writes a key it cannot encode with replacement characters in ``loc``.
        ("/results", make_result(data={t: "x"}), ["data", readable(t), "[key]"], ""),
        ("/results", make_result(groups=["g", t]), ["groups"], "groups[1] "),
        (
            "/results",
            make_result(groups=[{"description": t}]),
            ["groups"],
            "groups[0].description ",
        ),
        (
            "/results/bulk",
            {"results": [make_result(), make_result(note=t)]},
            ["results", 1, "note"],
            "",
        ),
        ("/groups", {"uuid": t}, ["uuid"], ""),
        ("/groups", {"description": t}, ["description"], ""),
        ("/testcases", {"name": "t", "ref_url": t}, ["ref_url"], ""),
    ]


TEXT_CASES = [
    pytest.param(*case, what, id=f"{what.split()[1]}-{case[0]}-{'.'.join(map(str, case[2]))}")
    for char, what in ((NUL, "a NUL character (U+0000)"), (SURROGATE, "a lone surrogate (U+DCFF)"))
    for case in _text_cases(char)
]


class TestUnstorableText:
    @pytest.mark.parametrize("path, body, loc, prefix, what", TEXT_CASES)
    def test_posted_text_is_refused_naming_its_field(
        self, rdb: Any, path: str, body: Any, loc: list[Any], prefix: str, what: str
    ) -> None:
        """Assert a NUL (PostgreSQL's text cannot hold one: before, a 400 naming no field; on
        SQLite a 201) or a lone surrogate (neither driver can encode one: a 500) in any
        stored string is a validation_error naming the field, on both backends."""
        response = rdb.post(path, json=body)
        message = f"Value error, {prefix}must not contain {what} at offset 1"
        assert_validation_error(response, (loc, message, "value_error"))
        assert_nothing_stored(rdb)

    def test_nul_in_a_testcase_name(self, rdb: Any) -> None:
        """Assert POST /testcases with a NUL in its name names the field."""
        response = rdb.post("/testcases", json={"name": f"t{NUL}"})
        message = "Value error, must not contain a NUL character (U+0000) at offset 1"
        assert_validation_error(response, (["name"], message, "value_error"))

    def test_a_surrogate_sent_as_utf8_bytes(self, rdb: Any) -> None:
        """Assert a surrogate encoded as UTF-8 bytes (ED B3 BF, which Python's JSON reader
        lets through) is refused like an escaped one."""
        response = post_raw(
            rdb, "/results", b'{"outcome": "PASSED", "testcase": "t", "note": "t\xed\xb3\xbf"}'
        )
        message = "Value error, must not contain a lone surrogate (U+DCFF) at offset 1"
        assert_validation_error(response, (["note"], message, "value_error"))

    def test_a_body_that_is_not_utf8_stays_upstreams_bad_request(self, rdb: Any) -> None:
        """Assert invalid UTF-8 answers upstream's 400 for a body JSON cannot read (pinned: it
        never was a 5xx)."""
        response = post_raw(rdb, "/results", b'{"outcome": "PASSED", "testcase": "\xff"}')
        assert_message(response, "Bad request")


class TestNulInRequests:
    @pytest.mark.parametrize(
        "path, name",
        [
            ("/results", "item"),
            ("/results", "item:like"),
            ("/results", "type"),
            ("/results", "testcases"),
            ("/results", "testcases:like"),
            ("/results", "groups"),
            ("/results/latest", "item"),
            ("/results/latest", "_distinct_on"),
            ("/groups/g/results", "item"),
            ("/testcases/t/results", "item"),
            ("/testcases", "name"),
            ("/testcases", "name:like"),
            ("/groups", "uuid"),
            ("/groups", "description"),
            ("/groups", "description:like"),
        ],
    )
    def test_in_a_filter_value(self, rdb: Any, path: str, name: str) -> None:
        """Assert a NUL in a filter value is a 400 naming the parameter (before: PostgreSQL's
        refusal, naming none; SQLite: a 200)."""
        response = rdb.get(path, params={"item": "x", name: f"a,b{NUL}"})
        message = f"Query parameter {name!r} must not contain a NUL character (U+0000) at offset 3"
        assert_message(response, message)

    def test_in_a_parameter_name(self, rdb: Any) -> None:
        """Assert a NUL in a data filter's key (bound as a value too) is named as such."""
        response = rdb.get("/results", params={f"it{NUL}em": "x"})
        message = (
            "Query parameter name 'it\\x00em' must not contain a NUL character (U+0000) at offset 2"
        )
        assert_message(response, message)

    @pytest.mark.parametrize(
        "path, what",
        [
            ("/groups/a%00b", "Group uuid"),
            ("/groups/a%00b/results", "Group uuid"),
            ("/testcases/a%00b", "Testcase name"),
            ("/testcases/a%00b/results", "Testcase name"),
        ],
    )
    def test_in_a_path(self, rdb: Any, path: str, what: str) -> None:
        """Assert a NUL in a group uuid or testcase name in the path is a 400 naming it
        (before: 400 from PostgreSQL, naming nothing; 404 on SQLite)."""
        message = f"{what} in the path must not contain a NUL character (U+0000) at offset 1"
        assert_message(rdb.get(path), message)


def too_many(name: str, count: int, most: int = MAX_LIST_VALUES) -> str:
    return f"Too many values in {name!r}: {count} (at most {most})"


class TestListBounds:
    def test_the_fuzzers_testcases_like(self, rdb: Any) -> None:
        """Assert ``testcases:like`` with 1,500 values is a 400 (before: 503 on SQLite,
        "Expression tree is too large (maximum depth 1000)": an OR of 1,500 LIKEs)."""
        patterns = ",".join("abcdefghij"[index % 10] for index in range(1500))
        response = get_raw(rdb, "/results", f"testcases:like={patterns}")
        assert_message(response, too_many("testcases:like", 1500))

    @pytest.mark.parametrize(
        "path, name",
        [
            ("/results", "item"),
            ("/results", "item:like"),
            ("/results", "type"),
            ("/results", "type:like"),
            ("/results", "testcases"),
            ("/results", "testcases:like"),
            ("/results", "groups"),
            ("/results/latest", "type:like"),
            ("/results/latest", "testcases:like"),
            ("/groups/g/results", "item:like"),
            ("/testcases/t/results", "item:like"),
            ("/testcases", "name"),
            ("/testcases", "name:like"),
            ("/groups", "uuid"),
            ("/groups", "description"),
            ("/groups", "description:like"),
        ],
    )
    def test_one_value_past_the_bound(self, rdb: Any, path: str, name: str) -> None:
        """Assert every list filter with MAX_LIST_VALUES + 1 values is a 400 naming it."""
        count = MAX_LIST_VALUES + 1
        assert_message(get_raw(rdb, path, f"{name}={values(count)}"), too_many(name, count))

    def test_outcomes(self, rdb: Any) -> None:
        """Assert ``outcome`` (each value a parameter of the statement) is bounded too."""
        count = MAX_LIST_VALUES + 1
        response = get_raw(rdb, "/results", "outcome=" + ",".join(["PASSED"] * count))
        assert_message(response, too_many("outcome", count))

    @pytest.mark.parametrize("count", [MAX_DISTINCT_ON + 1, 64])
    def test_distinct_on(self, rdb: Any, count: int) -> None:
        """Assert more than MAX_DISTINCT_ON ``_distinct_on`` keys (a join each) is a 400
        (before: 200 at 17; at 64, SQLite's 503 "at most 64 tables in a join")."""
        response = get_raw(rdb, "/results/latest", f"item=x&_distinct_on={values(count, 'k')}")
        assert_message(response, too_many("_distinct_on", count, MAX_DISTINCT_ON))

    @pytest.mark.parametrize("count", [MAX_DATA_FILTERS + 1, 250])
    def test_data_filters(self, rdb: Any, count: int) -> None:
        """Assert more than MAX_DATA_FILTERS data filters (a subquery each) is a 400 naming
        the first few (before: 200 at 17; at 250, PostgreSQL planned /results/latest for
        more than 30 s, past the client's timeout, and gunicorn kills a worker at 60 s)."""
        query = "&".join(f"k{index}=x" for index in range(count))
        message = (
            f"Too many data filters: {count} (at most {MAX_DATA_FILTERS}): 'k0', 'k1', 'k2', ..."
        )
        assert_message(get_raw(rdb, "/results/latest", query), message)

    @pytest.mark.parametrize(
        "path, query",
        [
            ("/results", f"item:like={values(MAX_LIST_VALUES)}"),
            ("/results/latest", f"type:like={values(MAX_LIST_VALUES)}"),
            ("/results/latest", f"item=x&type:like={values(MAX_LIST_VALUES)}"),
            ("/results/latest", f"outcome=PASSED&arch:like={values(MAX_LIST_VALUES)}"),
            (
                "/results/latest",
                f"type:like={values(MAX_LIST_VALUES)}&"
                + "&".join(f"k{index}=x" for index in range(MAX_DATA_FILTERS - 1)),
            ),
            (
                "/results/latest",
                f"item=x&_distinct_on={values(MAX_DISTINCT_ON, 'k')}&"
                + "&".join(f"k{index}:like=x" for index in range(MAX_DATA_FILTERS - 1)),
            ),
            ("/results", f"testcases:like={values(MAX_LIST_VALUES)}"),
            ("/testcases", f"name={values(MAX_LIST_VALUES)}"),
            ("/testcases", f"name:like={values(MAX_LIST_VALUES)}"),
            ("/groups", f"description:like={values(MAX_LIST_VALUES)}"),
        ],
        ids=[
            "page-item-like",
            "latest-type-like",
            "latest-item-and-type-like",
            "latest-outcome-and-arch-like",
            "latest-like-and-keys",
            "latest-distinct-on-and-likes",
            "page-testcases-like",
            "testcase-names",
            "testcase-name-likes",
            "group-description-likes",
        ],
    )
    def test_the_deepest_statements_at_the_bounds_answer(
        self, rdb: Any, path: str, query: str
    ) -> None:
        """Assert the statements deepest for SQLite work at the bounds: an OR of LIKEs two
        subqueries down in /results/latest (SQLite counts it three times: 327 values fail),
        beside the most data filters, in its correlated subquery (counted twice)."""
        response = get_raw(rdb, path, query)
        assert response.status_code == 200, response.text[:300]


class TestLargeBulkPosts:
    def test_more_groups_than_a_statement_takes_parameters(self, rdb: Any) -> None:
        """Assert a bulk POST naming 66,000 new groups (more than the 65,535 parameters
        PostgreSQL takes in one statement) is stored (before: 503 on PostgreSQL, "number of
        parameters must be between 0 and 65535", from reading the groups back at once)."""
        groups = [f"g{index}" for index in range(66_000)]
        body = {"results": [make_result(groups=groups), make_result(groups=groups[:2])]}
        response = rdb.post("/results/bulk", json=body)
        assert response.status_code == 201, response.text[:300]
        assert [len(result["groups"]) for result in response.json()["data"]] == [66_000, 2]
