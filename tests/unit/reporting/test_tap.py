"""TAP13 with YAML blocks: format_tap, parse_tap, and the round trip through real tap.py."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
from tap.parser import Parser

from checkline.outcomes import OutcomeError
from checkline.reporting.tap import format_tap, parse_tap
from checkline.reporting.verdicts import Parsed, Problem


def make_verdict(**overrides: Any) -> dict[str, Any]:
    verdict: dict[str, Any] = {
        "item": "xchat-0.5-1.fc20",
        "type": "koji_build",
        "outcome": "PASSED",
        "checkname": "dist.rpmlint",
    }
    verdict.update(overrides)
    return verdict


def tap(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def yaml_blocks(text: str) -> list[Any]:
    """The YAML block of every test line, as the real tap.py parser reads it."""
    return [line.yaml_block for line in Parser().parse_text(text) if line.category == "test"]


def assert_round_trip(verdicts: list[dict[str, Any]]) -> None:
    text = format_tap(verdicts)
    assert parse_tap(text) == Parsed(verdicts=verdicts, problems=[])
    assert yaml_blocks(text) == verdicts


# Multi-line and awkward strings, each checked to come back character for character.
OUTPUTS = [
    pytest.param("line 1\nline 2", id="multi-line"),
    pytest.param("first\n\n\nafter two blank lines", id="blank-lines"),
    pytest.param("a\n\nb\n", id="blank-line-and-one-trailing-newline"),
    pytest.param("log\n...\nmore", id="line-starting-with-dots"),
    pytest.param("log\n   ...\nmore", id="line-starting-with-indented-dots"),
    pytest.param("log\n...x\n   ...y\n", id="dots-with-text"),
    pytest.param("...", id="just-dots"),
    pytest.param("   ...", id="just-indented-dots"),
    pytest.param("log\n---\nmore", id="line-of-dashes"),
    pytest.param("  leading\n    spaces\nnone", id="leading-spaces"),
    pytest.param("trailing  \nspaces", id="trailing-spaces"),
    pytest.param("\tTAB\n\tTAB", id="tabs"),
    pytest.param("carriage\rreturn", id="cr"),
    pytest.param("windows\r\nline\r\n", id="crlf"),
    pytest.param("žluťoučký kůň ☃ 日本語\n\n✓", id="unicode"),
    pytest.param("# not a comment\n#also not", id="hashes"),
    pytest.param("key: value\n- item\n{flow: x}", id="yaml-lookalike"),
    pytest.param("ok 2 - not a test line\nnot ok 3\nBail out!", id="tap-lookalike"),
    pytest.param("x" * 500, id="long-line-not-folded"),
    pytest.param("word " * 200, id="long-words-not-folded"),
    pytest.param("", id="empty"),
    pytest.param("yes", id="yaml-bool-word"),
    pytest.param("1.0", id="number-like"),
    pytest.param("null", id="null-word"),
    pytest.param("a\n", id="one-trailing-newline"),
    pytest.param("a\n...\n\n", id="dots-and-trailing-newlines"),
]

# Strings ending in two or more newlines: PyYAML ends the document after them with '...'.
TRAILING_NEWLINES = [
    ("a\n\n", "two-trailing-newlines"),
    ("\n", "only-a-newline"),
    ("tail of log\n\n\n", "log-tail-ending-in-blank-lines"),
]

LINE_SEPARATORS = [
    pytest.param(value, id=name)
    for value, name in [("a\u2028b", "unicode-line-separator"), ("a\x85b", "next-line-char")]
]


class TestRoundTrip:
    @pytest.mark.parametrize(
        "output",
        [
            *OUTPUTS,
            *(pytest.param(value, id=name) for value, name in TRAILING_NEWLINES),
            *LINE_SEPARATORS,
        ],
    )
    def test_details_output_survives(self, output: str) -> None:
        """Assert details.output, the last key as the runner writes it, comes back unchanged."""
        assert_round_trip([make_verdict(outcome="FAILED", details={"output": output})])

    @pytest.mark.parametrize(
        "summary",
        [
            *OUTPUTS,
            *(pytest.param(value, id=name) for value, name in TRAILING_NEWLINES),
            *LINE_SEPARATORS,
        ],
    )
    def test_summary_followed_by_more_keys_survives(self, summary: str) -> None:
        """Assert the same strings survive as summary with another key after it."""
        assert_round_trip([make_verdict(summary=summary, arch="x86_64")])

    @pytest.mark.parametrize(
        "verdict",
        [
            pytest.param(make_verdict(checkname="dist.a#b # TODO"), id="hash-in-checkname"),
            pytest.param(make_verdict(checkname="two\nlines\r"), id="newline-in-checkname"),
            pytest.param(make_verdict(item="  leading space"), id="leading-space-item"),
            pytest.param(make_verdict(item="žluťoučký-1.0"), id="unicode-item"),
            pytest.param(make_verdict(item="$(id);`id`"), id="shell-chars-item"),
            pytest.param(make_verdict(arch=["x86_64", "i386"]), id="list-value"),
            pytest.param(make_verdict(rpms=[]), id="empty-list"),
            pytest.param(
                make_verdict(details={"output": "x", "nested": {"a": [1, {"b": None}]}}),
                id="nested-dict",
            ),
            pytest.param(
                make_verdict(count=3, ratio=0.5, flag=True, nothing=None), id="scalar-types"
            ),
            pytest.param(make_verdict(**{"...": "key of dots", "#": "hash key"}), id="odd-keys"),
            pytest.param(make_verdict(outcome="NEEDS_INSPECTION"), id="needs-inspection"),
            pytest.param(make_verdict(outcome="INFO", checkname=None), id="null-checkname"),
            pytest.param(make_verdict(artifact="task_output/x.log"), id="artifact"),
        ],
    )
    def test_verdict_survives(self, verdict: dict[str, Any]) -> None:
        """Assert every key and value of a verdict survives format then parse."""
        assert_round_trip([verdict])

    def test_everything_at_once(self) -> None:
        """Assert a verdict using every awkward feature together survives both parsers."""
        verdict = make_verdict(
            checkname="dist.python#versions",
            item="  pkg-1.0 ☃",
            outcome="NEEDS_INSPECTION",
            summary="two\r\nlines",
            details={
                "output": "start\n\n...\n   ... indented dots\n  leading\nžluť\n",
                "files": ["a.py", "b.py"],
                "nested": {"level": {"deeper": [1, None, {"k": "v\n\nw"}]}},
            },
            arch=["x86_64", "noarch"],
            artifact="task_output/log.txt",
        )
        assert_round_trip([verdict, make_verdict(outcome="INFO"), verdict])

    def test_many_verdicts_keep_their_order(self) -> None:
        """Assert several verdicts come back in order, each with its own block."""
        verdicts = [
            make_verdict(item=f"pkg-{n}", outcome=outcome, details={"output": f"run {n}\n\n..."})
            for n, outcome in enumerate(["PASSED", "FAILED", "INFO", "CRASHED", "ABORTED"])
        ]
        assert_round_trip(verdicts)

    def test_note_is_read_back_as_summary(self) -> None:
        """Assert a verdict written with ResultYAML's note parses with it named summary."""
        verdict = make_verdict(note="one line")
        text = format_tap([verdict])
        expected = make_verdict(summary="one line")
        assert parse_tap(text) == Parsed(verdicts=[expected])
        assert yaml_blocks(text) == [verdict]

    def test_lower_case_outcome_is_read_back_upper_case(self) -> None:
        """Assert an outcome written in lower case parses as the canonical upper-case name."""
        text = format_tap([make_verdict(outcome="failed")])
        assert text.splitlines()[2].startswith("not ok 1 ")
        assert parse_tap(text).verdicts == [make_verdict(outcome="FAILED")]


