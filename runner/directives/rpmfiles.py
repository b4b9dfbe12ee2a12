"""Pure helpers of the koji and bodhi directives: which RPMs, where they live, are they whole.

Nothing here touches the network or the disk. Values from a Koji hub are untrusted: every
name, version, release and arch that becomes part of a URL or a file name is checked
against a conservative pattern first, so ``../../x`` or ``a/b`` never reach a path.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

__all__ = [
    "ArchSelection",
    "UnsafeName",
    "build_log_url",
    "build_url",
    "header_offset",
    "is_debuginfo",
    "rpm_filename",
    "rpm_url",
    "select_arches",
    "select_rpms",
    "split_nvr",
    "stable_tags",
]

#: What Koji's fields may hold to become a path component: RPM's own name characters.
_SAFE = re.compile(r"[A-Za-z0-9_+~^][A-Za-z0-9._+~^-]*")
_FEDORA_DIST = re.compile(r"\.fc(\d+)(?:\.|$)")

#: The RPM lead is 96 bytes; the signature header follows it, padded to 8 bytes.
LEAD_SIZE = 96
_HEADER_MAGIC = b"\x8e\xad\xe8"


class UnsafeName(ValueError):
    """A value from the hub that cannot be used as a path component."""


def _safe(value: Any, what: str) -> str:
    text = str(value)
    if not _SAFE.fullmatch(text) or text in {".", ".."}:
        raise UnsafeName(f"unsafe {what} {text!r}")
    return text


@dataclass(frozen=True)
class ArchSelection:
    """Arches to ask Koji for (``None``: every arch) and arches to leave out."""

    arches: tuple[str, ...] | None
    exclude: frozenset[str]
    src: bool

    def wants(self, arch: str) -> bool:
        if arch in self.exclude:
            return False
        if arch == "src":
            return self.src
        return self.arches is None or arch in self.arches


def select_arches(
    arch: str | Sequence[str], arch_exclude: Sequence[str] = (), *, src: bool = False
) -> ArchSelection:
    """Taskotron's arch rules: ``all`` means every arch, else ``noarch`` is always added.

    >>> select_arches(["x86_64"]).arches
    ('noarch', 'x86_64')
    """
    wanted = [arch] if isinstance(arch, str) else list(arch)
    exclude = frozenset(arch_exclude)
    if "all" in wanted:
        return ArchSelection(None, exclude, src)
    arches = {*wanted, "noarch"}
    if src:
        arches.add("src")
    return ArchSelection(tuple(sorted(arches)), exclude, src)


def is_debuginfo(name: str) -> bool:
    """Koji's rule (``koji.is_debuginfo``): debuginfo and debugsource packages."""
    return name.endswith(("-debuginfo", "-debugsource")) or "-debuginfo-" in name


def select_rpms(
    rpms: Iterable[Mapping[str, Any]], selection: ArchSelection, *, debuginfo: bool = False
) -> list[Mapping[str, Any]]:
    """The RPMs of a build to download, sorted by file name."""
    chosen = [
        rpm
        for rpm in rpms
        if selection.wants(str(rpm["arch"])) and (debuginfo or not is_debuginfo(str(rpm["name"])))
    ]
    return sorted(chosen, key=lambda rpm: (str(rpm["name"]), str(rpm["arch"])))


def rpm_filename(rpm: Mapping[str, Any]) -> str:
    """``<name>-<version>-<release>.<arch>.rpm``, as Koji names it.

    Raises:
        UnsafeName: a field would not stay one path component.
    """
    parts = [_safe(rpm[key], f"RPM {key}") for key in ("name", "version", "release", "arch")]
    return "{}-{}-{}.{}.rpm".format(*parts)


def build_url(topurl: str, build: Mapping[str, Any]) -> str:
    """The build's directory under Koji's top URL (``koji.PathInfo.build``), quoted."""
    volume = build.get("volume_name")
    base = topurl.rstrip("/")
    if volume not in (None, "DEFAULT"):
        base += "/vol/" + quote(_safe(volume, "volume name"))
    name, version, release = (
        quote(_safe(build[key], f"build {key}")) for key in ("name", "version", "release")
    )
    return f"{base}/packages/{name}/{version}/{release}"


def rpm_url(topurl: str, build: Mapping[str, Any], rpm: Mapping[str, Any]) -> str:
    """``<build dir>/<arch>/<file>`` (``koji.PathInfo.rpm``)."""
    arch = quote(_safe(rpm["arch"], "RPM arch"))
    return f"{build_url(topurl, build)}/{arch}/{quote(rpm_filename(rpm))}"


def build_log_url(topurl: str, build: Mapping[str, Any], arch: str) -> str:
    """``<build dir>/data/logs/<arch>/build.log`` (``koji.PathInfo.build_logs``)."""
    return f"{build_url(topurl, build)}/data/logs/{quote(_safe(arch, 'arch'))}/build.log"


def split_nvr(nvr: str) -> tuple[str, str, str]:
    """``name-version-release`` split at its last two dashes.

    Raises:
        ValueError: not three non-empty parts.
    """
    parts = nvr.rsplit("-", 2)
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"{nvr!r} is not name-version-release")
    return parts[0], parts[1], parts[2]


def stable_tags(nvr: str) -> list[str]:
    """Fedora's stable tags for a build, newest first: ``.fc40`` -> f40-updates, f40.

    Raises:
        ValueError: the release has no Fedora dist tag.
    """
    release = split_nvr(nvr)[2]
    found = _FEDORA_DIST.search(release)
    if not found:
        raise ValueError(f"{nvr!r} has no Fedora dist tag (.fcNN) to find a stable tag by")
    return [f"f{found.group(1)}-updates", f"f{found.group(1)}"]


def header_offset(prefix: bytes) -> int:
    """Where the RPM header starts: what Koji's ``payloadhash`` (SIGMD5) is the MD5 from.

    ``prefix`` is the file's beginning (the lead plus the signature header's 16-byte intro
    suffice). The MD5 of everything from this offset to the end is the header's SIGMD5.

    Raises:
        ValueError: not an RPM (no signature header after the lead).
    """
    intro = prefix[LEAD_SIZE : LEAD_SIZE + 16]
    if len(intro) < 16 or not intro.startswith(_HEADER_MAGIC):
        raise ValueError("not an RPM file (no signature header after the lead)")
    count, size = (int(n) for n in struct.unpack(">II", intro[8:16]))
    length = 16 + 16 * count + size
    return LEAD_SIZE + length + (-length % 8)
