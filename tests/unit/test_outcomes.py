"""Outcome: parsing from a spec, the severity order, worst() and is_ok."""

from __future__ import annotations

import pytest

from checkline.outcomes import Outcome, OutcomeError

VALID = "PASSED, INFO, FAILED, NEEDS_INSPECTION, ABORTED, CRASHED"


class TestFromSpec:
    @pytest.mark.parametrize(
        ("spec", "expected"),
        [
            ("PASSED", Outcome.PASSED),
            ("passed", Outcome.PASSED),
            ("Info", Outcome.INFO),
            ("failed", Outcome.FAILED),
            ("needs_inspection", Outcome.NEEDS_INSPECTION),
            ("ABORTED", Outcome.ABORTED),
            ("crashed", Outcome.CRASHED),
            ("  failed\n", Outcome.FAILED),
        ],
    )
    def test_accepts_any_case_and_surrounding_space(self, spec: str, expected: Outcome) -> None:
        """Assert an outcome name parses case-insensitively, ignoring surrounding whitespace."""
        assert Outcome.from_spec(spec) is expected

    @pytest.mark.parametrize(
        ("spec", "shown"),
        [
            ("nope", "'nope'"),
            ("", "''"),
            ("PASS", "'PASS'"),
            ("needs inspection", "'needs inspection'"),
            (5, "5"),
            (None, "None"),
            (["PASSED"], "['PASSED']"),
        ],
    )
    def test_rejects_non_outcomes_with_exact_message(self, spec: object, shown: str) -> None:
        """Assert a non-outcome raises OutcomeError naming the value and every valid outcome."""
        with pytest.raises(OutcomeError) as raised:
            Outcome.from_spec(spec)
        assert str(raised.value) == f"{shown} is not an outcome; valid outcomes: {VALID}"

    def test_error_is_a_value_error(self) -> None:
        """Assert OutcomeError can be caught as ValueError."""
        with pytest.raises(ValueError, match="is not an outcome"):
            Outcome.from_spec("bogus")

    def test_outcome_is_its_string(self) -> None:
        """Assert an Outcome compares equal to, and formats as, its upper-case name."""
        assert Outcome.NEEDS_INSPECTION == "NEEDS_INSPECTION"
        assert f"{Outcome.FAILED}" == "FAILED"


class TestSeverity:
    ORDER = (
        Outcome.PASSED,
        Outcome.INFO,
        Outcome.FAILED,
        Outcome.NEEDS_INSPECTION,
        Outcome.ABORTED,
        Outcome.CRASHED,
    )

    def test_order_is_taskotrons(self) -> None:
        """Assert PASSED < INFO < FAILED < NEEDS_INSPECTION < ABORTED < CRASHED."""
        assert sorted(Outcome, key=lambda o: o.severity) == list(self.ORDER)
        severities = [o.severity for o in self.ORDER]
        assert severities == sorted(set(severities))

    @pytest.mark.parametrize(
        ("outcomes", "expected"),
        [
            ([], None),
            ([Outcome.PASSED], Outcome.PASSED),
            ([Outcome.PASSED, Outcome.INFO], Outcome.INFO),
            ([Outcome.INFO, Outcome.FAILED, Outcome.PASSED], Outcome.FAILED),
            ([Outcome.NEEDS_INSPECTION, Outcome.FAILED], Outcome.NEEDS_INSPECTION),
            ([Outcome.ABORTED, Outcome.NEEDS_INSPECTION], Outcome.ABORTED),
            ([Outcome.CRASHED, Outcome.ABORTED, Outcome.PASSED], Outcome.CRASHED),
            ([Outcome.FAILED, Outcome.FAILED], Outcome.FAILED),
        ],
    )
    def test_worst(self, outcomes: list[Outcome], expected: Outcome | None) -> None:
        """Assert worst() picks the most severe outcome, and None for no outcomes."""
        assert Outcome.worst(outcomes) is expected

    def test_worst_takes_any_iterable(self) -> None:
        """Assert worst() consumes a generator, not just a list."""
        assert Outcome.worst(o for o in (Outcome.INFO, Outcome.ABORTED)) is Outcome.ABORTED

    @pytest.mark.parametrize(
        ("outcome", "ok"),
        [
            (Outcome.PASSED, True),
            (Outcome.INFO, True),
            (Outcome.FAILED, False),
            (Outcome.NEEDS_INSPECTION, False),
            (Outcome.ABORTED, False),
            (Outcome.CRASHED, False),
        ],
    )
    def test_is_ok(self, outcome: Outcome, ok: bool) -> None:
        """Assert only PASSED and INFO are ok (TAP ``ok``, exit code 0)."""
        assert outcome.is_ok is ok
