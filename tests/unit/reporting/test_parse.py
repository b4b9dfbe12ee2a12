"""parse_results autodetection, looks_like_tap, and normalize_verdict (the verdict check)."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from checkline.reporting.parse import looks_like_tap, parse_results
from checkline.reporting.tap import format_tap
from checkline.reporting.verdicts import Parsed, Problem, normalize_verdict

VALID = "PASSED, INFO, FAILED, NEEDS_INSPECTION, ABORTED, CRASHED"


def make_verdict(**overrides: Any) -> dict[str, Any]:
    verdict: dict[str, Any] = {
        "item": "xchat-0.5-1.fc20",
        "type": "koji_build",
        "outcome": "PASSED",
    }
    verdict.update(overrides)
    return verdict


TAP_TEXT = textwrap.dedent(
    """\
    TAP version 13
    1..1
    not ok 1 - dist.rpmlint xchat-0.5-1.fc20
      ---
      item: xchat-0.5-1.fc20
      type: koji_build
      outcome: FAILED
      note: from TAP
      ...
    """
)

RESULTYAML_TEXT = textwrap.dedent(
    """\
    results:
      - item: xchat-0.5-1.fc20
        type: koji_build
        outcome: failed
        note: from ResultYAML
    """
)


class TestLooksLikeTap:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("TAP version 13\n1..1\n", True),
            ("TAP version 12\n", True),
            ("\n\n   \n1..3\nok 1\n", True),
            ("ok 1 - x\n", True),
            ("ok\n", True),
            ("not ok 2\n", True),
            ("  ok 1 - indented\n", True),
            ("results:\n  - item: a\n", False),
            ("# a comment\nTAP version 13\n", False),
            ("okay\n", False),
            ("not okay\n", False),
            ("TAP version thirteen\n", False),
            ("", False),
            ("\n  \n", False),
        ],
    )
    def test_first_non_blank_line_decides(self, text: str, expected: bool) -> None:
        """Assert only a version, plan or test line as first non-blank line counts as TAP."""
        assert looks_like_tap(text) is expected


class TestParseResults:
    def test_tap_text(self) -> None:
        """Assert TAP text is read as TAP."""
        assert parse_results(TAP_TEXT) == Parsed(
            verdicts=[make_verdict(outcome="FAILED", summary="from TAP")]
        )

    def test_resultyaml_text(self) -> None:
        """Assert ResultYAML text is read as ResultYAML."""
        assert parse_results(RESULTYAML_TEXT) == Parsed(
            verdicts=[make_verdict(outcome="FAILED", summary="from ResultYAML")]
        )

    def test_resultyaml_dict(self) -> None:
        """Assert a loaded ResultYAML dict is read as ResultYAML."""
        data = {"results": [make_verdict(outcome="info", note="n")]}
        assert parse_results(data) == Parsed(verdicts=[make_verdict(outcome="INFO", summary="n")])

    def test_format_tap_output_is_detected(self) -> None:
        """Assert what format_tap writes is detected as TAP and read back."""
        verdicts = [make_verdict(checkname="c"), make_verdict(outcome="CRASHED")]
        assert parse_results(format_tap(verdicts)) == Parsed(verdicts=verdicts)

    def test_list_of_dicts(self) -> None:
        """Assert a list of verdict dicts (a Python check's return) is checked like the rest."""
        data = [
            make_verdict(outcome="needs_inspection", note="n"),
            "not a dict",
            make_verdict(item=""),
            make_verdict(outcome="maybe"),
        ]
        assert parse_results(data) == Parsed(
            verdicts=[make_verdict(outcome="NEEDS_INSPECTION", summary="n")],
            problems=[
                Problem("results[1]", "must be a mapping, 'str' found"),
                Problem("results[2]", "'item' is required"),
                Problem(
                    "results[3]", f"'outcome': 'maybe' is not an outcome; valid outcomes: {VALID}"
                ),
            ],
        )

    def test_empty_list(self) -> None:
        """Assert an empty list is no verdicts and no problems."""
        assert parse_results([]) == Parsed()

    def test_text_that_is_neither(self) -> None:
        """Assert text that is not TAP falls to ResultYAML, whose problem names it."""
        assert parse_results("Segmentation fault\n") == Parsed(
            problems=[Problem("ResultYAML", "must be a mapping with a 'results' list, 'str' found")]
        )

    @pytest.mark.parametrize(("data", "name"), [(5, "int"), (None, "NoneType"), (b"ok", "bytes")])
    def test_unreadable_type(self, data: Any, name: str) -> None:
        """Assert a value of another type is one problem naming the type."""
        assert parse_results(data) == Parsed(
            problems=[Problem("results", f"cannot read results from {name}")]
        )


class TestNormalizeVerdict:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            (make_verdict(), make_verdict()),
            (make_verdict(outcome="passed"), make_verdict()),
            (make_verdict(outcome=" Needs_Inspection "), make_verdict(outcome="NEEDS_INSPECTION")),
            (make_verdict(note="n"), make_verdict(summary="n")),
            (make_verdict(note="n", summary="s"), make_verdict(note="n", summary="s")),
            (
                make_verdict(arch=["x86_64"], details={"output": "x"}, extra=None),
                make_verdict(arch=["x86_64"], details={"output": "x"}, extra=None),
            ),
        ],
    )
    def test_sound_verdict(self, raw: dict[str, Any], expected: dict[str, Any]) -> None:
        """Assert a sound verdict keeps every key, with outcome canonical and note renamed."""
        assert normalize_verdict(raw, "here") == (expected, [])

    def test_input_is_not_modified(self) -> None:
        """Assert the caller's dict keeps its note and its outcome spelling."""
        raw = make_verdict(outcome="info", note="n")
        normalize_verdict(raw, "here")
        assert raw == make_verdict(outcome="info", note="n")

    @pytest.mark.parametrize(
        ("raw", "messages"),
        [
            ({}, ["'item' is required", "'type' is required", "'outcome' is required"]),
            (make_verdict(item=None), ["'item' is required"]),
            (make_verdict(type=""), ["'type' is required"]),
            (make_verdict(outcome=""), ["'outcome' is required"]),
            (make_verdict(item=5), ["'item' must be a string, 'int' found"]),
            (make_verdict(type=["t"]), ["'type' must be a string, 'list' found"]),
            (make_verdict(outcome=True), ["'outcome' must be a string, 'bool' found"]),
            (
                make_verdict(outcome="PASS"),
                [f"'outcome': 'PASS' is not an outcome; valid outcomes: {VALID}"],
            ),
            (
                {"item": 1, "outcome": "x"},
                [
                    "'item' must be a string, 'int' found",
                    "'type' is required",
                    f"'outcome': 'x' is not an outcome; valid outcomes: {VALID}",
                ],
            ),
            ("text", ["must be a mapping, 'str' found"]),
            (None, ["must be a mapping, 'NoneType' found"]),
            ([make_verdict()], ["must be a mapping, 'list' found"]),
        ],
    )
    def test_unsound_verdict(self, raw: Any, messages: list[str]) -> None:
        """Assert an unsound verdict gives no verdict and one problem per bad key."""
        assert normalize_verdict(raw, "results[7]") == (
            None,
            [Problem("results[7]", message) for message in messages],
        )

    def test_problem_text(self) -> None:
        """Assert a Problem reads 'where: message'."""
        assert str(Problem("test 3", "'item' is required")) == "test 3: 'item' is required"

    def test_parsed_ok(self) -> None:
        """Assert Parsed.ok is true only without problems."""
        assert Parsed(verdicts=[make_verdict()]).ok
        assert not Parsed(problems=[Problem("x", "y")]).ok
