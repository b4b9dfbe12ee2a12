"""ResultsDB read shapes: rare and common values, with and without an item or a group.

The benchmark times the issue's nine reads. A change to how statements are planned or
indexed can leave those alone and make another read slow: a plan made once for any values
took 0.46-0.85 s for ``outcome=CRASHED``, ``testcases:like=nosuch*`` and ``item:like=nosuch*``
at 1,000,000 results, where planned for their values they take 1 ms, and every test passed.
This times such shapes in-process (this checkout's code, no HTTP) on a database already
loaded, so that two checkouts can be compared on the same data:

    python bench/resultsdb_bench.py --keep --backend postgresql     # prints "kept: URL"
    python bench/resultsdb_shapes.py --db URL [--repeat 9] [--json FILE]

Each shape's median ms is printed, slowest first; shapes over ``--slow`` ms (default 10) are
marked. Parameters (an item, a group, a testcase) are read from the database.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable

from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder

from checkline.resultsdb.app import create_app
from checkline.resultsdb.config import ResultsDBSettings
from checkline.resultsdb.db import Database
from checkline.resultsdb.schema import group, result_data, testcase

API = "/api/v2.0"


def _parameters(database: Database) -> dict[str, str]:
    """An item with many results, a group, a testcase and a testcase prefix from the data."""
    with database.read() as conn:
        item = conn.execute(
            select(result_data.c.value)
            .where(result_data.c.key == "item")
            .group_by(result_data.c.value)
            .order_by(func.count().desc())
            .limit(1)
        ).scalar()
        uuid = conn.execute(select(group.c.uuid).order_by(group.c.id.desc()).limit(1)).scalar()
        name = conn.execute(select(testcase.c.name).order_by(testcase.c.id).limit(1)).scalar()
    if item is None or uuid is None or name is None:
        raise SystemExit("the database holds no results with an item and a group: load one first")
    return {"item": item, "group": uuid, "testcase": name, "prefix": name.split(".")[0]}


def shapes(p: dict[str, str]) -> list[str]:
    """Paths under the API: each a filter shape with a common value and a rare (or absent)
    one, pinned by an item or a group or not."""
    item, uuid, name, prefix = p["item"], p["group"], p["testcase"], p["prefix"]
    return [
        f"/results?item={item}",
        f"/results?item={item}&outcome=FAILED",
        f"/results?item={item}&outcome=CRASHED",
        f"/results?item={item}&type=koji_build",
        "/results?outcome=FAILED",
        "/results?outcome=CRASHED",
        "/results?outcome=PASSED&until=2025-03-10",
        f"/results?testcases={name}",
        f"/results?testcases={name}&outcome=CRASHED",
        f"/results?testcases:like={prefix}.*",
        "/results?testcases:like=nosuch*",
        "/results?type=koji_build",
        "/results?type=bodhi_update",
        "/results?arch=aarch64&type=koji_build",
        f"/results?item:like={item[:4]}*",
        "/results?item:like=nosuch*",
        "/results?since=2025-05-31T12:00:00",
        "/results?_sort=asc:submit_time",
        "/results?page=50&outcome=FAILED",
        f"/groups/{uuid}/results",
        f"/groups/{uuid}/results?outcome=CRASHED",
        f"/results/latest?item={item}",
        f"/results/latest?item={item}&type=koji_build",
        f"/results/latest?item={item}&_distinct_on=arch",
        "/results/latest?type=bodhi_update",
        "/results/latest?testcases:like=nosuch*",
        f"/results/latest?testcases:like={prefix}.*",
        "/results/latest?since=2025-05-31T12:00:00",
        "/groups?description:like=nosuch*",
        "/testcases?name:like=nosuch*",
    ]


def timer(url: str) -> Callable[[str], float]:
    """A function that answers one path in-process and returns its ms (asserting a 200)."""
    app = create_app(ResultsDBSettings(db=url), start_relay=False)

    def one(path: str) -> float:
        route, _, query = path.partition("?")
        environ = EnvironBuilder(path=API + route, query_string=query).get_environ()
        status: list[str] = []
        started = time.perf_counter()
        body = b"".join(app(environ, lambda s, *_: status.append(s)))
        elapsed = (time.perf_counter() - started) * 1000
        if not status[0].startswith("200"):
            raise RuntimeError(f"GET {path}: {status[0]} {body[:300]!r}")
        return elapsed

    return one


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a loaded ResultsDB database URL")
    parser.add_argument("--repeat", type=int, default=9, help="timed runs per shape (default 9)")
    parser.add_argument("--slow", type=float, default=10.0, help="mark shapes over this (ms)")
    parser.add_argument("--json", help="write {path: median ms} here")
    args = parser.parse_args(argv)
    database = Database(args.db)
    try:
        paths = shapes(_parameters(database))
    finally:
        database.dispose()
    one = timer(args.db)
    samples: dict[str, list[float]] = {path: [] for path in paths}
    for run in range(args.repeat + 2):  # two warm-up rounds
        for path in paths:
            elapsed = one(path)
            if run >= 2:
                samples[path].append(elapsed)
    medians = {path: statistics.median(values) for path, values in samples.items()}
    for path, median in sorted(medians.items(), key=lambda pair: -pair[1]):
        mark = "  SLOW" if median > args.slow else ""
        print(f"{median:9.2f} ms  {path}{mark}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(medians, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
