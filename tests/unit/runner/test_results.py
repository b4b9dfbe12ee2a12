"""Verdicts of one run: complete_verdict (defaults, artifact paths) and failed_run_verdicts."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from checkline.outcomes import Outcome
from checkline.runner.results import ArtifactPathError, complete_verdict, failed_run_verdicts


def make_verdict(**overrides: Any) -> dict[str, Any]:
    verdict: dict[str, Any] = {
        "item": "xchat-0.5-1.fc20",
        "type": "koji_build",
        "outcome": "PASSED",
    }
    verdict.update(overrides)
    return verdict


@pytest.fixture
def rundir(tmp_path: Path) -> Path:
    """A run directory laid out as the runner makes it: ``<artifacts>/<uuid>/task_output``."""
    path = tmp_path / "artifacts" / "uuid1"
    (path / "task_output").mkdir(parents=True)
    return path


def complete(verdict: dict[str, Any], rundir: Path, **kwargs: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "checkname": "dist.rpmlint",
        "arch": "x86_64",
        "rundir": rundir,
        "artifactsdir": rundir / "task_output",
    }
    options.update(kwargs)
    return complete_verdict(verdict, **options)


class TestCompleteVerdict:
    def test_defaults_added(self, rundir: Path) -> None:
        """Assert checkname and arch are filled in when the verdict has none."""
        assert complete(make_verdict(), rundir) == make_verdict(
            checkname="dist.rpmlint", arch="x86_64"
        )

    def test_given_values_kept(self, rundir: Path) -> None:
        """Assert a verdict's own checkname and arch win over the run's."""
        verdict = make_verdict(checkname="dist.rpmlint.sub", arch="noarch")
        assert complete(verdict, rundir) == verdict

    def test_input_not_modified(self, rundir: Path) -> None:
        """Assert the caller's verdict is left as it was."""
        verdict = make_verdict(artifact="x.log")
        before = copy.deepcopy(verdict)
        complete(verdict, rundir)
        assert verdict == before

    @pytest.mark.parametrize(
        ("artifact", "stored"),
        [
            ("x.log", "task_output/x.log"),
            ("./x.log", "task_output/x.log"),
            ("sub/dir/x.log", "task_output/sub/dir/x.log"),
            ("sub/../x.log", "task_output/x.log"),
            (".", "task_output"),
            # Up out of task_output but still inside the run's directory.
            ("../runner.log", "runner.log"),
        ],
    )
    def test_relative_artifact_stored_relative_to_rundir(
        self, rundir: Path, artifact: str, stored: str
    ) -> None:
        """Assert an artifact relative to artifactsdir is stored relative to rundir."""
        assert complete(make_verdict(artifact=artifact), rundir)["artifact"] == stored

    def test_artifact_need_not_exist(self, rundir: Path) -> None:
        """Assert a path is checked by where it points, not by whether the file is there."""
        assert complete(make_verdict(artifact="later.log"), rundir)["artifact"] == (
            "task_output/later.log"
        )

    @pytest.mark.parametrize(
        ("inside", "stored"),
        [("task_output/x.log", "task_output/x.log"), ("actions/01.log", "actions/01.log")],
    )
    def test_absolute_artifact_inside_rundir(self, rundir: Path, inside: str, stored: str) -> None:
        """Assert an absolute artifact inside the run's directory is accepted and made relative."""
        verdict = make_verdict(artifact=str(rundir / inside))
        assert complete(verdict, rundir)["artifact"] == stored

    def test_symlink_inside_rundir_is_resolved(self, rundir: Path) -> None:
        """Assert a symlink to a file inside the run's directory is stored as its target."""
        (rundir / "task_output" / "real.log").write_text("log")
        (rundir / "task_output" / "link.log").symlink_to(rundir / "task_output" / "real.log")
        assert complete(make_verdict(artifact="link.log"), rundir)["artifact"] == (
            "task_output/real.log"
        )

    def test_rundir_given_through_a_symlink(self, rundir: Path, tmp_path: Path) -> None:
        """Assert the run's directory itself may be reached through a symlink."""
        alias = tmp_path / "alias"
        alias.symlink_to(rundir)
        verdict = make_verdict(artifact="x.log")
        assert complete(verdict, alias, artifactsdir=alias / "task_output")["artifact"] == (
            "task_output/x.log"
        )

    @pytest.mark.parametrize("artifact", ["../../x", "../../uuid2/x.log", "../..", ".."])
    def test_relative_artifact_outside_rundir(self, rundir: Path, artifact: str) -> None:
        """Assert a relative artifact that climbs out of the run's directory is refused."""
        with pytest.raises(ArtifactPathError) as raised:
            complete(make_verdict(artifact=artifact), rundir)
        message = str(raised.value)
        assert message.startswith(f"artifact {artifact!r} resolves to ")
        assert f"outside the run's directory {str(rundir.resolve())!r}" in message
        assert message.endswith("write artifacts under ${artifactsdir}")

    def test_relative_artifact_outside_when_artifactsdir_is_rundir(self, rundir: Path) -> None:
        """Assert '../x' is refused when the artifacts go straight into the run's directory."""
        with pytest.raises(ArtifactPathError) as raised:
            complete(make_verdict(artifact="../x"), rundir, artifactsdir=rundir)
        assert str(raised.value) == (
            f"artifact '../x' resolves to {str(rundir.resolve().parent / 'x')!r}, outside the "
            f"run's directory {str(rundir.resolve())!r}; write artifacts under ${{artifactsdir}}"
        )

    @pytest.mark.parametrize("artifact", ["/etc/passwd", "/"])
    def test_absolute_artifact_outside_rundir(self, rundir: Path, artifact: str) -> None:
        """Assert an absolute artifact outside the run's directory is refused, naming it."""
        with pytest.raises(ArtifactPathError) as raised:
            complete(make_verdict(artifact=artifact), rundir)
        assert str(raised.value).startswith(f"artifact {artifact!r} resolves to {artifact!r}")

    def test_sibling_with_common_prefix_is_outside(self, rundir: Path) -> None:
        """Assert '<rundir>-other' is not taken as inside '<rundir>' (no string-prefix test)."""
        sibling = rundir.parent / (rundir.name + "-other") / "x.log"
        with pytest.raises(ArtifactPathError, match="outside the run's directory"):
            complete(make_verdict(artifact=str(sibling)), rundir)

    @pytest.mark.parametrize("target", ["file", "dir"])
    def test_symlink_pointing_outside(self, rundir: Path, tmp_path: Path, target: str) -> None:
        """Assert an artifact that is (or goes through) a symlink out of the run is refused."""
        outside = tmp_path / "outside"
        outside.mkdir()
        (outside / "secret").write_text("secret")
        if target == "file":
            (rundir / "task_output" / "log").symlink_to(outside / "secret")
            artifact = "log"
        else:
            (rundir / "task_output" / "logs").symlink_to(outside)
            artifact = "logs/secret"
        with pytest.raises(ArtifactPathError) as raised:
            complete(make_verdict(artifact=artifact), rundir)
        assert str(raised.value).startswith(
            f"artifact {artifact!r} resolves to {str((outside / 'secret').resolve())!r}, outside"
        )

    @pytest.mark.parametrize(("artifact", "shown"), [("", "''"), (5, "5"), (["x"], "['x']")])
    def test_artifact_not_a_path(self, rundir: Path, artifact: Any, shown: str) -> None:
        """Assert an empty or non-string artifact is refused naming the value."""
        with pytest.raises(ArtifactPathError) as raised:
            complete(make_verdict(artifact=artifact), rundir)
        assert str(raised.value) == f"artifact must be a path, {shown} found"

    def test_no_artifact_key_added(self, rundir: Path) -> None:
        """Assert a verdict without artifact gets none."""
        assert "artifact" not in complete(make_verdict(), rundir)


