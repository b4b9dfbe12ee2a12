"""A Taskotron-era task reading real RPMs with the system's RPM bindings, through ``runtask``.

``tests/fixtures/checks/two-three``: the koji directive downloads a build from the Koji stand-in
(rpmbuild-built RPMs), and the check code, under the default interpreter (the system's Python
3), reads each header with ``import rpm`` and reports with ``from libtaskotron import check``.
Checkline's own interpreter has no ``rpm``: this runs only because check code gets the system's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from checkline.reporting.tap import parse_tap
from checkline.runner.interpreter import SYSTEM_PYTHON
from tests.standins.koji import KojiStandin


@pytest.fixture(autouse=True)
def _system_rpm_bindings() -> None:
    usable = Path(SYSTEM_PYTHON).is_file() and (
        subprocess.run([SYSTEM_PYTHON, "-c", "import rpm"], capture_output=True).returncode == 0
    )
    if not usable:
        pytest.skip(
            f"!!! {SYSTEM_PYTHON} cannot import rpm: the RPM bindings tests DID NOT RUN "
            "(make services installs python3-rpm with scripts/ensure-system-python.sh) !!!"
        )


def runtask(script: Path, task: Path, nvr: str, artifacts: Path) -> Path:
    env = {k: v for k, v in os.environ.items() if k != "CHECKLINE_PYTHON"}
    done = subprocess.run(
        [
            str(script / "runtask"), "-i", nvr, "-t", "koji_build", "-a", "x86_64",
            "--uuid", "job-1", "--artifacts", str(artifacts), str(task / "runtask.yml"),
        ],
        capture_output=True, text=True, timeout=120, check=False, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return artifacts / "job-1"


@pytest.mark.parametrize(
    ("nvr", "outcome", "note", "output"),
    [
        (
            "python-checkline-dual-0.3-1.fc40",
            "FAILED",
            "python-checkline-dual requires both Python 2 and Python 3",
            "python-checkline-dual-0.3-1.fc40.noarch.rpm: Python 2: python2\n"
            "python-checkline-dual-0.3-1.fc40.noarch.rpm: Python 3: python(abi) 3.12",
        ),
        (
            "python-checkline-modern-1.2-1.fc40",
            "PASSED",
            None,
            "python-checkline-modern-1.2-1.fc40.noarch.rpm: Python 3: python(abi) 3.12, python3",
        ),
    ],
)
def test_check_code_reads_rpm_headers_with_the_system_bindings(
    koji: KojiStandin,
    script: Path,
    fixtures_dir: Path,
    tmp_path: Path,
    nvr: str,
    outcome: str,
    note: str | None,
    output: str,
) -> None:
    """Assert the task's check code reads the downloaded RPMs' headers with ``import rpm``
    under the system's Python, and its libtaskotron results are the run's verdicts."""
    rundir = runtask(script, fixtures_dir / "checks" / "two-three", nvr, tmp_path)
    parsed = parse_tap((rundir / "results.tap").read_text())
    assert parsed.problems == []
    [verdict] = parsed.verdicts
    name = nvr.rsplit("-", 2)[0]
    assert (verdict["item"], verdict["outcome"], verdict.get("summary")) == (nvr, outcome, note)
    assert verdict["rpms"] == [name]
    assert verdict["details"] == {"output": output}
    bindings = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import rpm; print(rpm.__version__)"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert verdict["rpm_bindings"] == bindings
    log = (rundir / "actions" / "01-check-each-rpm-for-python-dependencies.log").read_text()
    assert log.startswith(f"[check code runs under {SYSTEM_PYTHON}: the default: ")
    execution = json.loads((rundir / "execution.json").read_text())
    assert execution["status"] == "FINISHED"
    # ... which the runner's own interpreter could not have done.
    own = subprocess.run([sys.executable, "-c", "import rpm"], capture_output=True, check=False)
    assert own.returncode != 0