class TestFormatTap:
    def test_exact_text(self) -> None:
        """Assert the whole stream: version, plan, test line, indented block, block end."""
        verdicts = [
            make_verdict(details={"output": "a\nb"}),
            make_verdict(item="y-1", outcome="FAILED", checkname=None),
        ]
        assert format_tap(verdicts) == tap(
            """
            TAP version 13
            1..2
            ok 1 - dist.rpmlint xchat-0.5-1.fc20
              ---
              item: xchat-0.5-1.fc20
              type: koji_build
              outcome: PASSED
              checkname: dist.rpmlint
              details:
                output: |-
                  a
                  b
              ...
            not ok 2 - y-1
              ---
              item: y-1
              type: koji_build
              outcome: FAILED
              checkname: null
              ...
            """
        )

    def test_no_verdicts(self) -> None:
        """Assert an empty run is a version line and an empty plan."""
        assert format_tap([]) == "TAP version 13\n1..0\n"

    @pytest.mark.parametrize(
        ("outcome", "status"),
        [
            ("PASSED", "ok"),
            ("INFO", "ok"),
            ("info", "ok"),
            ("FAILED", "not ok"),
            ("NEEDS_INSPECTION", "not ok"),
            ("ABORTED", "not ok"),
            ("CRASHED", "not ok"),
        ],
    )
    def test_status_follows_outcome(self, outcome: str, status: str) -> None:
        """Assert PASSED and INFO are written ok, every other outcome not ok."""
        line = format_tap([make_verdict(outcome=outcome)]).splitlines()[2]
        assert line == f"{status} 1 - dist.rpmlint xchat-0.5-1.fc20"

    @pytest.mark.parametrize(
        ("checkname", "item", "line"),
        [
            ("a#b", "x", "ok 1 - a b x"),
            ("a ## b", "x", "ok 1 - a   b x"),
            ("multi\nline\r\n", "x", "ok 1 - multi line  x"),
            ("", "x", "ok 1 - x"),
            (None, "x # SKIP", "ok 1 - x   SKIP"),
        ],
    )
    def test_description_cannot_become_a_directive(
        self, checkname: str | None, item: str, line: str
    ) -> None:
        """Assert '#', CR and LF are dropped from the description, so no directive appears."""
        text = format_tap([make_verdict(checkname=checkname, item=item)])
        assert text.splitlines()[2] == line
        assert parse_tap(text).verdicts == [make_verdict(checkname=checkname, item=item)]

    def test_dots_line_is_written_double_quoted(self) -> None:
        """Assert a multi-line string with a '...' line is one double-quoted line, not a block."""
        text = format_tap([make_verdict(summary="a\n   ...\nb")])
        assert '  summary: "a\\n   ...\\nb"' in text.splitlines()

    def test_every_block_line_is_indented(self) -> None:
        """Assert blank lines inside a literal block get the indent too (tap.py needs it)."""
        lines = format_tap([make_verdict(summary="a\n\nb", arch="x")]).splitlines()
        block = lines[lines.index("  ---") : lines.index("  ...")]
        assert all(line.startswith("  ") for line in block)
        assert "  " in block

    @pytest.mark.parametrize(
        "output",
        [
            "a\n",
            "a\n\nb",
            *(pytest.param(value, id=name) for value, name in TRAILING_NEWLINES),
        ],
    )
    def test_block_has_one_end_line(self, output: str) -> None:
        """Assert a block ends with exactly one '  ...' line whatever its last value is."""
        text = format_tap([make_verdict(details={"output": output})])
        assert text.splitlines().count("  ...") == 1
        assert text.endswith("\n  ...\n")

    def test_bad_outcome_is_refused(self) -> None:
        """Assert a verdict whose outcome is not an outcome cannot be written."""
        with pytest.raises(OutcomeError, match="'bogus' is not an outcome"):
            format_tap([make_verdict(outcome="bogus")])


