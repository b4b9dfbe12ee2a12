"""The wheel built from the tree installs one import name, ``checkline``, and works alone.

``trigger/``, ``runner/`` and ``reporting/`` stay at the repository's root and reach the wheel
as ``checkline.trigger``... through the symlinks in ``checkline/``; ``master`` and
``resultsdb`` live under ``checkline/``. Upstream ResultsDB's import name is ``resultsdb``:
the two must be able to share an environment.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("wheel")
    # A copy, links kept: setuptools builds in the source tree (build/, *.egg-info).
    source = out / "source"
    junk = shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info", ".checkline",
                                  "artifacts", "__pycache__", ".*_cache")  # fmt: skip
    shutil.copytree(REPO, source, symlinks=True, ignore=junk)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", str(source), "-w", str(out)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    [built] = out.glob("checkline-*.whl")
    yield built


def test_assert_only_checklines_own_import_name(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert {name.split("/")[0] for name in names} == {"checkline", "checkline-0.1.0.dist-info"}
    for module in (
        "trigger/ledger.py",
        "runner/cli.py",
        "reporting/tap.py",
        "master/steps.py",
        "resultsdb/app.py",
        "resultsdb/templates/layout.html",
        "resultsdb/migrations/script.py.mako",
        "trigger/migrations/script.py.mako",
        "runner/pycall.py",
        "runner/taskapi/libtaskotron/check.py",
        "runner/taskapi/checkb/exceptions.py",
        "runner/taskapi/_checkline_taskapi/check.py",
    ):
        assert f"checkline/{module}" in names, module  # fmt: skip
    entry_points = zipfile.ZipFile(wheel).read("checkline-0.1.0.dist-info/entry_points.txt")
    assert b"checkline = checkline.cli:main" in entry_points
    assert b"runtask = checkline.runner.cli:runtask_main" in entry_points


def test_assert_every_module_imports_from_the_wheel_alone(wheel: Path, tmp_path: Path) -> None:
    """Import every module of the unpacked wheel with no repository on sys.path and the
    editable install's finder off (-S: no .pth files), beside the installed dependencies."""
    zipfile.ZipFile(wheel).extractall(tmp_path)
    site = sysconfig.get_paths()["purelib"]
    script = (
        "import importlib, pkgutil, sys\n"
        f"sys.path[:0] = [{str(tmp_path)!r}, {site!r}]\n"
        "import checkline\n"
        "assert checkline.__file__.startswith(sys.path[0]), checkline.__file__\n"
        "names = [m.name for m in pkgutil.walk_packages(checkline.__path__, 'checkline.')]\n"
        "names = [n for n in names if '.migrations.' not in n]  # Alembic runs those\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        "for other in ('trigger', 'runner', 'reporting', 'resultsdb', 'master',\n"
        "              'libtaskotron', 'checkb', '_checkline_taskapi'):\n"
        "    assert importlib.util.find_spec(other) is None, other\n"
        "print(len(names))\n"
    )
    done = subprocess.run(
        [sys.executable, "-S", "-I", "-c", script],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert int(done.stdout) > 80  # 89 modules when written


def test_assert_the_check_api_runs_from_the_wheel(wheel: Path, tmp_path: Path) -> None:
    """Assert the wheel's runner/taskapi/ gives check code libtaskotron and checkb: their
    self-check passes under the system's Python 3 (else this one) with only that folder on
    PYTHONPATH, and no Checkline installed there."""
    zipfile.ZipFile(wheel).extractall(tmp_path)
    python = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
    done = subprocess.run(
        [python, "-m", "_checkline_taskapi"],
        env={"PYTHONPATH": str(tmp_path / "checkline" / "runner" / "taskapi"), "PATH": "/usr/bin"},
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1:] == ["libtaskotron.check: ok", "checkb.check: ok", "ok"]
