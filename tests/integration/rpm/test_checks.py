"""checks/rpmlint and checks/python-versions end to end: `checkline run` against the stand-in.

The runner is the installed ``checkline`` command in a child process; it finds the Koji
stand-in through CHECKLINE_KOJI_HUB/TOPURL (set by the ``koji`` fixture), as it would find
Fedora's Koji, and the checks run rpmlint and rpm for real on rpmbuild-built RPMs.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from checkline.reporting.tap import parse_tap
from tests.standins.koji import KojiStandin


@pytest.fixture(autouse=True)
def _rpm_tools() -> None:
    if not (shutil.which("rpmlint") and shutil.which("rpm")):
        pytest.skip(
            "!!! rpmlint or rpm is not installed: the RPM check tests DID NOT RUN "
            "(make test installs them with scripts/ensure-rpm-tools.sh) !!!"
        )


def checkline_run(
    script: Path, check: Path, nvr: str, artifacts: Path, arch: str = "x86_64"
) -> tuple[int, dict[str, Any], list[dict[str, Any]], Path]:
    done = subprocess.run(
        [
            *(str(script / "checkline"), "run", str(check), "-i", nvr, "-t", "koji_build"),
            *("-a", arch, "--uuid", "job-1", "--artifacts", str(artifacts)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    rundir = artifacts / "job-1"
    execution = json.loads((rundir / "execution.json").read_text())
    parsed = parse_tap((rundir / "results.tap").read_text())
    assert parsed.problems == [], done.stderr
    return done.returncode, execution, parsed.verdicts, rundir


class TestRpmlint:
    def test_clean_build_passes(
        self, koji: KojiStandin, script: Path, checks_dir: Path, tmp_path: Path
    ) -> None:
        """Assert a clean build gets PASSED, 0 errors, with rpmlint's output as artifact."""
        code, execution, verdicts, rundir = checkline_run(
            script, checks_dir / "rpmlint", "checkline-clean-1.0-1.fc40", tmp_path
        )
        assert code == 0
        assert execution["status"] == "FINISHED"
        (verdict,) = verdicts
        assert verdict["item"] == "checkline-clean-1.0-1.fc40"
        assert verdict["checkname"] == "rpmlint"
        assert verdict["outcome"] == "PASSED"
        assert re.fullmatch(r"0 errors, [1-9]\d* warnings", verdict["summary"])
        assert verdict["artifact"] == "task_output/rpmlint.log"
        log = (rundir / verdict["artifact"]).read_text()
        # the noarch RPM and the source RPM were both linted
        assert "2 packages and 0 specfiles checked; 0 errors" in log
        assert "checkline-clean.src: W: " in log

    def test_faulty_build_fails(
        self, koji: KojiStandin, script: Path, checks_dir: Path, tmp_path: Path
    ) -> None:
        """Assert rpmlint errors make the build FAILED, counted in the note, listed in details."""
        code, _, verdicts, rundir = checkline_run(
            script, checks_dir / "rpmlint", "checkline-broken-2.1-3.fc40", tmp_path
        )
        assert code == 0  # a FAILED verdict is a result, not an error
        (verdict,) = verdicts
        assert verdict["outcome"] == "FAILED"
        counted = re.fullmatch(r"(\d+) errors, (\d+) warnings", verdict["summary"])
        assert counted is not None
        errors, warnings = int(counted.group(1)), int(counted.group(2))
        log = (rundir / verdict["artifact"]).read_text()
        assert errors == log.count(": E: ") and errors >= 3
        assert warnings == log.count(": W: ")
        for problem in ("world-writable", "dir-or-file-in-tmp", "no-changelogname-tag"):
            assert f": E: {problem}" in verdict["details"]["output"]

    def test_multiarch_build_lints_the_runs_arch(
        self, koji: KojiStandin, script: Path, checks_dir: Path, tmp_path: Path
    ) -> None:
        """Assert -a aarch64 lints the aarch64, noarch and source RPMs, not debuginfo or i686."""
        _, _, verdicts, rundir = checkline_run(
            script, checks_dir / "rpmlint", "checkline-multi-1.0-1.fc40", tmp_path, "aarch64"
        )
        assert verdicts[0]["arch"] == "aarch64"
        log = (rundir / "task_output" / "rpmlint.log").read_text()
        assert "3 packages and 0 specfiles checked" in log
        assert "checkline-multi.aarch64:" in log and "checkline-multi-doc.noarch:" in log
        assert "i686" not in log and "checkline-multi-debuginfo" not in log

    def test_missing_build_is_a_job_error(
        self, koji: KojiStandin, script: Path, checks_dir: Path, tmp_path: Path
    ) -> None:
        """Assert a build Koji does not have ends the run with exit 3 naming the NVR."""
        code, execution, verdicts, _ = checkline_run(
            script, checks_dir / "rpmlint", "nosuch-1.0-1.fc40", tmp_path
        )
        assert code == 3
        assert execution["status"] == "JOB_ERROR"
        assert execution["message"] == (
            "actions[0] (download the build's RPMs): Koji build 'nosuch-1.0-1.fc40' does not"
            f" exist (hub {koji.hub_url})"
        )
        assert [v["outcome"] for v in verdicts] == ["CRASHED"]

    @pytest.mark.parametrize("nasty", ["$(touch MARKER)-1-1.fc40", "x;touch MARKER-1-1.fc40"])
    def test_item_is_data(
        self,
        koji: KojiStandin,
        script: Path,
        checks_dir: Path,
        tmp_path: Path,
        nasty: str,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """Assert a hostile NVR reaches Koji only as a string: nothing runs, no such build."""
        monkeypatch.chdir(tmp_path)
        code, execution, _, _ = checkline_run(script, checks_dir / "rpmlint", nasty, tmp_path)
        assert code == 3
        assert execution["message"].endswith(
            f"Koji build {nasty!r} does not exist (hub {koji.hub_url})"
        )
        assert not list(tmp_path.rglob("MARKER*"))

    def test_unreachable_koji_is_an_execution_error(
        self,
        koji: KojiStandin,
        script: Path,
        checks_dir: Path,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """Assert a Koji that went away is CRASHED with exit 2 (may be retried)."""
        koji.stop()
        monkeypatch.setenv("CHECKLINE_KOJI_RETRIES", "0")
        code, execution, verdicts, _ = checkline_run(
            script, checks_dir / "rpmlint", "checkline-clean-1.0-1.fc40", tmp_path
        )
        assert code == 2
        assert execution["status"] == "CRASHED"
        assert execution["message"].startswith(
            f"actions[0] (download the build's RPMs): cannot reach the Koji hub {koji.hub_url}:"
        )
        assert [v["outcome"] for v in verdicts] == ["CRASHED"]


class TestPythonVersions:
    @pytest.mark.parametrize(
        ("nvr", "outcome", "note"),
        [
            (
                "python-checkline-dual-0.3-1.fc40",
                "FAILED",
                "1 RPM(s) require both Python 2 and Python 3:"
                " python-checkline-dual-0.3-1.fc40.noarch.rpm",
            ),
            (
                "python-checkline-modern-1.2-1.fc40",
                "PASSED",
                "no RPM requires both Python 2 and Python 3",
            ),
            ("checkline-clean-1.0-1.fc40", "PASSED", "no RPM requires both Python 2 and Python 3"),
        ],
    )
    def test_verdicts(
        self,
        koji: KojiStandin,
        script: Path,
        checks_dir: Path,
        tmp_path: Path,
        nvr: str,
        outcome: str,
        note: str,
    ) -> None:
        """Assert the dual-Python package fails, the others pass, with the report linked."""
        code, _, verdicts, rundir = checkline_run(
            script, checks_dir / "python-versions", nvr, tmp_path
        )
        assert code == 0
        (verdict,) = verdicts
        assert (verdict["item"], verdict["outcome"], verdict["summary"]) == (nvr, outcome, note)
        assert verdict["artifact"] == "task_output/python-versions.log"
        report = (rundir / verdict["artifact"]).read_text()
        assert report.startswith(f"python-versions for {nvr}\n")

    def test_report_names_the_requirements(
        self, koji: KojiStandin, script: Path, checks_dir: Path, tmp_path: Path
    ) -> None:
        _, _, verdicts, _ = checkline_run(
            script, checks_dir / "python-versions", "python-checkline-dual-0.3-1.fc40", tmp_path
        )
        assert verdicts[0]["details"]["output"] == (
            "python-checkline-dual-0.3-1.fc40.noarch.rpm:\n"
            "  Python 2: python2\n"
            "  Python 3: python(abi) = 3.12"
        )
