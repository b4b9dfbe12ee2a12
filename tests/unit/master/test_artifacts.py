"""``checkline.master.artifacts``: which symlinks leave a run's folder, and which archive
members the master extracts. Plain temporary folders and hand-made ``TarInfo`` members."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest

from checkline.master.artifacts import (
    drop_escaping_links,
    escaping_links,
    safe_members,
    unsafe_member,
)


@pytest.fixture
def run(tmp_path: Path) -> Path:
    """``runs/run1`` with a file, a folder, a sibling run, and links of every kind."""
    run = tmp_path / "runs" / "run1"
    (run / "task_output" / "sub").mkdir(parents=True)
    (tmp_path / "runs" / "run2").mkdir()
    (tmp_path / "runs" / "run2" / "secret.txt").write_text("run2's\n")
    (run / "runner.log").write_text("log\n")
    out = run / "task_output"
    (out / "passwd").symlink_to("/etc/passwd")
    (out / "etc").symlink_to("/etc")
    (out / "up").symlink_to("../../..")
    (out / "run2").symlink_to("../../run2")
    (out / "dangling").symlink_to("missing")
    (out / "loop").symlink_to("loop")
    (out / "via").symlink_to("passwd")  # inside by name, out by resolution
    (out / "sub" / "root").symlink_to("../../..")
    (out / "latest.log").symlink_to("../runner.log")  # in the run: kept
    (out / "self").symlink_to(".")  # in the run: kept
    (out / "subdir").symlink_to("sub")  # in the run: kept
    return run


ESCAPING = [
    ("task_output/dangling", "missing"),
    ("task_output/etc", "/etc"),
    ("task_output/loop", "loop"),
    ("task_output/passwd", "/etc/passwd"),
    ("task_output/run2", "../../run2"),
    ("task_output/sub/root", "../../.."),
    ("task_output/up", "../../.."),
    ("task_output/via", "passwd"),
]


def test_assert_escaping_links_found(run: Path) -> None:
    assert escaping_links(str(run)) == ESCAPING


def test_assert_escaping_links_dropped_and_named(run: Path) -> None:
    lines = drop_escaping_links(str(run))
    assert lines == [
        f"dropped symlink {path!r} -> {target!r}: it does not resolve inside the run's folder"
        for path, target in ESCAPING
    ]
    out = run / "task_output"
    for path, _ in ESCAPING:
        assert not os.path.lexists(run / path), path
    assert os.readlink(out / "latest.log") == "../runner.log"
    assert os.readlink(out / "self") == "."
    assert os.readlink(out / "subdir") == "sub"
    assert (run / "runner.log").read_text() == "log\n"
    assert escaping_links(str(run)) == []
    assert drop_escaping_links(str(run)) == []


def test_assert_link_to_folder_not_descended(run: Path) -> None:
    # /etc is not walked: nothing under it is reported or touched.
    assert all(not path.startswith("task_output/etc/") for path, _ in escaping_links(str(run)))


def test_assert_link_through_dropped_link_dropped(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to("/etc")
    (tmp_path / "b").symlink_to("a/passwd")
    lines = drop_escaping_links(str(tmp_path))
    assert len(lines) == 2 and not os.path.lexists(tmp_path / "b")


def member(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info


SYM, LNK, DIR = tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.DIRTYPE


@pytest.mark.parametrize(
    ("info", "kept"),
    [
        (member("", DIR), True),  # the run's folder itself, as the worker tars it
        (member("task_output", DIR), True),
        (member("task_output/report.txt"), True),
        (member("./a/./b.txt"), True),
        (member("../outside.txt"), False),
        (member("a/../../outside.txt"), False),
        (member("/etc/cron.d/x"), False),
        (member("passwd", SYM, "/etc/passwd"), False),
        (member("etc", SYM, "/etc"), False),
        (member("up", SYM, "../../.."), False),
        (member("a/up", SYM, "../b"), False),  # inside, lexically, but it climbs: dropped
        (member("a/b", SYM, "c/d"), True),
        (member("a/self", SYM, "."), True),
        (member("", SYM, "x"), False),
        (member("x", LNK, "/etc/passwd"), False),
        (member("x", LNK, "../x"), False),
        (member("x", LNK, "never-seen"), False),
        (member("dev", tarfile.CHRTYPE), False),
        (member("fifo", tarfile.FIFOTYPE), False),
        (member("blk", tarfile.BLKTYPE), False),
    ],
)
def test_assert_unsafe_member(info: tarfile.TarInfo, kept: bool) -> None:
    assert (unsafe_member(info, set()) is None) is kept


def test_assert_hard_link_only_to_earlier_regular_file() -> None:
    members = [
        member("a.txt"),
        member("b.txt", LNK, "a.txt"),  # kept: a.txt is a file extracted before
        member("c.txt", LNK, "./a.txt"),  # kept: the same name
        member("d", SYM, "a.txt"),
        member("e.txt", LNK, "d"),  # dropped: d is a link
        member("a.txt", SYM, "x"),  # a.txt is now a link
        member("f.txt", LNK, "a.txt"),  # dropped
    ]
    kept, dropped = safe_members(members)
    assert [m.name for m in kept] == ["a.txt", "b.txt", "c.txt", "d", "a.txt"]
    assert dropped == [
        "dropped hard link 'e.txt' -> 'd': a hard link to no file of the run extracted before it",
        "dropped hard link 'f.txt' -> 'a.txt': a hard link to no file of the run extracted "
        "before it",
    ]


def test_assert_dropped_members_named_quoted() -> None:
    _, dropped = safe_members(
        [member("passwd\nforged line", SYM, "/etc/passwd"), member("../x"), member("p", b"6")]
    )
    assert dropped == [
        "dropped symlink 'passwd\\nforged line' -> '/etc/passwd': only links to a relative path "
        "without '..' (at or below their folder) are kept",
        "dropped '../x': its name is absolute or has '..'",
        "dropped 'p': not a file, a folder or a link (a device, a FIFO)",
    ]
