"""Reporting: a 10,000-result TAP file into a local ResultsDB, against resultsdb-api.

Target (issue: reporting): `checkline report` of 10,000 results under 5 s end to end, and at
least 10x faster than posting the same results one POST per result through `resultsdb-api`
(the client Taskotron's reporting used), measured side by side in this run.

Each contender reports into a fresh SQLite database behind the same server (`checkline
resultsdb serve`, gunicorn, 2 workers, on 127.0.0.1):

* `checkline report` (the CLI, wall time including Python's start), parsing the TAP file and
  posting it through the bulk endpoint with its idempotency check;
* the baseline: the same verdicts, parsed the same way, then `ResultsDBapi.create_result` once
  per result (the job's group passed with each, as Taskotron did).

    python bench/reporting_bench.py [--results 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "support"))

from rdb_server import start_server, stop_server  # noqa: E402

from checkline.reporting.parse import parse_results  # noqa: E402
from checkline.reporting.tap import format_tap  # noqa: E402

TARGET_S = 5.0
TARGET_RATIO = 10.0


def make_tap(path: Path, count: int) -> None:
    outcomes = ["PASSED"] * 14 + ["FAILED"] * 3 + ["INFO"] * 2 + ["NEEDS_INSPECTION"]
    verdicts = [
        {
            "item": f"pkg{i % 5000}-1.{i % 7}-1.fc41",
            "type": "koji_build",
            "checkname": f"check{i % 20}",
            "outcome": outcomes[i % len(outcomes)],
            "summary": f"{i % 4} errors, {i % 9} warnings",
            "arch": ("x86_64", "aarch64", "noarch")[i % 3],
        }
        for i in range(count)
    ]
    path.write_text(format_tap(verdicts))


def fresh_server(folder: Path, name: str) -> tuple[subprocess.Popen[bytes], str]:
    proc, server = start_server(f"sqlite:///{folder / name}.sqlite", folder / f"{name}.log")
    return proc, server.root


def time_checkline(tap: Path, root: str, uuid: str) -> float:
    argv = [str(Path(sys.executable).parent / "checkline"), "report", str(tap)]
    argv += ["--resultsdb", root, "--uuid", uuid, "--testcase", "dist.bench", "--attempts", "1"]
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def time_resultsdb_api(tap: Path, root: str, uuid: str) -> float:
    from resultsdb_api import ResultsDBapi

    started = time.perf_counter()
    verdicts = parse_results(tap.read_text()).verdicts
    api = ResultsDBapi(f"{root}/api/v2.0")
    group = {"uuid": uuid, "description": "dist.bench"}
    for verdict in verdicts:
        data = {k: v for k, v in verdict.items() if k not in ("outcome", "checkname", "summary")}
        api.create_result(
            verdict["outcome"], f"dist.{verdict['checkname']}", groups=[group],
            note=verdict.get("summary", ""), **data,
        )  # fmt: skip
    return time.perf_counter() - started


def count(root: str, uuid: str) -> int:
    import requests

    return int(requests.get(f"{root}/api/v2.0/groups/{uuid}", timeout=30).json()["results_count"])


def check_count(root: str, uuid: str, expected: int) -> None:
    """A timing only counts if every result landed, once."""
    found = count(root, uuid)
    if found != expected:
        raise SystemExit(f"{uuid}: {found} results stored, {expected} expected")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of checkline report")
    parser.add_argument(
        "--baseline-repeat", type=int, default=1, help="runs of the resultsdb-api baseline"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        tap = folder / "results.tap"
        make_tap(tap, args.results)
        ours, theirs = [], []
        for n in range(max(args.repeat, args.baseline_repeat)):
            if n < args.repeat:
                proc, root = fresh_server(folder, f"ours{n}")
                try:
                    ours.append(time_checkline(tap, root, f"ours-{n}"))
                    check_count(root, f"ours-{n}", args.results)
                finally:
                    stop_server(proc)
            if n < args.baseline_repeat:
                proc, root = fresh_server(folder, f"theirs{n}")
                try:
                    theirs.append(time_resultsdb_api(tap, root, f"theirs-{n}"))
                    check_count(root, f"theirs-{n}", args.results)
                finally:
                    stop_server(proc)
    ours_s, theirs_s = statistics.median(ours), statistics.median(theirs)
    ratio = theirs_s / ours_s
    print(f"{args.results} results, SQLite, gunicorn 2 workers, 127.0.0.1")
    print(
        f"checkline report (CLI, end to end)  median of {len(ours)}: {ours_s:7.2f} s  "
        f"{args.results / ours_s:8.0f} results/s  (target < {TARGET_S:.0f} s: "
        f"{'met' if ours_s < TARGET_S else 'MISSED'})"
    )
    print(
        f"resultsdb-api, one POST per result  median of {len(theirs)}: {theirs_s:7.2f} s  "
        f"{args.results / theirs_s:8.0f} results/s"
    )
    print(
        f"ratio resultsdb-api / checkline     {ratio:7.1f}x  (target >= {TARGET_RATIO:.0f}x: "
        f"{'met' if ratio >= TARGET_RATIO else 'MISSED'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
