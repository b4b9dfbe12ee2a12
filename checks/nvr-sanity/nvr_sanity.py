"""nvr-sanity: is a Koji build's NVR well formed? Returns Taskotron ResultYAML.

Rules (from Fedora's packaging guidelines on naming and versioning):

* the NVR splits into name, version and release at its last two dashes;
* the name uses only letters, digits and ``-._+``;
* the version uses only letters, digits and ``._+~^`` (no dash);
* the release uses only letters, digits and ``._+~^`` and ends in a dist tag such as
  ``.fc42``, ``.el9`` or ``.eln143`` (possibly followed by a minor bump like ``.1``).

A broken split or a bad character is FAILED; a missing dist tag is NEEDS_INSPECTION (some
packages legitimately lack one); otherwise PASSED. A report listing each rule and its result
is written to the artifacts directory and linked from the result.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

NAME = re.compile(r"[A-Za-z0-9._+-]+")
VERSION = re.compile(r"[A-Za-z0-9._+~^]+")
RELEASE = re.compile(r"[A-Za-z0-9._+~^]+")
DIST_TAG = re.compile(r"\.(fc|el|eln|mga|module_)\w*\d+(\.\d+)*$")


def inspect(nvr: str) -> tuple[str, list[str]]:
    """The outcome for ``nvr`` and one line per rule, saying how it fared."""
    parts = nvr.rsplit("-", 2)
    if len(parts) != 3 or not all(parts):
        return "FAILED", [f"FAIL split: {nvr!r} is not name-version-release"]
    name, version, release = parts
    lines = []
    failed = False
    for label, value, pattern in (
        ("name", name, NAME),
        ("version", version, VERSION),
        ("release", release, RELEASE),
    ):
        ok = bool(pattern.fullmatch(value))
        failed |= not ok
        lines.append(f"{'PASS' if ok else 'FAIL'} {label}: {value!r}")
    has_tag = bool(DIST_TAG.search(release))
    lines.append(f"{'PASS' if has_tag else 'WARN'} dist tag in release {release!r}")
    if failed:
        return "FAILED", lines
    return ("PASSED" if has_tag else "NEEDS_INSPECTION"), lines


def run(koji_build: str, artifactsdir: str) -> str:
    outcome, lines = inspect(koji_build)
    report = Path(artifactsdir) / "nvr-sanity.log"
    report.write_text("\n".join([f"nvr-sanity for {koji_build}", *lines]) + "\n")
    problems = [line for line in lines if not line.startswith("PASS")]
    result = {
        "item": koji_build,
        "type": "koji_build",
        "checkname": "nvr-sanity",
        "outcome": outcome,
        "note": f"{len(problems)} problem(s)" if problems else "well formed",
        "artifact": str(report),
        "details": {"output": "\n".join(lines)},
    }
    return yaml.safe_dump({"results": [result]}, sort_keys=False)
