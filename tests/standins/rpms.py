"""Real RPMs for the stand-ins: built by ``rpmbuild`` from ``specs/``, laid out as Koji does.

``build_koji_tree(root)`` builds every spec (once; the tree is reused while the specs and
``rpmbuild`` are unchanged) into ``root``::

    root/packages/<name>/<version>/<release>/<arch>/<name>-<version>-<release>.<arch>.rpm
    root/packages/<name>/<version>/<release>/data/logs/<arch>/build.log
    root/tags.json        {"f40": [nvr, ...], "f40-updates": [nvr, ...]}

A spec names the targets it is built for in a ``# standin-targets: x86_64 i686`` comment
(``noarch`` for a noarch package). The source RPM comes from the first target.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["SPECS", "TAGS", "build_koji_tree", "rpmbuild_available"]

SPECS = Path(__file__).resolve().parent / "specs"

#: Tags of the stand-in hub: every build in f40; one in f40-updates (download_latest_stable).
TAGS = {
    "f40": [
        "checkline-multi-1.0-1.fc40",
        "checkline-clean-1.0-1.fc40",
        "checkline-broken-2.1-3.fc40",
        "python-checkline-dual-0.3-1.fc40",
        "python-checkline-modern-1.2-1.fc40",
    ],
    "f40-updates": ["checkline-clean-1.0-1.fc40"],
}

_TARGETS = re.compile(r"^#\s*standin-targets:\s*(.+)$", re.MULTILINE)
_DONE = ".standin-complete"


def rpmbuild_available() -> bool:
    return shutil.which("rpmbuild") is not None and shutil.which("rpm") is not None


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(SPECS.iterdir()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    version = subprocess.run(
        ["rpmbuild", "--version"], capture_output=True, text=True, check=True
    ).stdout
    digest.update(version.encode())
    digest.update(json.dumps(TAGS, sort_keys=True).encode())
    return digest.hexdigest()


def _targets(spec: Path) -> list[str]:
    found = _TARGETS.search(spec.read_text(encoding="utf-8"))
    if not found:
        raise ValueError(f"{spec.name}: no '# standin-targets:' comment")
    return found.group(1).split()


def _query(rpm: Path, fmt: str) -> str:
    return subprocess.run(
        ["rpm", "-qp", "--qf", fmt, str(rpm)], capture_output=True, text=True, check=True
    ).stdout


def _build_spec(spec: Path, topdir: Path, root: Path) -> None:
    """Build ``spec`` for its targets and copy the results into Koji's layout under ``root``."""
    for sub in ("SOURCES", "RPMS", "SRPMS", "BUILD", "BUILDROOT", "SPECS"):
        (topdir / sub).mkdir(parents=True, exist_ok=True)
    for source in SPECS.iterdir():
        if source.suffix != ".spec":
            shutil.copy2(source, topdir / "SOURCES" / source.name)
    logs: dict[str, str] = {}
    for index, target in enumerate(_targets(spec)):
        argv = ["rpmbuild", "-ba" if index == 0 else "-bb", "--nodeps"]
        argv += ["--define", f"_topdir {topdir}", "--define", "_build_id_links none"]
        if target != "noarch":
            argv += ["--target", target]
        argv.append(str(spec))
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"rpmbuild failed for {spec.name} ({target}):\n{done.stderr}")
        logs[target] = done.stdout + done.stderr
    (srpm,) = (topdir / "SRPMS").glob("*.src.rpm")
    name, version, release = _query(srpm, "%{NAME}\t%{VERSION}\t%{RELEASE}").split("\t")
    builddir = root / "packages" / name / version / release
    for rpm in [srpm, *(topdir / "RPMS").glob("*/*.rpm")]:
        arch = "src" if rpm is srpm else rpm.parent.name
        (builddir / arch).mkdir(parents=True, exist_ok=True)
        shutil.copy2(rpm, builddir / arch / rpm.name)
    for target, text in logs.items():
        logdir = builddir / "data" / "logs" / target
        logdir.mkdir(parents=True, exist_ok=True)
        (logdir / "build.log").write_text(text, encoding="utf-8")


def build_koji_tree(root: Path) -> Path:
    """Build the stand-in RPMs into ``root`` in Koji's layout (skipped when already built).

    Raises:
        RuntimeError: rpmbuild is missing or a spec does not build.
    """
    if not rpmbuild_available():
        raise RuntimeError("rpmbuild is not installed (scripts/ensure-rpm-tools.sh installs it)")
    fingerprint = _fingerprint()
    marker = root / _DONE
    if marker.is_file() and marker.read_text() == fingerprint:
        return root
    shutil.rmtree(root / "packages", ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="standin-rpmbuild-") as tmp:
        for spec in sorted(SPECS.glob("*.spec")):
            _build_spec(spec, Path(tmp) / spec.stem, root)
    (root / "tags.json").write_text(json.dumps(TAGS, indent=2) + "\n", encoding="utf-8")
    marker.write_text(fingerprint)
    return root
