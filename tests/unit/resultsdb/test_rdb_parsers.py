"""Request parsing: submit times, testcases, groups, outcomes and list queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from checkline.resultsdb.parsers import (
    BODY_TOO_DEEP,
    MAX_BODY_DEPTH,
    CreateResultBody,
    RequestError,
    ResultsQuery,
    check_body_depth,
    parse_since,
    parse_submit_time,
)
from checkline.resultsdb.store import data_rows

OUTCOMES = {"outcomes": ("PASSED", "INFO", "FAILED", "NEEDS_INSPECTION", "CRASHED")}


def make_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"outcome": "passed", "testcase": "dist.rpmlint"}
    body.update(overrides)
    return body


def errors(model: Any, data: Any) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(ValidationError) as raised:
        model.model_validate(data, context=OUTCOMES)
    return [(tuple(e["loc"]), e["msg"]) for e in raised.value.errors()]


class TestSubmitTime:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (1717156800123, dt.datetime(2024, 5, 31, 12, 0, 0, 123000)),
            ("1717156800123", dt.datetime(2024, 5, 31, 12, 0, 0, 123000)),
            (1717156800123.0, dt.datetime(2024, 5, 31, 12, 0, 0, 123000)),
            ("2024-05-31T12:00:00.123456", dt.datetime(2024, 5, 31, 12, 0, 0, 123456)),
            ("2024-05-31T12:00:00.123456Z", dt.datetime(2024, 5, 31, 12, 0, 0, 123456)),
            ("2024-05-31T12:00:00.5+00", dt.datetime(2024, 5, 31, 12, 0, 0, 500000)),
            ("2024-05-31T14:00:00.000001+02:00", dt.datetime(2024, 5, 31, 12, 0, 0, 1)),
            ("2024-05-31T10:00:00.000001-0200", dt.datetime(2024, 5, 31, 12, 0, 0, 1)),
            (None, None),
        ],
    )
    def test_accepted_forms(self, value: Any, expected: dt.datetime | None) -> None:
        """Assert every accepted form gives naive UTC (offsets converted, not dropped)."""
        assert parse_submit_time(value) == expected

    @pytest.mark.parametrize("value", ["2024-05-31T12:00:00", "yesterday", True, [1], 10**30])
    def test_rejected_forms(self, value: Any) -> None:
        """Assert anything else is refused with upstream's message."""
        with pytest.raises(ValueError) as raised:
            parse_submit_time(value)
        assert str(raised.value) == (
            "Expected timestamp in milliseconds or datetime (in format "
            f"YYYY-MM-DDTHH:MM:SS.ffffff), got {value!r}"
        )


class TestCreateResultBody:
    def test_normalises(self) -> None:
        """Assert outcome is stripped and upper-cased, testcase string becomes an object."""
        body = CreateResultBody.model_validate(make_body(outcome=" failed "), context=OUTCOMES)
        assert body.outcome == "FAILED"
        assert body.testcase == {"name": "dist.rpmlint"}

    @pytest.mark.parametrize(
        ("overrides", "expected"),
        [
            (
                {"outcome": "GREAT"},
                [
                    (
                        ("outcome",),
                        "Value error, must be one of: PASSED, INFO, "
                        "FAILED, NEEDS_INSPECTION, CRASHED",
                    )
                ],
            ),
            ({"testcase": ""}, [(("testcase",), "Value error, testcase name must be non-empty")]),
            (
                {"testcase": {"ref_url": "x"}},
                [(("testcase",), "Value error, testcase name must be non-empty")],
            ),
            (
                {"groups": [5]},
                [(("groups",), "Value error, each group must be a uuid string or a group object")],
            ),
            ({"note": 5}, [(("note",), "Input should be a valid string")]),
            ({"data": []}, [(("data",), "Input should be a valid dictionary")]),
        ],
    )
    def test_errors(self, overrides: dict[str, Any], expected: list[Any]) -> None:
        """Assert each bad field gives one validation error with upstream's message."""
        assert errors(CreateResultBody, make_body(**overrides)) == expected

    def test_missing_fields(self) -> None:
        """Assert missing outcome and testcase are both reported."""
        assert errors(CreateResultBody, {}) == [
            (("outcome",), "Field required"),
            (("testcase",), "Field required"),
        ]


