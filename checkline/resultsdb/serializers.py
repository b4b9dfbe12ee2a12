"""Rows to the v2.0 JSON shapes, with absolute URLs built from the request's root.

Only documents are built here; the statements whose rows these read are in ``queries``
(``with_details``: a page of results with their data, groups and testcases as ONE statement,
read by ``documents``; ``groups_with_counts``: groups with their results counted in the same
statement). Upstream loads them per row (61 statements for 20 results, 21 for 20 groups).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from operator import itemgetter
from typing import Any
from urllib.parse import quote, urlencode

__all__ = [
    "Urls",
    "documents",
    "result_document",
    "serialize_group",
    "serialize_testcase",
]

#: A database row as a mapping (SQLAlchemy's RowMapping, or a plain dict).
Row = Mapping[Any, Any]

# What werkzeug's URL converters leave unquoted in a path.
_PATH_SAFE = "!$&'()*+,/:;=@"


@dataclass(frozen=True)
class Urls:
    """Absolute URLs under ``<root>api/v2.0``; ``root`` is the request's URL root."""

    root: str

    @cached_property
    def api(self) -> str:
        return f"{self.root.rstrip('/')}/api/v2.0"

    def result(self, result_id: int) -> str:
        return f"{self.api}/results/{result_id}"

    def testcase(self, name: str) -> str:
        return f"{self.api}/testcases/{quote(name, safe=_PATH_SAFE)}"

    def group(self, uuid: str) -> str:
        return f"{self.api}/groups/{quote(uuid, safe=_PATH_SAFE)}"

    def group_results(self, uuid: str) -> str:
        return f"{self.api}/results?{urlencode({'groups': uuid})}"


def serialize_testcase(row: Row, urls: Urls) -> dict[str, Any]:
    return {"name": row["name"], "ref_url": row["ref_url"], "href": urls.testcase(row["name"])}


def serialize_group(row: Row, results_count: int, urls: Urls) -> dict[str, Any]:
    return {
        "uuid": row["uuid"],
        "description": row["description"],
        "ref_url": row["ref_url"],
        "results": urls.group_results(row["uuid"]),
        "results_count": results_count,
        "href": urls.group(row["uuid"]),
    }


def result_document(
    row: Row,
    testcase_row: Row,
    groups: Iterable[str],
    data: Mapping[str, list[str]],
    urls: Urls,
) -> dict[str, Any]:
    """One result in the v2.0 shape (also the body of POST /results)."""
    return {
        "id": row["id"],
        "groups": list(groups),
        "testcase": serialize_testcase(testcase_row, urls),
        "submit_time": row["submit_time"].isoformat(),
        "outcome": row["outcome"],
        "note": row["note"],
        "ref_url": row["ref_url"],
        "data": dict(data),
        "href": urls.result(row["id"]),
    }


def documents(
    rows: Iterable[Sequence[Any]], urls: Urls, *, order: str | None = "desc"
) -> list[dict[str, Any]]:
    """The v2.0 documents from the rows of a ``queries.with_details`` statement.

    Args:
        order: how the results were ordered, to restore it (a UNION has no order):
            ``"desc"`` or ``"asc"`` by (submit_time, id), or None (as the database gives).
    """
    # Straight from the row tuples to the documents: no intermediate dict per row, each
    # testcase's document (and its quoted href) made once per page.
    found: list[Sequence[Any]] = []
    values: dict[int, dict[str, list[str]]] = defaultdict(dict)
    uuids: dict[int, list[str]] = defaultdict(list)
    testcases: dict[str, dict[str, Any]] = {}
    for row in sorted(rows, key=_KIND_AND_SEQ):
        kind = row[0]
        if kind == 0:
            found.append(row)
        elif kind == 1:
            values[row[1]].setdefault(row[2], []).append(row[3])
        elif kind == 2:
            uuids[row[1]].append(str(row[2]))
        else:
            name = row[2]
            testcases[name] = {"name": name, "ref_url": row[3], "href": urls.testcase(name)}
    if order is not None:
        found.sort(key=_time_and_id, reverse=order == "desc")
    results = f"{urls.api}/results/"
    return [
        {
            "id": rid,
            "groups": uuids[rid],
            "testcase": dict(testcases[name]),
            "submit_time": submit_time.isoformat(),
            "outcome": outcome,
            "note": note,
            "ref_url": ref_url,
            "data": values[rid],
            "href": f"{results}{rid}",
        }
        for _kind, rid, name, outcome, note, ref_url, submit_time, _seq in found
    ]


#: The order the rows of ``queries.with_details`` are read in: results, data, groups,
#: testcases, each by id (so a result's data and groups keep the order they were stored in).
_KIND_AND_SEQ = itemgetter(0, 7)


def _time_and_id(row: Sequence[Any]) -> tuple[Any, Any]:
    """A result row's (submit_time, id): the order of pages."""
    return row[6], row[1]
