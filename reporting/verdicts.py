"""The verdict dict (``checkline.contracts.Verdict``): checking one, and the problems found
while reading many.

Pure functions over plain dicts; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from checkline.contracts import Verdict
from checkline.outcomes import Outcome, OutcomeError

__all__ = ["Parsed", "Problem", "normalize_verdict"]

#: Keys Taskotron reserved in ResultYAML; everything else is free data kept as is.
REQUIRED_KEYS = ("item", "type", "outcome")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a results text: where (``results[2]``, ``line 14``) and what."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class Parsed:
    """What reading a results text gave: the verdicts that are sound, and every problem."""

    verdicts: list[Verdict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def normalize_verdict(raw: object, where: str) -> tuple[Verdict | None, list[Problem]]:
    """Check one verdict and return it in canonical form.

    The canonical form keeps every key, upper-cases ``outcome``, and renames ResultYAML's
    ``note`` to ``summary`` (the TAP13 name) unless both are given.

    Returns:
        ``(verdict, [])`` when sound, else ``(None, problems)`` naming each bad key.
    """
    if not isinstance(raw, dict):
        return None, [Problem(where, f"must be a mapping, {type(raw).__name__!r} found")]
    problems = []
    for key in REQUIRED_KEYS:
        value = raw.get(key)
        if value is None or value == "":
            problems.append(Problem(where, f"'{key}' is required"))
        elif not isinstance(value, str):
            problems.append(
                Problem(where, f"'{key}' must be a string, {type(value).__name__!r} found")
            )
    verdict = dict(raw)
    if isinstance(raw.get("outcome"), str) and raw["outcome"]:
        try:
            verdict["outcome"] = Outcome.from_spec(raw["outcome"]).value
        except OutcomeError as err:
            problems.append(Problem(where, f"'outcome': {err}"))
    if "note" in verdict and "summary" not in verdict:
        verdict["summary"] = verdict.pop("note")
    if problems:
        return None, problems
    return cast(Verdict, verdict), []  # its required keys are checked above