def failed(recorded: list[dict[str, Any]], outcome: Outcome, **kwargs: Any) -> list[dict[str, Any]]:
    options: dict[str, Any] = {
        "item": "xchat-0.5-1.fc20",
        "item_type": "koji_build",
        "arch": "x86_64",
        "checkname": "dist.rpmlint",
        "message": "action 'run' crashed: exit 139",
    }
    options.update(kwargs)
    return failed_run_verdicts(recorded, outcome, **options)


def make_run_verdict(**overrides: Any) -> dict[str, Any]:
    verdict: dict[str, Any] = {
        "item": "xchat-0.5-1.fc20",
        "type": "koji_build",
        "checkname": "dist.rpmlint",
        "outcome": "CRASHED",
        "summary": "action 'run' crashed: exit 139",
        "arch": "x86_64",
    }
    verdict.update(overrides)
    return verdict


class TestFailedRunVerdicts:
    def test_no_recorded_verdicts(self) -> None:
        """Assert a run that recorded nothing gets exactly one run-level verdict, no details."""
        assert failed([], Outcome.CRASHED) == [make_run_verdict()]

    @pytest.mark.parametrize("outcome", [Outcome.CRASHED, Outcome.ABORTED])
    def test_recorded_verdicts_take_the_outcome(self, outcome: Outcome) -> None:
        """Assert every recorded verdict takes the run's outcome and keeps its own as original."""
        recorded = [
            make_verdict(checkname="sub.a"),
            make_verdict(checkname="sub.b", outcome="FAILED", summary="bad"),
        ]
        assert failed(recorded, outcome) == [
            make_verdict(checkname="sub.a", outcome=outcome.value, original_outcome="PASSED"),
            make_verdict(
                checkname="sub.b", outcome=outcome.value, summary="bad", original_outcome="FAILED"
            ),
            make_run_verdict(outcome=outcome.value),
        ]

    def test_recorded_verdicts_not_modified(self) -> None:
        """Assert the caller's recorded verdicts keep their own outcome."""
        recorded = [make_verdict()]
        failed(recorded, Outcome.CRASHED)
        assert recorded == [make_verdict()]

    def test_output_becomes_details(self) -> None:
        """Assert the failing action's log tail is the run verdict's details.output."""
        verdicts = failed([], Outcome.ABORTED, message="cancelled", output="last\nlines\n")
        assert verdicts == [
            make_run_verdict(
                outcome="ABORTED", summary="cancelled", details={"output": "last\nlines\n"}
            )
        ]

    def test_empty_output_gives_no_details(self) -> None:
        """Assert an empty output adds no details key."""
        assert "details" not in failed([], Outcome.CRASHED, output="")[0]
