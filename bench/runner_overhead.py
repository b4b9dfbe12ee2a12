"""Runner overhead: `checkline run checks/dummy/runtask.yml` against `python -c pass`.

Target (issue: foundation and the runner): the runner adds under 250 ms to a bare Python
start. Both commands are run REPEAT times, alternating, after one warm-up each; the medians
are printed with the difference and the ratio.

    python bench/runner_overhead.py [--repeat 10]
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
TARGET_MS = 250.0


def wall_time(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    checkline = str(Path(sys.executable).parent / "checkline")
    baseline_argv = [sys.executable, "-c", "pass"]
    with tempfile.TemporaryDirectory() as artifacts:
        run_argv = [
            checkline,
            "run",
            str(REPO / "checks" / "dummy" / "runtask.yml"),
            "-i",
            "xchat-0.5-1.fc20",
            "-t",
            "koji_build",
            "--artifacts",
            artifacts,
        ]
        wall_time(baseline_argv)
        wall_time(run_argv)
        baseline, runner = [], []
        for _ in range(args.repeat):
            baseline.append(wall_time(baseline_argv))
            runner.append(wall_time(run_argv))
    base_ms = statistics.median(baseline) * 1000
    run_ms = statistics.median(runner) * 1000
    added = run_ms - base_ms
    print(f"python -c pass           median of {args.repeat}: {base_ms:7.1f} ms")
    print(f"checkline run dummy      median of {args.repeat}: {run_ms:7.1f} ms")
    print(
        f"runner adds              {added:7.1f} ms (target < {TARGET_MS:.0f} ms: "
        f"{'met' if added < TARGET_MS else 'MISSED'})"
    )
    print(f"ratio run / python       {run_ms / base_ms:7.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