BLOCK_A = """\
  ---
  item: a
  type: t
  ...
"""


class TestParseTapOutcomes:
    @pytest.mark.parametrize(
        ("line", "outcome"),
        [
            ("ok 1 - x", "PASSED"),
            ("not ok 1 - x", "FAILED"),
            ("ok 1 - x # SKIP no network", "INFO"),
            ("not ok 1 - x # SKIP", "INFO"),
            ("not ok 1 - x # TODO later", "INFO"),
            ("ok 1 - x # TODO", "PASSED"),
        ],
    )
    def test_outcome_from_status_when_block_has_none(self, line: str, outcome: str) -> None:
        """Assert a block without outcome takes it from ok/not ok, SKIP and TODO."""
        parsed = parse_tap(f"TAP version 13\n1..1\n{line}\n{BLOCK_A}")
        assert parsed == Parsed(verdicts=[{"item": "a", "type": "t", "outcome": outcome}])

    def test_block_outcome_wins_over_status(self) -> None:
        """Assert the block's outcome is kept even when the test line says otherwise."""
        text = tap(
            """
            TAP version 13
            1..1
            ok 1 - x
              ---
              item: a
              type: t
              outcome: needs_inspection
              ...
            """
        )
        assert parse_tap(text).verdicts == [
            {"item": "a", "type": "t", "outcome": "NEEDS_INSPECTION"}
        ]

    @pytest.mark.parametrize("line", ["ok 1 - x", "not ok 1 - x"])
    def test_line_without_block_needs_item_and_type(self, line: str) -> None:
        """Assert a test line without a block gives problems, not a verdict without item."""
        parsed = parse_tap(f"TAP version 13\n1..1\n{line}\n")
        assert parsed == Parsed(
            problems=[
                Problem("test 1", "'item' is required"),
                Problem("test 1", "'type' is required"),
            ]
        )

    def test_empty_text(self) -> None:
        """Assert an empty text is no verdicts and no problems."""
        assert parse_tap("") == Parsed()

    def test_diagnostics_are_ignored(self) -> None:
        """Assert '# ...' diagnostic lines are neither verdicts nor problems."""
        text = f"TAP version 13\n1..1\n# starting\nok 1 - x\n{BLOCK_A}# done\n"
        assert parse_tap(text) == Parsed(verdicts=[{"item": "a", "type": "t", "outcome": "PASSED"}])


