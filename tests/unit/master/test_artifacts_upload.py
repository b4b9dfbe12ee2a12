"""The writer the upload step unpacks the worker's archive with, fed archives a compromised
worker could send: nothing may land, or point, outside the run's folder on the master.

The writer is taken from ``build_factory``'s "upload artifacts" step, so these tests check
what the master really runs (Buildbot's own ``DirectoryWriter``, before Checkline had one,
lets the CVE-2025-4517 archive write outside on Python < 3.11.13, and raises on a planted
link, failing the whole upload).
"""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from buildbot.process import remotetransfer

from checkline.master.settings import MasterSettings
from checkline.master.steps import build_factory

PASSWD_LINE = Path("/etc/passwd").read_text().splitlines()[0]


def upload_writer() -> Any:
    [step] = [
        s
        for s in build_factory(MasterSettings()).steps
        if s.kwargs.get("name", getattr(s.step_class, "name", None)) == "upload artifacts"
    ]
    return getattr(step.step_class, "writer_class", remotetransfer.DirectoryWriter)


def add(tar: tarfile.TarFile, name: str, kind: bytes = tarfile.REGTYPE, **fields: Any) -> None:
    info = tarfile.TarInfo(name)
    info.type = kind
    data = fields.pop("data", b"")
    for key, value in fields.items():
        setattr(info, key, value)
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    tar.addfile(info, io.BytesIO(data) if data else None)


def cve_2025_4517(tar: tarfile.TarFile) -> None:
    """Links chained until ``os.path.realpath`` gives up (``PATH_MAX``), then a link the data
    filter judges inside but the kernel resolves two folders up, then a file through it."""
    long_dir = "d" * 247
    steps = "abcdefghijklmnop"
    path = ""
    for step in steps:
        add(tar, os.path.join(path, long_dir), tarfile.DIRTYPE)
        add(tar, os.path.join(path, step), tarfile.SYMTYPE, linkname=long_dir)
        path = os.path.join(path, long_dir)
    link = os.path.join("/".join(steps), "l" * 254)
    add(tar, link, tarfile.SYMTYPE, linkname="../" * len(steps))
    add(tar, "escape", tarfile.SYMTYPE, linkname=link + "/../..")
    add(tar, "escape/outside.txt", data=b"pwned\n")


def absolute_link(tar: tarfile.TarFile) -> None:
    add(tar, "task_output/report.txt", data=b"report\n")
    add(tar, "task_output/passwd", tarfile.SYMTYPE, linkname="/etc/passwd")


def climbing_link(tar: tarfile.TarFile) -> None:
    add(tar, "task_output/report.txt", data=b"report\n")
    add(tar, "task_output/up", tarfile.SYMTYPE, linkname="../../..")
    add(tar, "task_output/up/outside.txt", data=b"pwned\n")


def dotdot_name(tar: tarfile.TarFile) -> None:
    add(tar, "task_output/report.txt", data=b"report\n")
    add(tar, "../../outside.txt", data=b"pwned\n")


def link_then_file_through_it(tar: tarfile.TarFile) -> None:
    add(tar, "task_output/report.txt", data=b"report\n")
    add(tar, "task_output/x", tarfile.SYMTYPE, linkname="../../../outside.txt")
    add(tar, "task_output/x", data=b"pwned\n")


def hard_link_out(tar: tarfile.TarFile) -> None:
    add(tar, "task_output/report.txt", data=b"report\n")
    add(tar, "task_output/passwd", tarfile.LNKTYPE, linkname="/etc/passwd")
    add(tar, "task_output/sibling", tarfile.LNKTYPE, linkname="../../outside.txt")


def device(tar: tarfile.TarFile) -> None:
    add(tar, "task_output/report.txt", data=b"report\n")
    add(tar, "task_output/null", tarfile.CHRTYPE, devmajor=1, devminor=3)
    add(tar, "task_output/fifo", tarfile.FIFOTYPE)


CRAFTED: dict[str, Callable[[tarfile.TarFile], None]] = {
    "cve-2025-4517": cve_2025_4517,
    "absolute link": absolute_link,
    "climbing link": climbing_link,
    "dotdot name": dotdot_name,
    "link then a file through it": link_then_file_through_it,
    "hard link out": hard_link_out,
    "device and fifo": device,
}


def unpack(base: Path, build: Callable[[tarfile.TarFile], None]) -> tuple[Path, Any]:
    """``<base>/artifacts/<uuid>`` after the upload's writer unpacked the archive."""
    dest = base / "artifacts" / "0d7c1c8e-uuid"
    dest.mkdir(parents=True)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        build(tar)
    writer = upload_writer()(str(dest), None, None, 0o600)
    writer.remote_write(buffer.getvalue())
    writer.remote_unpack()  # raised to the worker, an error hangs the step: never raise
    return dest, writer


def assert_nothing_outside(base: Path, dest: Path) -> None:
    outside = [p for p in base.rglob("*") if p not in (dest, dest.parent, *dest.parents)]
    outside = [p for p in outside if dest not in p.parents]
    assert outside == [], "written outside the run's folder"
    real_dest = os.path.realpath(dest)
    for folder, dirs, files in os.walk(dest):
        for name in dirs + files:
            path = os.path.join(folder, name)
            real = os.path.realpath(path)
            assert real == real_dest or real.startswith(real_dest + os.sep), (path, real)
            if os.path.isfile(path) and not os.path.islink(path):
                assert PASSWD_LINE.encode() not in Path(path).read_bytes(), path


@pytest.mark.parametrize("name", list(CRAFTED))
def test_assert_crafted_archive_stays_inside(tmp_path: Path, name: str) -> None:
    dest, writer = unpack(tmp_path, CRAFTED[name])
    assert_nothing_outside(tmp_path, dest)
    assert writer.dropped, "every crafted member dropped is named in the step's log"
    if name != "cve-2025-4517":
        assert (dest / "task_output" / "report.txt").read_text() == "report\n"
        assert writer.error is None


def test_assert_worker_archive_of_a_planted_run(tmp_path: Path) -> None:
    """The archive as Buildbot's worker makes it (``archive.add(path, '')``, links as links)."""
    run = tmp_path / "worker" / "runs" / "run1"
    (run / "task_output" / "sub").mkdir(parents=True)
    (run / "runner.log").write_text("log\n")
    (run / "task_output" / "report.txt").write_text("report\n")
    (run / "task_output" / "hard.txt").hardlink_to(run / "task_output" / "report.txt")
    (run / "task_output" / "passwd").symlink_to("/etc/passwd")
    (run / "task_output" / "etc").symlink_to("/etc")
    (run / "task_output" / "up").symlink_to("../../..")
    (run / "task_output" / "via").symlink_to("passwd")
    (run / "task_output" / "latest.txt").symlink_to("report.txt")
    (run / "task_output" / "sub" / "log").symlink_to("../../runner.log")

    def worker_tar(tar: tarfile.TarFile) -> None:
        tar.add(str(run), "")

    base = tmp_path / "master"
    dest, writer = unpack(base, worker_tar)
    assert_nothing_outside(base, dest)
    assert writer.error is None
    out = dest / "task_output"
    assert (dest / "runner.log").read_text() == "log\n"
    assert (out / "hard.txt").read_text() == "report\n"
    assert os.readlink(out / "latest.txt") == "report.txt"
    for gone in ("passwd", "etc", "up", "via", "sub/log"):
        assert not os.path.lexists(out / gone), gone
        assert any(
            line.startswith(f"dropped symlink 'task_output/{gone}'") for line in writer.dropped
        ), (
            gone,
            writer.dropped,
        )
