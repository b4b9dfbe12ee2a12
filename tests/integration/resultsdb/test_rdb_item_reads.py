"""Reads that name an item (or, for /results/latest, one value of a broad key such as
``type``) come from those data rows (``queries.Candidates``): their answers must be exactly
those of the filters' definition, on SQLite and PostgreSQL.

A seeded data set with the awkward cases (equal submit times, an item listed twice in one
result, a result under two items, results without a type, results in groups) is posted in
bulk; each query's answer is compared with a plain-Python reading of the same data.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import random
from collections.abc import Callable
from typing import Any

import pytest

ITEMS = ["pkg-a-1.fc41", "pkg-b-2.fc41", "pkg-c-3.fc41"]
TESTCASES = ["dist.rpmlint", "dist.abicheck", "fedora-ci.koji-build.tier0", "dist.depcheck"]
OUTCOMES = ["PASSED", "FAILED", "INFO", "NEEDS_INSPECTION"]
START = dt.datetime(2026, 11, 1)

Result = dict[str, Any]
Check = Callable[[Result], bool]


def _data_set(rng: random.Random) -> list[dict[str, Any]]:
    bodies = []
    for index in range(150):
        items = [rng.choice(ITEMS)]
        if index % 17 == 0:
            items.append(items[0])  # the same item twice in one result's data
        elif index % 13 == 0:
            items.append(rng.choice(ITEMS))  # a result under two items
        data: dict[str, Any] = {"item": items, "arch": rng.choice(["x86_64", "aarch64"])}
        if index % 5:
            data["type"] = "koji_build" if index % 7 else "bodhi_update"
        # Few distinct times: many results share one (then the larger id is the newer).
        when = START + dt.timedelta(minutes=rng.randrange(40))
        body = {
            "outcome": rng.choice(OUTCOMES),
            "testcase": {"name": rng.choice(TESTCASES)},
            "data": data,
            "submit_time": when.strftime("%Y-%m-%dT%H:%M:%S.%f"),
        }
        if index % 3 == 0:
            body["groups"] = [f"job-{index % 4}"]
        bodies.append(body)
    return bodies


@pytest.fixture
def stored(rdb: Any) -> list[Result]:
    """The data set, posted; each result as the server answered it."""
    response = rdb.post("/results/bulk", json={"results": _data_set(random.Random(1204))})  # noqa: S311
    assert response.status_code == 201, response.text
    return list(response.json()["data"])


def _newest_first(results: list[Result]) -> list[Result]:
    return sorted(results, key=lambda r: (r["submit_time"], r["id"]), reverse=True)


def _has(key: str, *values: str) -> Check:
    return lambda r: any(v in values for v in r["data"].get(key, []))


def _like(pattern: str) -> Check:
    return lambda r: fnmatch.fnmatchcase(r["testcase"]["name"], pattern)


def _since(when: dt.datetime) -> Check:
    return lambda r: dt.datetime.fromisoformat(r["submit_time"]) >= when


class _Outcome:
    """``outcome=``: a filter of pages that /results/latest ignores, as upstream does."""

    def __init__(self, *outcomes: str) -> None:
        self.outcomes = outcomes

    def __call__(self, one: Result) -> bool:
        return one["outcome"] in self.outcomes


def _in_group(uuid: str) -> Check:
    return lambda r: uuid in r["groups"]


CASES: list[tuple[dict[str, str], list[Check]]] = [
    ({"item": ITEMS[0]}, [_has("item", ITEMS[0])]),
    ({"item": f"{ITEMS[0]},{ITEMS[1]}"}, [_has("item", ITEMS[0], ITEMS[1])]),
    (
        {"item": ITEMS[1], "type": "koji_build"},
        [_has("item", ITEMS[1]), _has("type", "koji_build")],
    ),
    ({"item": ITEMS[2], "testcases:like": "dist.*"}, [_has("item", ITEMS[2]), _like("dist.*")]),
    (
        {"item": ITEMS[0], "outcome": "FAILED,INFO"},
        [_has("item", ITEMS[0]), _Outcome("FAILED", "INFO")],
    ),
    (
        {"item": ITEMS[1], "since": (START + dt.timedelta(minutes=20)).isoformat()},
        [_has("item", ITEMS[1]), _since(START + dt.timedelta(minutes=20))],
    ),
    ({"item": ITEMS[2], "groups": "job-0"}, [_has("item", ITEMS[2]), _in_group("job-0")]),
    (
        {"type": "koji_build", "arch": "x86_64", "item": ITEMS[0]},
        [_has("item", ITEMS[0]), _has("type", "koji_build"), _has("arch", "x86_64")],
    ),
    # No item: /results/latest then reads a broad value's entries by testcase and time.
    ({"type": "bodhi_update"}, [_has("type", "bodhi_update")]),
    (
        {"type": "koji_build", "arch": "aarch64", "testcases:like": "dist.*"},
        [_has("type", "koji_build"), _has("arch", "aarch64"), _like("dist.*")],
    ),
]


def _matching(stored: list[Result], checks: list[Check]) -> list[Result]:
    return [r for r in stored if all(check(r) for check in checks)]


@pytest.mark.parametrize(("query", "checks"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_item_pages_are_the_filters_answer(
    rdb: Any, stored: list[Result], query: dict[str, str], checks: list[Check]
) -> None:
    """Assert every page of an item's results (newest first, and oldest first) is exactly the
    matching results in order: none twice, none missing, equal times ordered by id."""
    expected = _newest_first(_matching(stored, checks))
    assert expected, "the data set must give each case some results"
    for sort, wanted in (("desc:submit_time", expected), ("asc:submit_time", expected[::-1])):
        pages: list[int] = []
        for page in range(len(wanted) // 7 + 2):
            response = rdb.get("/results", {**query, "limit": 7, "page": page, "_sort": sort})
            assert response.status_code == 200, response.text
            pages.extend(r["id"] for r in response.json()["data"])
        assert pages == [r["id"] for r in wanted]
    first = rdb.get("/results", {**query, "limit": 100}).json()["data"]
    assert first == expected[:100]  # whole documents: data, groups, testcase


@pytest.mark.parametrize(("query", "checks"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_latest_of_an_item_is_the_newest_matching_per_testcase(
    rdb: Any, stored: list[Result], query: dict[str, str], checks: list[Check]
) -> None:
    """Assert /results/latest for an item gives, per testcase, the newest result that passes
    every filter (not the newest of the item when that one fails another filter)."""
    checks = [check for check in checks if not isinstance(check, _Outcome)]
    newest: dict[str, Result] = {}
    for one in _newest_first(_matching(stored, checks)):
        newest.setdefault(one["testcase"]["name"], one)
    response = rdb.get("/results/latest", query)
    assert response.status_code == 200, response.text
    assert response.json()["data"] == _newest_first(list(newest.values()))


def test_latest_skips_an_items_newer_result_of_another_type(rdb: Any) -> None:
    """Assert the newest koji_build result is chosen when a newer one of the item is not."""

    def post(when: str, item_type: str) -> int:
        body = {
            "outcome": "PASSED",
            "testcase": "dist.rpmlint",
            "submit_time": when,
            "data": {"item": "pkg-1.fc41", "type": item_type},
        }
        response = rdb.post("/results", json=body)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    wanted = post("2026-11-01T10:00:00.000000", "koji_build")
    post("2026-11-01T11:00:00.000000", "bodhi_update")
    latest = rdb.get("/results/latest", {"item": "pkg-1.fc41", "type": "koji_build"}).json()
    assert [r["id"] for r in latest["data"]] == [wanted]