class TestParseTapProblems:
    def test_bad_yaml_block(self) -> None:
        """Assert a block that is not YAML is a problem naming the test; later tests still read."""
        text = tap(
            """
            TAP version 13
            1..2
            not ok 1 - x
              ---
              item: [unclosed
              ...
            ok 2 - y
              ---
              item: b
              type: t
              ...
            """
        )
        parsed = parse_tap(text)
        assert parsed.verdicts == [{"item": "b", "type": "t", "outcome": "PASSED"}]
        assert [p.where for p in parsed.problems] == ["test 1"]
        assert parsed.problems[0].message.startswith("YAML block does not parse: ")
        assert "\n" not in parsed.problems[0].message

    def test_block_that_is_not_a_mapping(self) -> None:
        """Assert a block holding a list is a problem with the type found."""
        text = "TAP version 13\n1..1\nok 1\n  ---\n  - a\n  ...\n"
        assert parse_tap(text) == Parsed(
            problems=[Problem("test 1", "YAML block must be a mapping, 'list' found")]
        )

    @pytest.mark.parametrize(
        ("block", "problems"),
        [
            ("type: t", [Problem("test 1", "'item' is required")]),
            ("item: a", [Problem("test 1", "'type' is required")]),
            ("item: ''\n  type: t", [Problem("test 1", "'item' is required")]),
            ("item: 5\n  type: t", [Problem("test 1", "'item' must be a string, 'int' found")]),
            (
                "item: a\n  type: t\n  outcome: great",
                [
                    Problem(
                        "test 1",
                        "'outcome': 'great' is not an outcome; valid outcomes: "
                        "PASSED, INFO, FAILED, NEEDS_INSPECTION, ABORTED, CRASHED",
                    )
                ],
            ),
        ],
    )
    def test_bad_verdict(self, block: str, problems: list[Problem]) -> None:
        """Assert a block missing or mistyping a required key is named with the test number."""
        text = f"TAP version 13\n1..1\nok 1 - x\n  ---\n  {block}\n  ...\n"
        assert parse_tap(text) == Parsed(problems=problems)

    def test_problem_names_the_test_number(self) -> None:
        """Assert a problem in the third test names 'test 3', after two sound verdicts."""
        bad = "not ok 3\n  ---\n  type: t\n  ...\n"
        text = f"TAP version 13\n1..3\nok 1\n{BLOCK_A}ok 2\n{BLOCK_A}{bad}"
        parsed = parse_tap(text)
        assert parsed.problems == [Problem("test 3", "'item' is required")]
        assert len(parsed.verdicts) == 2
        assert str(parsed.problems[0]) == "test 3: 'item' is required"

    def test_unnumbered_test_after_a_rejected_one(self) -> None:
        """Assert unnumbered test lines are named by their position, not by verdicts so far."""
        text = "TAP version 13\nok - x\n  ---\n  type: t\n  ...\nok - y\n  ---\n  item: a\n  ...\n"
        assert parse_tap(text).problems == [
            Problem("test 1", "'item' is required"),
            Problem("test 2", "'type' is required"),
        ]

    def test_tap_version_12(self) -> None:
        """Assert 'TAP version 12' is a problem under 'TAP version' and yields no verdicts."""
        parsed = parse_tap(f"TAP version 12\n1..1\nok 1\n{BLOCK_A}")
        assert parsed.verdicts == []
        assert (
            Problem(
                "TAP version", "It is an error to explicitly specify any version lower than 13."
            )
            in parsed.problems
        )
        assert {p.where for p in parsed.problems} == {"TAP version"}

    def test_version_below_13_later_keeps_earlier_verdicts(self) -> None:
        """Assert verdicts read before a 'TAP version 12' line are kept with the problem."""
        parsed = parse_tap(f"TAP version 13\nok 1\n{BLOCK_A}TAP version 12\nok 2\n{BLOCK_A}")
        assert parsed == Parsed(
            verdicts=[{"item": "a", "type": "t", "outcome": "PASSED"}],
            problems=[
                Problem(
                    "TAP version",
                    "It is an error to explicitly specify any version lower than 13.",
                )
            ],
        )

    def test_missing_version_line(self) -> None:
        """Assert a stream without 'TAP version 13' gets that problem first."""
        parsed = parse_tap("1..1\nok 1 - x\n")
        assert parsed.problems[0] == Problem(
            "TAP version", "missing 'TAP version 13' first line (YAML blocks need it)"
        )
        assert parsed.verdicts == []

    def test_missing_version_line_with_blocks(self) -> None:
        """Assert blocks without a version line give problems, not an exception."""
        parsed = parse_tap(f"1..1\nok 1 - x\n{BLOCK_A}")
        assert parsed.problems[0] == Problem(
            "TAP version", "missing 'TAP version 13' first line (YAML blocks need it)"
        )

    @pytest.mark.parametrize(
        ("line", "problem"),
        [
            ("Bail out! disk full", Problem("Bail out!", "disk full")),
            ("Bail out!", Problem("Bail out!", "the producer gave up")),
        ],
    )
    def test_bail_out_keeps_earlier_verdicts(self, line: str, problem: Problem) -> None:
        """Assert 'Bail out!' is a problem with its reason, and earlier verdicts are kept."""
        parsed = parse_tap(f"TAP version 13\n1..2\nok 1 - x\n{BLOCK_A}{line}\n")
        assert parsed == Parsed(
            verdicts=[{"item": "a", "type": "t", "outcome": "PASSED"}], problems=[problem]
        )
        assert not parsed.ok

    def test_unknown_line_is_a_problem(self) -> None:
        """Assert a line that is not TAP is a problem quoting it, and verdicts are kept."""
        parsed = parse_tap(f"TAP version 13\n1..1\nok 1 - x\n{BLOCK_A}Segmentation fault\n")
        assert parsed == Parsed(
            verdicts=[{"item": "a", "type": "t", "outcome": "PASSED"}],
            problems=[Problem("TAP", "not a TAP line: 'Segmentation fault'")],
        )

    def test_blank_lines_are_not_problems(self) -> None:
        """Assert blank lines between and after tests are ignored."""
        parsed = parse_tap(f"TAP version 13\n1..1\n\nok 1 - x\n{BLOCK_A}\n\n")
        assert parsed == Parsed(verdicts=[{"item": "a", "type": "t", "outcome": "PASSED"}])

    def test_several_problems_are_all_reported(self) -> None:
        """Assert problems in several tests are collected, not just the first."""
        text = tap(
            """
            TAP version 13
            1..3
            ok 1
              ---
              item: a
              ...
            ok 2
              ---
              item: a
              type: t
              ...
            not ok 3
              ---
              type: t
              outcome: PASSED
              ...
            """
        )
        assert parse_tap(text) == Parsed(
            verdicts=[{"item": "a", "type": "t", "outcome": "PASSED"}],
            problems=[
                Problem("test 1", "'type' is required"),
                Problem("test 3", "'item' is required"),
            ],
        )