def nested(depth: int) -> Any:
    """A value ``depth`` arrays deep (0: a number)."""
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


class TestBodyDepth:
    def test_at_the_bound(self) -> None:
        """Assert a body exactly MAX_BODY_DEPTH deep passes (objects count as arrays do)."""
        check_body_depth({"data": {"k": nested(MAX_BODY_DEPTH - 2)}})

    @pytest.mark.parametrize("depth", [MAX_BODY_DEPTH + 1, 100_000])
    def test_past_the_bound(self, depth: int) -> None:
        """Assert a deeper body is refused, however deep: the walk is iterative (a recursive
        one would fail at 100,000 as Python's JSON reader did)."""
        with pytest.raises(RequestError, match=f"^{BODY_TOO_DEEP}$"):
            check_body_depth(nested(depth))


class TestStorableText:
    def test_text_inside_other_data_values_is_stored_escaped(self) -> None:
        """Assert only strings stored as they are are checked: a NUL or a surrogate inside
        another value is stored within its str(), which escapes both, as upstream stores it."""
        data = {"d": {"a": "\x00"}, "l": [["\udcff"]]}
        body = CreateResultBody.model_validate(make_body(data=data), context=OUTCOMES)
        assert data_rows(body.data) == [("d", "{'a': '\\x00'}"), ("l", "['\\udcff']")]

    def test_every_refused_field_is_named(self) -> None:
        """Assert one error per field, each naming where the character is."""
        body = make_body(testcase={"name": "t", "ref_url": "u\x00"}, note="\ud800", ref_url="ok")
        assert errors(CreateResultBody, body) == [
            (
                ("testcase",),
                "Value error, testcase ref_url must not contain a NUL character (U+0000) "
                "at offset 1",
            ),
            (("note",), "Value error, must not contain a lone surrogate (U+D800) at offset 0"),
        ]


class TestResultsQuery:
    def test_lists_are_split_and_outcomes_checked(self) -> None:
        """Assert comma lists are split, trimmed, and outcomes upper-cased."""
        query = ResultsQuery.model_validate(
            {"outcome": "passed, failed", "testcases:like": "dist.*,,", "groups": ["a,b", "c"]},
            context=OUTCOMES,
        )
        assert query.outcome == ["PASSED", "FAILED"]
        assert query.testcases_like == ["dist.*"]
        assert query.groups == ["a", "b", "c"]

    def test_since(self) -> None:
        """Assert since takes a date, or a range, offsets stripped (as upstream)."""
        assert parse_since("2024-05-31") == (dt.datetime(2024, 5, 31), None)
        assert parse_since("2024-05-31T10:00:00+02:00,2024-06-01") == (
            dt.datetime(2024, 5, 31, 10),
            dt.datetime(2024, 6, 1),
        )
        assert errors(ResultsQuery, {"since": "soon"}) == [
            (("since",), "Value error, must be in ISO8601 format")
        ]


@pytest.mark.parametrize(
    ("data", "rows"),
    [
        ({"item": "x"}, [("item", "x")]),
        ({"arch": ["x86_64", "noarch"]}, [("arch", "x86_64"), ("arch", "noarch")]),
        ({"empty": []}, []),
        (
            {"n": 5, "b": True, "z": None, "d": {"a": 1}, "l": [1]},
            [("n", "5"), ("b", "True"), ("z", "None"), ("d", "{'a': 1}"), ("l", "1")],
        ),
        (None, []),
    ],
)
def test_data_rows(data: dict[str, Any] | None, rows: list[tuple[str, str]]) -> None:
    """Assert data values are stored as upstream stores them: text, one row per list item."""
    assert data_rows(data) == rows
