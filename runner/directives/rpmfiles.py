"""Pure helpers of the koji and bodhi directives: which RPMs, where they live, are they whole.

Nothing here touches the network or the disk. Values from a Koji hub are untrusted: every
name, version, release and arch that becomes part of a URL or a file name is checked
against a conservative pattern first, so ``../../x`` or ``a/b`` never reach a path.
"""

from __future__ import annotations

import functools
import re
import struct
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

__all__ = [
    "BASE_ARCHES",
    "ArchSelection",
    "UnsafeName",
    "build_log_url",
    "build_url",
    "compare_builds",
    "evr_key",
    "header_offset",
    "is_debuginfo",
    "rpm_filename",
    "rpm_url",
    "rpmvercmp",
    "select_arches",
    "select_rpms",
    "split_nvr",
    "stable_tags",
    "strip_epoch",
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


#: Taskotron's base arches and the concrete arches Koji builds RPMs for under each
#: (libtaskotron's ``arch_utils.Arches.binary``): asking for ``i386`` asks for i386, i486,
#: i586 and i686 RPMs, ``armhfp`` for armv7hl ones. Every other arch stands for itself.
BASE_ARCHES: dict[str, tuple[str, ...]] = {
    "armhfp": ("armhfp", "armv7hl"),
    "i386": ("i386", "i486", "i586", "i686"),
}


def _concrete(arches: Iterable[str]) -> set[str]:
    return {concrete for arch in arches for concrete in BASE_ARCHES.get(arch, (arch,))}


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

    @property
    def nothing(self) -> bool:
        """No RPM can be wanted (``arch: []`` without the source RPM): Koji need not be asked."""
        return self.arches == ()


def select_arches(
    arch: str | Sequence[str], arch_exclude: str | Sequence[str] = (), *, src: bool = False
) -> ArchSelection:
    """libtaskotron's arch rules.

    * ``all`` means every arch (noarch included);
    * ``src`` in the list means the source RPM, as ``src: true`` does;
    * a base arch means its concrete arches (``i386``: i386 to i686; ``BASE_ARCHES``), in
      ``arch_exclude`` too;
    * ``noarch`` is added whenever a binary arch is named: ``[]``, or ``[src]`` alone, asks for
      no binary RPM (the source RPM only, with ``src``);
    * ``arch_exclude`` wins over everything, ``noarch`` and ``src`` included.

    One arch may be given as a string, in ``arch`` and ``arch_exclude``.

    >>> select_arches(["x86_64"]).arches, select_arches(["src"]).arches
    (('noarch', 'x86_64'), ('src',))
    """
    wanted = [arch] if isinstance(arch, str) else list(arch)
    excluded = [arch_exclude] if isinstance(arch_exclude, str) else list(arch_exclude)
    exclude = frozenset(_concrete(excluded))
    src = src or "src" in wanted
    binary = [name for name in wanted if name != "src"]
    if "all" in binary:
        return ArchSelection(None, exclude, src)
    arches = _concrete(binary)
    if arches:
        arches.add("noarch")
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


def strip_epoch(nevr: str) -> str:
    """An N(E)VR as the NVR Koji names builds by: ``bar-4:1.2-3.fc20`` -> ``bar-1.2-3.fc20``
    (libtaskotron's ``rpmformat(nevr, 'nvr')``); anything else is returned unchanged."""
    try:
        name, version, release = split_nvr(nevr)
    except ValueError:
        return nevr
    epoch, colon, bare = version.partition(":")
    if colon and epoch.isdigit() and bare:
        return f"{name}-{bare}-{release}"
    return nevr


def _segments(text: str) -> Iterator[str]:
    """rpmvercmp's tokens: runs of digits, runs of letters, and ``~`` and ``^`` alone;
    everything else separates them."""
    index = 0
    while index < len(text):
        char = text[index]
        if char in "~^":
            yield char
            index += 1
        elif char.isascii() and char.isdigit():
            end = index
            while end < len(text) and text[end].isascii() and text[end].isdigit():
                end += 1
            yield text[index:end]
            index = end
        elif char.isascii() and char.isalpha():
            end = index
            while end < len(text) and text[end].isascii() and text[end].isalpha():
                end += 1
            yield text[index:end]
            index = end
        else:
            index += 1


def rpmvercmp(a: str, b: str) -> int:
    """RPM's comparison of two versions (or releases): -1, 0 or 1, as ``rpmvercmp`` in
    librpm: digit runs compare as numbers and beat letter runs, ``~`` sorts before anything
    (even the end), ``^`` after the end but before anything else.

    >>> rpmvercmp("1.10", "1.9"), rpmvercmp("1.0~rc1", "1.0"), rpmvercmp("1.0^git1", "1.0")
    (1, -1, 1)
    """
    if a == b:
        return 0
    one, two = list(_segments(a)), list(_segments(b))
    for index in range(max(len(one), len(two))):
        x = one[index] if index < len(one) else None
        y = two[index] if index < len(two) else None
        if x == "~" or y == "~":
            if x != y:
                return -1 if x == "~" else 1
            continue
        if x == "^" or y == "^":
            if x is None:
                return -1
            if y is None:
                return 1
            if x != y:
                return 1 if y == "^" else -1
            continue
        if x is None or y is None:
            return -1 if x is None else 1
        if x.isdigit() != y.isdigit():
            return 1 if x.isdigit() else -1
        if x.isdigit():
            x, y = x.lstrip("0"), y.lstrip("0")
            if len(x) != len(y):
                return 1 if len(x) > len(y) else -1
        if x != y:
            return 1 if x > y else -1
    return 0


def compare_builds(a: Mapping[str, Any], b: Mapping[str, Any]) -> int:
    """Koji builds (their ``epoch``, ``version``, ``release``) compared as RPM compares them:
    -1, 0 or 1. ``max(builds, key=evr_key)`` is the newest."""
    epochs = [e if isinstance(e, int) else 0 for e in (a.get("epoch"), b.get("epoch"))]
    if epochs[0] != epochs[1]:
        return 1 if epochs[0] > epochs[1] else -1
    return rpmvercmp(str(a["version"]), str(b["version"])) or rpmvercmp(
        str(a["release"]), str(b["release"])
    )


#: A sort key of Koji builds in RPM's order (see ``compare_builds``).
evr_key = functools.cmp_to_key(compare_builds)


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
