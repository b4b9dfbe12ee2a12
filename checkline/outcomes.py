"""Outcomes of a verdict, with Taskotron's severity order.

PASSED < INFO < FAILED < NEEDS_INSPECTION < ABORTED < CRASHED: a set of verdicts reduces to
its worst member (``worst``). ABORTED means an infrastructure problem where a rerun may help
(a cancel); CRASHED means there is no usable result (the run could not finish).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

__all__ = ["Outcome", "OutcomeError"]


class OutcomeError(ValueError):
    """A value that is not one of the outcomes."""


class Outcome(enum.StrEnum):
    PASSED = "PASSED"
    INFO = "INFO"
    FAILED = "FAILED"
    NEEDS_INSPECTION = "NEEDS_INSPECTION"
    ABORTED = "ABORTED"
    CRASHED = "CRASHED"

    @classmethod
    def from_spec(cls, value: object) -> Outcome:
        """Parse an outcome as written in a formula or a result block (case-insensitive).

        Raises:
            OutcomeError: naming the value and the valid outcomes.
        """
        if isinstance(value, str):
            try:
                return cls(value.strip().upper())
            except ValueError:
                pass
        valid = ", ".join(o.value for o in cls)
        raise OutcomeError(f"{value!r} is not an outcome; valid outcomes: {valid}")

    @property
    def severity(self) -> int:
        return _SEVERITY[self]

    @property
    def is_ok(self) -> bool:
        """True for the outcomes that TAP writes as ``ok`` and Taskotron's exitcode as 0."""
        return self in (Outcome.PASSED, Outcome.INFO)

    @classmethod
    def worst(cls, outcomes: Iterable[Outcome]) -> Outcome | None:
        """The most severe outcome of ``outcomes``, or None when there is none."""
        return max(outcomes, key=_SEVERITY.__getitem__, default=None)


_SEVERITY = {outcome: rank for rank, outcome in enumerate(Outcome)}
