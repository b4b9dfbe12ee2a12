"""Taskotron's ResultYAML (``results:`` list) to verdicts and back.

ResultYAML is what Taskotron checks returned (``check.export_YAML``); its per-result keys
are the TAP13 block's keys, except that the one-line ``note`` is called ``summary`` there.
"""

from __future__ import annotations

from typing import Any

import yaml

from checkline.contracts import Verdict

from .tap import dump_yaml
from .verdicts import Parsed, Problem, normalize_verdict

__all__ = ["format_resultyaml", "parse_resultyaml"]


def parse_resultyaml(data: str | dict[str, Any]) -> Parsed:
    """Read ResultYAML text (or the dict it loads to) into verdicts, collecting problems."""
    parsed = Parsed()
    if isinstance(data, str):
        try:
            data = yaml.safe_load(data)
        except yaml.YAMLError as err:
            detail = " ".join(str(err).split())
            parsed.problems.append(Problem("ResultYAML", f"does not parse: {detail}"))
            return parsed
    if not isinstance(data, dict) or "results" not in data:
        found = type(data).__name__
        parsed.problems.append(
            Problem("ResultYAML", f"must be a mapping with a 'results' list, {found!r} found")
        )
        return parsed
    results = data["results"]
    if results is None:
        return parsed
    if not isinstance(results, list):
        parsed.problems.append(
            Problem("results", f"must be a list, {type(results).__name__!r} found")
        )
        return parsed
    for index, raw in enumerate(results):
        verdict, problems = normalize_verdict(raw, f"results[{index}]")
        parsed.problems.extend(problems)
        if verdict is not None:
            parsed.verdicts.append(verdict)
    return parsed


def format_resultyaml(verdicts: list[Verdict]) -> str:
    """Render verdicts as ResultYAML (``summary`` written back as Taskotron's ``note``)."""
    results = []
    for verdict in verdicts:
        result = dict(verdict)
        if "summary" in result and "note" not in result:
            result["note"] = result.pop("summary")
        results.append(result)
    return dump_yaml({"results": results})
