"""dist.rpmlint: run rpmlint on a Koji build's RPMs; one verdict for the build.

FAILED when rpmlint reports errors, PASSED otherwise (warnings are only counted), INFO when
there was nothing to lint. The note says "N errors, M warnings"; rpmlint's whole output is
``rpmlint.log`` in the artifacts directory, the result's artifact. rpmlint runs as an argv
list (never a shell) with ``rpmlint.toml`` next to this file added to its configuration.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml

CONFIG = Path(__file__).resolve().parent / "rpmlint.toml"
#: rpmlint 2: "2 packages and 0 specfiles checked; 6 errors, 5 warnings, 6 badness; ..."
#: rpmlint 1: "2 packages and 0 specfiles checked; 6 errors, 5 warnings."
SUMMARY = re.compile(r"checked; (\d+) errors?, (\d+) warnings?")
#: rpmlint's exit statuses for "ran, and found errors / badness over the threshold".
FOUND_PROBLEMS = {0, 1, 64, 66}
DETAIL_LINES = 50


def count(output: str) -> tuple[int, int]:
    """Errors and warnings rpmlint reported, from its summary line (else its E:/W: lines)."""
    found = SUMMARY.search(output)
    if found:
        return int(found.group(1)), int(found.group(2))
    lines = output.splitlines()
    return (
        sum(1 for line in lines if ": E: " in line),
        sum(1 for line in lines if ": W: " in line),
    )


def verdict(koji_build: str, errors: int, warnings: int, linted: int) -> dict[str, object]:
    """The build's verdict from rpmlint's counts."""
    if linted == 0:
        outcome, note = "INFO", "no RPMs to lint for this arch"
    else:
        outcome = "FAILED" if errors else "PASSED"
        note = f"{errors} errors, {warnings} warnings"
    return {
        "item": koji_build,
        "type": "koji_build",
        "checkname": "rpmlint",
        "outcome": outcome,
        "note": note,
    }


def lint(rpms: list[str]) -> str:
    """rpmlint's output for ``rpms``.

    Raises:
        RuntimeError: rpmlint is missing, or it failed without linting.
    """
    rpmlint = shutil.which("rpmlint")
    if rpmlint is None:
        raise RuntimeError("rpmlint is not installed (scripts/ensure-rpm-tools.sh)")
    done = subprocess.run(  # noqa: S603 - argv list, no shell; the paths are ours
        [rpmlint, "--config", str(CONFIG), *rpms],
        capture_output=True,
        text=True,
        check=False,
    )
    output = done.stdout + done.stderr
    if done.returncode not in FOUND_PROBLEMS or not SUMMARY.search(output):
        raise RuntimeError(f"rpmlint failed (exit status {done.returncode}):\n{output}")
    return output


def run(koji_build: str, rpms: list[str], artifactsdir: str) -> str:
    output = lint(sorted(rpms)) if rpms else ""
    errors, warnings = count(output)
    result = verdict(koji_build, errors, warnings, len(rpms))
    report = Path(artifactsdir) / "rpmlint.log"
    report.write_text(output or "no RPMs to lint\n", encoding="utf-8")
    problems = [line for line in output.splitlines() if ": E: " in line or ": W: " in line]
    result["artifact"] = str(report)
    result["details"] = {"output": "\n".join(problems[:DETAIL_LINES])}
    return yaml.safe_dump({"results": [result]}, sort_keys=False)
