"""Random bodies and query strings: a 4xx with a message, never a 500 (hypothesis)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = [
    "outcome",
    "testcase",
    "groups",
    "note",
    "ref_url",
    "data",
    "submit_time",
    "name",
    "uuid",
    "description",
    "results",
]
BODY = st.one_of(
    JSON,
    st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=7),
    st.fixed_dictionaries(
        {
            "outcome": st.sampled_from(["PASSED", "failed", " info ", "GREAT", ""]) | JSON,
            "testcase": st.text(max_size=20) | JSON,
        },
        optional={
            "data": st.dictionaries(st.text(max_size=8), JSON, max_size=3),
            "groups": st.lists(st.text(max_size=8) | JSON, max_size=3),
            "submit_time": JSON | st.sampled_from(["2026-01-01T00:00:00.5Z", "1700000000000"]),
        },
    ),
)
PARAMS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "page",
                "limit",
                "since",
                "outcome",
                "groups",
                "testcases",
                "testcases:like",
                "_sort",
                "_distinct_on",
                "item",
                "item:like",
                "a:b:c",
                "callback",
                "uuid",
                "name",
                "name:like",
                "description:like",
            ]
        )
        | st.text(max_size=8),
        st.text(max_size=12) | st.integers().map(str),
    ),
    max_size=5,
)
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def assert_clean(response: Any) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:500])
    if response.status_code in (405, 415):
        return  # werkzeug's HTML pages, as upstream
    document = response.json()
    if response.status_code >= 400:
        assert "message" in document or "validation_error" in document


@FUZZ
@given(path=st.sampled_from(["/results", "/results/bulk", "/groups", "/testcases"]), body=BODY)
def test_random_bodies(rdb: Any, path: str, body: Any) -> None:
    """Assert any JSON body to any POST endpoint gets 201 or a clean 4xx, never a 500."""
    assert_clean(rdb.post(path, json=body if path != "/results/bulk" else {"results": [body]}))


@FUZZ
@given(body=st.binary(max_size=64) | st.text(max_size=64).map(str.encode))
def test_random_bytes(rdb: Any, body: bytes) -> None:
    """Assert bytes that are not JSON get 400 {"message": "Bad request"} or a clean 4xx."""
    response = rdb.session.post(
        f"{rdb.api}/results", data=body, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert_clean(response)
    try:
        json.loads(body)
    except ValueError:
        assert response.status_code == 400


@FUZZ
@given(
    path=st.sampled_from(
        [
            "/results",
            "/results/latest",
            "/groups",
            "/testcases",
            "/groups/x/results",
            "/testcases/t/results",
        ]
    ),
    params=PARAMS,
)
def test_random_query_strings(rdb: Any, path: str, params: list[tuple[str, str]]) -> None:
    """Assert any query string on any list endpoint gets 200 or a clean 4xx, never a 500."""
    assert_clean(rdb.get(path, params=params))


def test_nul_characters_are_a_clean_400(rdb: Any) -> None:
    """Assert a NUL in a string (PostgreSQL text cannot hold one) is a 400 on either backend,
    each field named (test_rdb_bad_input.py has the details), never a 500."""
    body = {"outcome": "PASSED", "testcase": "t\x00", "note": "a\x00b", "data": {"k\x00": "v\x00"}}
    response = rdb.post("/results", json=body)
    assert response.status_code == 400, response.text
    errors = response.json()["validation_error"]
    assert [error["loc"] for error in errors] == [
        ["testcase"],
        ["note"],
        ["data", "k\x00", "[key]"],
        ["data", "k\x00"],
    ]
    assert all("NUL" in error["msg"] for error in errors)
    assert_clean(rdb.get("/results", params={"item": "x\x00"}))
    assert_clean(rdb.get("/groups/a\x00b"))


def test_unicode_digits_in_a_result_id_are_not_found(rdb: Any) -> None:
    """Assert '²' (a digit to str.isdigit, not to int) in a result id is a 404, not a 500."""
    response = rdb.get("/results/%C2%B2")
    assert (response.status_code, response.json()) == (404, {"message": "Result not found"})
