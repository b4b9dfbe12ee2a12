"""What the master keeps of the archive a worker uploads: no file outside the run's folder,
no link that leaves it.

A run's folder is written by the check it ran, untrusted code (and so is the package under
test), and the worker runs that code, so the archive it sends is untrusted too. A symlink
planted in the run (``task_output/passwd -> /etc/passwd``, ``-> /etc``, ``-> ../../..``) must
never make the master, or the artifacts server, publish a file from outside the run.

What Buildbot does: the worker tars the run's folder with links stored as links
(``buildbot_worker/commands/transfer.py``, ``WorkerDirectoryUploadCommand.start``:
``tarfile.open(mode=mode, fileobj=self.fp)`` then ``archive.add(self.path, '')``, no
``dereference``), so no file outside the run is ever copied; the master unpacks it with
``archive.extractall(path=self.destroot, filter='data')`` (``buildbot/process/
remotetransfer.py``, ``DirectoryWriter.remote_unpack``). That filter refuses an absolute or
escaping link by raising, which fails the whole upload (Buildbot 4.3 then never even ends the
step: the worker cannot send the failure back). And on Python before 3.11.13 / 3.12.11 /
3.13.4 it can be bypassed (CVE-2025-4517, CVE-2025-4330, CVE-2025-4138: links chained past
``PATH_MAX``): a crafted archive writes files outside the destination.

So the upload (``master.steps.ArtifactsWriter``) unpacks with :func:`extract_run`:

1. **Before extracting**, every member is checked by a rule that needs no path resolution at
   all (:func:`unsafe_member`): a name must be relative and have no ``..``; a symlink is kept
   only when its target is relative and has no ``..`` either, so it points at or below its
   own folder and any chain of such links stays below the destination; a hard link only to a
   regular file kept before it; no device, FIFO or other special file. The rest is extracted
   with ``filter='data'`` on top (safe modes, no owners).
2. **After extracting**, every symlink under the run's folder that does not resolve, strictly,
   inside it (dangling, a loop, or out of it) is removed (:func:`drop_escaping_links`): a link
   to a link dropped in step 1 (``via -> passwd``) goes too.

Each member or link dropped is one line of the upload step's log; the rest of the run is
kept. A link that stays in the run and points down (``latest.log -> runner.log``) is kept, as
a link.
"""

from __future__ import annotations

import os
import tarfile
from collections.abc import Iterable

__all__ = [
    "drop_escaping_links",
    "escaping_links",
    "extract_run",
    "inside",
    "resolves_inside",
    "safe_members",
    "unsafe_member",
]


def inside(path: str, folder: str) -> bool:
    """Whether the real path ``path`` is ``folder`` or below it (no resolution: both real)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def resolves_inside(path: str, folder: str) -> bool:
    """Whether ``path`` resolves, every link followed and every component found, inside
    ``folder`` (a real path). A dangling link, a loop or a name too long: False."""
    try:
        return inside(os.path.realpath(path, strict=True), folder)
    except (OSError, ValueError):
        return False


def escaping_links(run_dir: str) -> list[tuple[str, str]]:
    """``(path relative to run_dir, link target)`` of every symlink under ``run_dir`` that does
    not resolve inside it, sorted. Links to folders are not descended into."""
    root = os.path.realpath(run_dir)
    found = []
    for folder, dirs, files in os.walk(run_dir):  # os.walk never follows a link to a folder
        for name in dirs + files:
            path = os.path.join(folder, name)
            if os.path.islink(path) and not resolves_inside(path, root):
                found.append((os.path.relpath(path, run_dir), os.readlink(path)))
    return sorted(found)


def drop_escaping_links(run_dir: str) -> list[str]:
    """Remove every symlink under ``run_dir`` that does not resolve inside it (until none is
    left: removing one can leave another dangling); one log line each, names quoted."""
    lines = []
    for _ in range(100):
        found = escaping_links(run_dir)
        if not found:
            break
        for relative, target in found:
            try:
                os.unlink(os.path.join(run_dir, relative))
            except OSError as err:
                lines.append(f"could not remove symlink {relative!r} -> {target!r}: {err}")
                continue
            lines.append(
                f"dropped symlink {relative!r} -> {target!r}: it does not resolve inside the "
                "run's folder"
            )
    return lines


def _parts(name: str) -> list[str] | None:
    """The components of a relative archive path, or None if it is absolute or has ``..``."""
    if name.startswith("/"):
        return None
    parts = [part for part in name.split("/") if part not in ("", ".")]
    return None if ".." in parts else parts


def unsafe_member(member: tarfile.TarInfo, regular: set[str]) -> str | None:
    """Why ``member`` is not extracted, or None. ``regular``: the normalized names of the
    regular files kept before it (the only targets a hard link may have)."""
    parts = _parts(member.name)
    if parts is None:
        return "its name is absolute or has '..'"
    if member.issym():
        if not parts:
            return "a symlink in place of the run's folder"
        if _parts(member.linkname) is None:
            return "only links to a relative path without '..' (at or below their folder) are kept"
        return None
    if member.islnk():
        target = _parts(member.linkname)
        if target is None or "/".join(target) not in regular:
            return "a hard link to no file of the run extracted before it"
        return None
    if member.isdir():
        return None
    if member.isreg():
        return None if parts else "a file in place of the run's folder"
    return "not a file, a folder or a link (a device, a FIFO)"


def safe_members(
    members: Iterable[tarfile.TarInfo],
) -> tuple[list[tarfile.TarInfo], list[str]]:
    """The members to extract, and one log line for each one dropped (names quoted)."""
    kept: list[tarfile.TarInfo] = []
    dropped: list[str] = []
    regular: set[str] = set()
    for member in members:
        why = unsafe_member(member, regular)
        if why is not None:
            what = (
                f"symlink {member.name!r} -> {member.linkname!r}"
                if member.issym()
                else f"hard link {member.name!r} -> {member.linkname!r}"
                if member.islnk()
                else repr(member.name)
            )
            dropped.append(f"dropped {what}: {why}")
            continue
        kept.append(member)
        parts = _parts(member.name)
        if parts is not None:
            name = "/".join(parts)
            if member.isreg():
                regular.add(name)
            else:  # a later link, folder or file of that name: no longer the file linked to
                regular.discard(name)
    return kept, dropped


def extract_run(tar_path: str, dest: str) -> list[str]:
    """Extract the upload's archive (any compression) into ``dest`` by the rules above, then
    drop the links that do not resolve inside it; the log lines of what was dropped. Refuses
    to run where ``tarfile`` has no extraction filters (Python before 3.11.4).
    """
    if not hasattr(tarfile, "data_filter"):
        raise RuntimeError("unpacking artifacts needs tarfile's filters (Python >= 3.11.4)")
    with tarfile.open(tar_path) as archive:
        kept, dropped = safe_members(archive.getmembers())
        archive.extractall(path=dest, members=kept, filter="data")
    return dropped + drop_escaping_links(dest)
