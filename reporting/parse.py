"""Tell TAP13 from ResultYAML and read either into verdicts."""

from __future__ import annotations

import re
from typing import Any

from .resultyaml import parse_resultyaml
from .tap import parse_tap
from .verdicts import Parsed, Problem, normalize_verdict

__all__ = ["parse_results"]

_TAP_START = re.compile(r"^\s*(TAP version \d+|1\.\.\d+|(not )?ok\b)")


def looks_like_tap(text: str) -> bool:
    """True when the first non-blank line is a TAP version, plan or test line."""
    for line in text.splitlines():
        if line.strip():
            return bool(_TAP_START.match(line))
    return False


def parse_results(data: str | dict[str, Any] | list[Any]) -> Parsed:
    """Read results given as TAP13 text, ResultYAML text or dict, or a list of verdict dicts.

    The list form is what a Python check may return directly; it is checked like the rest.
    """
    if isinstance(data, list):
        parsed = Parsed()
        for index, raw in enumerate(data):
            verdict, problems = normalize_verdict(raw, f"results[{index}]")
            parsed.problems.extend(problems)
            if verdict is not None:
                parsed.verdicts.append(verdict)
        return parsed
    if isinstance(data, str) and looks_like_tap(data):
        return parse_tap(data)
    if isinstance(data, str | dict):
        return parse_resultyaml(data)
    return Parsed(problems=[Problem("results", f"cannot read results from {type(data).__name__}")])
