"""Taskotron's ResultYAML: parse_resultyaml (note -> summary, problems by index) and back."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
import yaml

from checkline.reporting.resultyaml import format_resultyaml, parse_resultyaml
from checkline.reporting.verdicts import Parsed, Problem

VALID = "PASSED, INFO, FAILED, NEEDS_INSPECTION, ABORTED, CRASHED"


def make_result(**overrides: Any) -> dict[str, Any]:
    result: dict[str, Any] = {"item": "xchat-0.5-1.fc20", "type": "koji_build", "outcome": "PASSED"}
    result.update(overrides)
    return result


class TestParseResultYaml:
    def test_taskotron_text(self) -> None:
        """Assert ResultYAML text gives verdicts, outcome upper-cased and note renamed."""
        text = textwrap.dedent(
            """
            results:
              - item: xchat-0.5-1.fc20
                type: koji_build
                outcome: passed
                note: 5 errors, 10 warnings
                checkname: dist.rpmlint
                artifact: rpmlint.log
                custom: [1, 2]
              - item: xchat-0.5-1.fc20
                type: koji_build
                outcome: FAILED
            """
        )
        assert parse_resultyaml(text) == Parsed(
            verdicts=[
                make_result(
                    summary="5 errors, 10 warnings",
                    checkname="dist.rpmlint",
                    artifact="rpmlint.log",
                    custom=[1, 2],
                ),
                make_result(outcome="FAILED"),
            ]
        )

    def test_dict_input(self) -> None:
        """Assert the dict a ResultYAML text loads to is read the same way."""
        assert parse_resultyaml({"results": [make_result(note="n")]}) == Parsed(
            verdicts=[make_result(summary="n")]
        )

    def test_note_and_summary_both_kept(self) -> None:
        """Assert note is not renamed when summary is also given (neither is lost)."""
        parsed = parse_resultyaml({"results": [make_result(note="n", summary="s")]})
        assert parsed.verdicts == [make_result(note="n", summary="s")]

    def test_input_is_not_modified(self) -> None:
        """Assert the caller's dicts keep their note and lower-case outcome."""
        data = {"results": [make_result(outcome="info", note="n")]}
        parse_resultyaml(data)
        assert data == {"results": [make_result(outcome="info", note="n")]}

    @pytest.mark.parametrize("data", ["results:", "results: []", {"results": None}])
    def test_no_results(self, data: Any) -> None:
        """Assert an empty or null results list is no verdicts and no problems."""
        assert parse_resultyaml(data) == Parsed()

    def test_problems_name_the_index(self) -> None:
        """Assert each bad result is named results[N], and the sound ones are still returned."""
        data = {
            "results": [
                make_result(),
                make_result(item="b"),
                {"item": "c", "outcome": "nope"},
                "just a string",
                make_result(type=3),
            ]
        }
        assert parse_resultyaml(data) == Parsed(
            verdicts=[make_result(), make_result(item="b")],
            problems=[
                Problem("results[2]", "'type' is required"),
                Problem(
                    "results[2]", f"'outcome': 'nope' is not an outcome; valid outcomes: {VALID}"
                ),
                Problem("results[3]", "must be a mapping, 'str' found"),
                Problem("results[4]", "'type' must be a string, 'int' found"),
            ],
        )
        assert str(parse_resultyaml(data).problems[0]) == "results[2]: 'type' is required"

    def test_text_that_does_not_parse(self) -> None:
        """Assert YAML that does not parse is one problem with the error on one line."""
        parsed = parse_resultyaml("results: [unclosed\n")
        assert parsed.verdicts == []
        assert [p.where for p in parsed.problems] == ["ResultYAML"]
        assert parsed.problems[0].message.startswith("does not parse: ")
        assert "\n" not in parsed.problems[0].message

    @pytest.mark.parametrize(
        ("data", "found"),
        [
            ("- item: a", "list"),
            ("", "NoneType"),
            ("just text", "str"),
            ({"result": []}, "dict"),
            ([make_result()], "list"),
        ],
    )
    def test_not_a_results_mapping(self, data: Any, found: str) -> None:
        """Assert a document without a top-level 'results' key is a problem naming its type."""
        assert parse_resultyaml(data) == Parsed(
            problems=[
                Problem("ResultYAML", f"must be a mapping with a 'results' list, {found!r} found")
            ]
        )

    def test_results_not_a_list(self) -> None:
        """Assert a 'results' that is not a list is a problem naming its type."""
        assert parse_resultyaml({"results": {"item": "a"}}) == Parsed(
            problems=[Problem("results", "must be a list, 'dict' found")]
        )


class TestFormatResultYaml:
    def test_summary_written_as_note(self) -> None:
        """Assert summary is written back under Taskotron's name, note."""
        text = format_resultyaml([make_result(summary="one line", checkname="c")])
        assert yaml.safe_load(text) == {
            "results": [
                {
                    "item": "xchat-0.5-1.fc20",
                    "type": "koji_build",
                    "outcome": "PASSED",
                    "checkname": "c",
                    "note": "one line",
                }
            ]
        }
        assert "summary" not in text

    def test_summary_kept_when_note_given(self) -> None:
        """Assert a verdict with both note and summary keeps both."""
        text = format_resultyaml([make_result(summary="s", note="n")])
        assert yaml.safe_load(text)["results"] == [make_result(summary="s", note="n")]

    def test_input_is_not_modified(self) -> None:
        """Assert the caller's verdicts keep their summary."""
        verdicts = [make_result(summary="s")]
        format_resultyaml(verdicts)
        assert verdicts == [make_result(summary="s")]

    def test_empty(self) -> None:
        """Assert no verdicts is an empty results list."""
        assert yaml.safe_load(format_resultyaml([])) == {"results": []}

    @pytest.mark.parametrize(
        "verdict",
        [
            make_result(),
            make_result(summary="žluťoučký ☃", details={"output": "a\n\n...\n"}),
            make_result(outcome="NEEDS_INSPECTION", arch=["x86_64"], nested={"a": [{"b": None}]}),
            # Unicode line breaks: written raw, PyYAML reads U+0085 back as a space.
            make_result(summary="a\x85b\u2028c\u2029d", details={"output": "x\x85\ny"}),
        ],
    )
    def test_round_trip(self, verdict: dict[str, Any]) -> None:
        """Assert format_resultyaml then parse_resultyaml gives the verdicts back."""
        assert parse_resultyaml(format_resultyaml([verdict, verdict])) == Parsed(
            verdicts=[verdict, verdict]
        )
