"""A check written against libtaskotron's API runs unchanged under ``runtask`` and its results
land in a real ResultsDB under the testcase names Taskotron gave them, with keyvals, notes and
artifact links kept (``tests/fixtures/checks/taskotron-era``, shaped like
taskotron-python-versions' 2017 formula and check)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import requests
from conftest import Artifacts
from rdb_server import Client

UUID = "7a1e0000-0000-4000-8000-00000000e7a0"
NVR = "python-foo-1.0-1.fc27"


def results_by_testcase(rdb: Client) -> dict[str, dict[str, Any]]:
    response = rdb.get("/results", {"groups": UUID, "limit": 100})
    assert response.status_code == 200, response.text
    return {r["testcase"]["name"]: r for r in response.json()["data"]}


def test_assert_taskotron_era_check_lands_under_taskotrons_testcases(
    rdb: Client, artifacts: Artifacts, script: Path, fixtures_dir: Path
) -> None:
    """Assert ``runtask`` runs the untouched task (exit 100: its worst outcome is FAILED), and
    ``checkline report`` stores dist.era.unversioned_shebangs, dist.era.naming_scheme and
    dist.era (libtaskotron's namespace prefix on dotted names too), each found by testcase name,
    with the note, the keyval and a log link that answers with what the check wrote."""
    run = subprocess.run(
        [
            str(script / "runtask"), str(fixtures_dir / "checks" / "taskotron-era"),
            "-i", NVR, "-t", "koji_build", "--uuid", UUID, "--artifacts", str(artifacts.root),
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 100, run.stderr
    report = subprocess.run(
        [
            str(script / "checkline"), "report", str(artifacts.root / UUID / "results.tap"),
            "--resultsdb", rdb.root, "--artifacts-url", artifacts.url,
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert report.returncode == 0, report.stderr

    stored = results_by_testcase(rdb)
    assert sorted(stored) == ["dist.era", "dist.era.naming_scheme", "dist.era.unversioned_shebangs"]
    shebangs = stored["dist.era.unversioned_shebangs"]
    assert (shebangs["outcome"], shebangs["note"]) == (
        "FAILED",
        "1 executable with an unversioned shebang",
    )
    assert shebangs["data"]["offenders"] == ["1"]
    assert shebangs["data"]["item"] == [NVR]
    assert shebangs["data"]["type"] == ["koji_build"]
    assert shebangs["ref_url"] == f"{artifacts.url}/{UUID}/task_output/output.log"
    log = requests.get(shebangs["ref_url"], timeout=10)
    assert (log.status_code, log.text) == (
        200,
        f"{NVR}: /usr/bin/foo uses an unversioned shebang\n",
    )
    assert stored["dist.era.naming_scheme"]["outcome"] == "PASSED"
    assert (stored["dist.era"]["outcome"], stored["dist.era"]["note"]) == (
        "FAILED",
        "1 PASSED, 1 FAILED",
    )

    # Found by testcase name alone, as Bodhi and Greenwave ask ResultsDB.
    by_name = rdb.get("/results/latest", {"testcases": "dist.era.unversioned_shebangs"})
    assert by_name.status_code == 200, by_name.text
    [latest] = by_name.json()["data"]
    assert latest["id"] == shebangs["id"]
