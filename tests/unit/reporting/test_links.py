"""Log URLs: an artifact inside the run's directory, else the main log; escapes refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from checkline.reporting.links import LogLinks

UUID = "5e0f-uuid"
BASE = "http://artifacts.example/art"


@pytest.fixture
def rundir(tmp_path: Path) -> Path:
    run = tmp_path / "artifacts" / UUID
    (run / "task_output").mkdir(parents=True)
    (run / "runner.log").write_text("log\n")
    (run / "task_output" / "rpmlint log.txt").write_text("out\n")
    (tmp_path / "secret").write_text("not yours\n")
    return run


def test_assert_artifact_url_quoted(rundir: Path) -> None:
    links = LogLinks(UUID, BASE + "/", rundir)
    url = links.for_verdict({"artifact": "task_output/rpmlint log.txt"})
    assert url == f"{BASE}/{UUID}/task_output/rpmlint%20log.txt"
    assert links.refused == []


def test_assert_missing_artifact_links_main_log(rundir: Path) -> None:
    links = LogLinks(UUID, BASE, rundir)
    assert links.for_verdict({"artifact": "task_output/nope.log"}) == f"{BASE}/{UUID}/runner.log"
    assert links.for_verdict({}) == f"{BASE}/{UUID}/runner.log"
    assert links.refused == []


def test_assert_no_log_links_the_directory(tmp_path: Path) -> None:
    (tmp_path / UUID).mkdir()
    assert LogLinks(UUID, BASE, tmp_path / UUID).main_log == f"{BASE}/{UUID}/"


def test_assert_no_base_no_url(rundir: Path) -> None:
    assert LogLinks(UUID, None, rundir).for_verdict({"artifact": "runner.log"}) is None


@pytest.mark.parametrize(
    ("artifact", "message"),
    [
        ("../../secret", "outside the run's directory"),
        ("/etc/passwd", "is absolute"),
        ("task_output/../../../secret", "outside the run's directory"),
        (5, "artifact must be a path, 5 found"),
        ("  ", "artifact must be a path"),
    ],
)
def test_assert_escapes_refused(rundir: Path, artifact: object, message: str) -> None:
    links = LogLinks(UUID, BASE, rundir)
    assert links.for_verdict({"artifact": artifact}, "rpmlint") == f"{BASE}/{UUID}/runner.log"
    [problem] = links.refused
    assert problem.where == "rpmlint"
    assert message in problem.message


def test_assert_symlink_out_refused(rundir: Path) -> None:
    (rundir / "task_output" / "link").symlink_to(rundir.parent.parent / "secret")
    links = LogLinks(UUID, BASE, rundir)
    assert links.for_verdict({"artifact": "task_output/link"}) == f"{BASE}/{UUID}/runner.log"
    assert "outside the run's directory" in links.refused[0].message


def test_assert_symlink_inside_allowed(rundir: Path) -> None:
    (rundir / "task_output" / "alias").symlink_to(rundir / "runner.log")
    links = LogLinks(UUID, BASE, rundir)
    assert links.for_verdict({"artifact": "task_output/alias"}) == f"{BASE}/{UUID}/runner.log"
    assert links.refused == []
