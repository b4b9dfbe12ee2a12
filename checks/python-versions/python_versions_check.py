"""dist.python-versions: flag RPMs that require both Python 2 and Python 3.

An RPM needing both interpreters at once is almost always a packaging mistake (a Python 3
package with a leftover ``python2`` dependency or ``#!/usr/bin/python2`` script). Each RPM's
``Requires`` are read from its header with ``rpm -qp --requires`` (an argv list, no shell)
and each is classified as naming Python 2, Python 3, or neither.

One verdict for the build: FAILED when an RPM requires both, PASSED otherwise (also when
no RPM concerns Python). The note names the offending RPMs; ``python-versions.log`` in the
artifacts lists, for every RPM, the requirements that name each Python.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml

#: Requirement patterns naming a Python major version (the name part of a Requires).
PATTERNS: dict[int, re.Pattern[str]] = {
    major: re.compile(
        rf"""^(?:
            python\(abi\)\s*=\s*{major}\.\d+      # python(abi) = 3.12
          | python{major}(?:\.\d+)?(?:-\S+)?      # python2, python3.12, python3-requests
          | python{major}(?:\.\d+)?dist\(.+\)     # python3dist(requests), python3.12dist(x)
          | /usr/bin/python{major}(?:\.\d+)?      # interpreters
          | libpython{major}\.\d+\S*              # libpython3.12.so.1.0()(64bit)
        )(?:\s|$)""",
        re.VERBOSE,
    )
    for major in (2, 3)
}


def pythons(requires: list[str]) -> dict[int, list[str]]:
    """The requirements naming each Python major version (only the versions named)."""
    found: dict[int, list[str]] = {}
    for requirement in requires:
        for major, pattern in PATTERNS.items():
            if pattern.match(requirement.strip()):
                found.setdefault(major, []).append(requirement.strip())
    return found


def requires_of(rpm: str) -> list[str]:
    """The RPM's Requires, from its header.

    Raises:
        RuntimeError: rpm is missing or cannot read the file.
    """
    rpm_tool = shutil.which("rpm")
    if rpm_tool is None:
        raise RuntimeError("rpm is not installed (scripts/ensure-rpm-tools.sh)")
    done = subprocess.run(  # noqa: S603 - argv list, no shell; the path is ours
        [rpm_tool, "-qp", "--requires", "--", rpm],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"rpm -qp --requires {Path(rpm).name} failed: {done.stderr.strip()}")
    return done.stdout.splitlines()


def verdict(koji_build: str, both: list[str]) -> dict[str, object]:
    if both:
        note = f"{len(both)} RPM(s) require both Python 2 and Python 3: {', '.join(both)}"
        outcome = "FAILED"
    else:
        note, outcome = "no RPM requires both Python 2 and Python 3", "PASSED"
    return {
        "item": koji_build,
        "type": "koji_build",
        "checkname": "python-versions",
        "outcome": outcome,
        "note": note,
    }


def run(koji_build: str, rpms: list[str], artifactsdir: str) -> str:
    lines: list[str] = [f"python-versions for {koji_build}"]
    both: list[str] = []
    for rpm in sorted(rpms):
        name = Path(rpm).name
        if name.endswith(".src.rpm"):
            continue  # a source RPM's Requires are build requirements
        found = pythons(requires_of(rpm))
        if len(found) == 2:
            both.append(name)
        lines.append(f"{name}: needs no Python" if not found else f"{name}:")
        for major, requirements in sorted(found.items()):
            lines.append(f"  Python {major}: {', '.join(requirements)}")
    report = Path(artifactsdir) / "python-versions.log"
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = verdict(koji_build, both)
    result["artifact"] = str(report)
    result["details"] = {"output": "\n".join(lines[1:])}
    return yaml.safe_dump({"results": [result]}, sort_keys=False)
