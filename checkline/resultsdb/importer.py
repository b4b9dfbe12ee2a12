"""Load results exported from another ResultsDB: one v2.0 result JSON per line.

Each line is a result as ``GET /api/v2.0/results`` serializes it; its ``submit_time``,
``groups``, ``data``, note and ref_urls are kept (ids are the new database's own). The whole
file is checked first, so a bad line imports nothing; then it is stored in batches through
the same code as ``POST /results/bulk``.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .db import Database
from .parsers import BODY_TOO_DEEP, CreateResultBody, RequestError, check_body_depth
from .store import create_results

__all__ = ["ImportReport", "UnimportableLines", "import_results"]


class UnimportableLines(ValueError):
    """Lines that cannot be imported; ``problems`` are ``"line N: ..."`` strings."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "\n".join(problems[:50])
        more = f"\n... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} line(s) cannot be imported; nothing was:\n{shown}{more}")


@dataclass(frozen=True)
class ImportReport:
    results: int
    seconds: float


def _body(document: Any, outcomes: tuple[str, ...]) -> CreateResultBody:
    if not isinstance(document, dict):
        raise ValueError(f"must be a JSON object, {type(document).__name__} found")
    testcase = document.get("testcase")
    if isinstance(testcase, dict):
        testcase = {k: testcase[k] for k in ("name", "ref_url") if k in testcase}
    submit_time = document.get("submit_time")
    if isinstance(submit_time, str):
        try:
            submit_time = dt.datetime.fromisoformat(submit_time)
        except ValueError:
            pass  # reported by the model with upstream's message
    body = {
        "outcome": document.get("outcome"),
        "testcase": testcase,
        "groups": document.get("groups"),
        "note": document.get("note"),
        "ref_url": document.get("ref_url"),
        "data": document.get("data"),
        "submit_time": submit_time,
    }
    parsed = CreateResultBody.model_validate(body, context={"outcomes": outcomes})
    colons = [key for key in (parsed.data or {}) if ":" in key]
    if colons:
        raise ValueError(f"Colon not allowed in key name: {colons!r}")
    return parsed


def _bodies(path: Path, outcomes: tuple[str, ...]) -> Iterator[tuple[int, CreateResultBody | str]]:
    """(line number, body) for each line, or (line number, problem)."""
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                document = json.loads(line)
                check_body_depth(document)
                yield number, _body(document, outcomes)
            except json.JSONDecodeError as err:
                yield number, f"line {number}: not JSON: {err.msg} (column {err.colno})"
            except (RecursionError, RequestError):  # deeper than json.loads goes, or the API
                yield number, f"line {number}: {BODY_TOO_DEEP}"
            except ValidationError as err:
                details = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors()
                )
                yield number, f"line {number}: {details}"
            except ValueError as err:
                yield number, f"line {number}: {err}"


def import_results(
    path: Path, db: Database, outcomes: tuple[str, ...], *, batch: int = 1000
) -> ImportReport:
    """Check every line of ``path``, then store them all in batches of ``batch``.

    Raises:
        UnimportableLines: listing every bad line (nothing is stored then).
    """
    problems = [item for _, item in _bodies(path, outcomes) if isinstance(item, str)]
    if problems:
        raise UnimportableLines(problems)
    started = time.perf_counter()
    count = 0
    pending: list[CreateResultBody] = []
    for _, body in _bodies(path, outcomes):
        assert not isinstance(body, str)  # noqa: S101 - checked in the first pass
        pending.append(body)
        if len(pending) >= batch:
            with db.write() as conn:
                create_results(conn, pending)
            count += len(pending)
            pending = []
    if pending:
        with db.write() as conn:
            create_results(conn, pending)
        count += len(pending)
    return ImportReport(count, time.perf_counter() - started)
