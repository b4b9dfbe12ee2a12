"""The ``koji`` directive's pure parts: parameters, arch selection, URL layout, configuration.

The downloads themselves run against the Koji stand-in in tests/integration/rpm/.
"""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path
from typing import Any, ClassVar

import pytest

from checkline.retry import RetryPolicy
from checkline.runner.directives.download import Expected, verify
from checkline.runner.directives.koji import Koji
from checkline.runner.directives.kojihub import service_config
from checkline.runner.directives.rpmfiles import (
    ArchSelection,
    UnsafeName,
    build_log_url,
    build_url,
    compare_builds,
    evr_key,
    header_offset,
    is_debuginfo,
    rpm_filename,
    rpm_url,
    rpmvercmp,
    select_arches,
    select_rpms,
    split_nvr,
    stable_tags,
    strip_epoch,
)
from checkline.runner.errors import DirectiveError, ParamsError

TOP = "https://kojipkgs.example.org"
BUILD = {"name": "xchat", "version": "0.5", "release": "1.fc20", "volume_name": "DEFAULT"}


def make_rpm(**overrides: Any) -> dict[str, Any]:
    rpm = {"name": "xchat", "version": "0.5", "release": "1.fc20", "arch": "x86_64"}
    rpm.update(overrides)
    return rpm


class TestParams:
    @pytest.mark.parametrize(
        "params",
        [
            {"action": "download", "koji_build": "xchat-0.5-1.fc20", "arch": ["x86_64"]},
            {"action": "download", "koji_build": "x-1-1", "arch": "all", "src": True},
            {"action": "download_tag", "koji_tag": "f40-updates", "arch": ["all"]},
            {"action": "download_latest_stable", "koji_build": "x-1-1.fc40", "arch": "noarch"},
            {
                "action": "download",
                "koji_build": "x-1-1",
                "arch": ["all"],
                "arch_exclude": ["i686"],
                "debuginfo": True,
                "build_log": True,
                "target_dir": "rpms",
            },
            # libtaskotron's: no binary arch and the source RPM; one arch excluded as a string
            {"action": "download", "koji_build": "x-1-1", "arch": [], "src": True},
            {"action": "download", "koji_build": "x-1-1", "arch": ["src"]},
            {"action": "download", "koji_build": "x-1-1", "arch": "all", "arch_exclude": "noarch"},
        ],
    )
    def test_valid(self, params: dict[str, Any]) -> None:
        """Assert Taskotron's parameter combinations validate; one arch becomes a list."""
        validated = Koji().validate(params)
        assert validated.action == params["action"]
        arch = params["arch"]
        assert validated.arch == ([arch] if isinstance(arch, str) else arch)
        exclude = params.get("arch_exclude", [])
        assert validated.arch_exclude == ([exclude] if isinstance(exclude, str) else exclude)

    @pytest.mark.parametrize(
        ("params", "problems"),
        [
            (
                {"action": "download", "arch": "all"},
                [((), "action 'download' needs 'koji_build'")],
            ),
            (
                {"action": "download_tag", "koji_build": "x-1-1", "koji_tag": "f40", "arch": "all"},
                [((), "action 'download_tag' takes 'koji_tag', not 'koji_build'")],
            ),
            (
                {"action": "upload", "koji_build": "x-1-1", "arch": "all"},
                [
                    (
                        ("action",),
                        "must be 'download', 'download_tag' or 'download_latest_stable',"
                        " 'upload' found",
                    )
                ],
            ),
            (
                {"action": "download", "koji_build": "x-1-1"},
                [(("arch",), "is required")],
            ),
            (
                {"action": "download", "koji_build": "x-1-1", "arch": ["x86_64", "../x"]},
                [(("arch", 1), "must match ^[a-z0-9_]+$, '../x' found")],
            ),
            (
                {"action": "download", "koji_build": "x-1-1", "arch": "all", "src": "yes"},
                [(("src",), "must be a boolean (true or false), 'str' found")],
            ),
            (
                {"action": "download", "koji_build": "x-1-1", "arch": "all", "arches": ["x"]},
                [
                    (
                        ("arches",),
                        "unknown key; valid keys: action, koji_build, koji_tag, arch,"
                        " arch_exclude, src, debuginfo, build_log, target_dir",
                    )
                ],
            ),
        ],
        ids=[
            "no-build",
            "both-items",
            "bad-action",
            "no-arch",
            "bad-arch",
            "src-type",
            "typo",
        ],
    )
    def test_invalid(self, params: dict[str, Any], problems: list[Any]) -> None:
        """Assert bad parameters are refused with exact messages and locations."""
        with pytest.raises(ParamsError) as caught:
            Koji().validate(params)
        assert caught.value.problems == problems


class TestSelectArches:
    def test_noarch_is_added(self) -> None:
        """Assert a list of arches gets noarch added (Taskotron's rule)."""
        assert select_arches(["x86_64"]) == ArchSelection(("noarch", "x86_64"), frozenset(), False)

    def test_all_asks_for_every_arch(self) -> None:
        """Assert 'all' (alone or in a list) asks Koji for every arch."""
        assert select_arches("all").arches is None
        assert select_arches(["x86_64", "all"]).arches is None

    def test_src_is_asked_for_only_when_wanted(self) -> None:
        """Assert src joins the arches with src=True, and is filtered out otherwise."""
        assert select_arches("i686", src=True).arches == ("i686", "noarch", "src")
        assert not select_arches("all").wants("src")
        assert select_arches("all", src=True).wants("src")

    def test_exclude_wins(self) -> None:
        """Assert arch_exclude removes an arch even from 'all', noarch included."""
        selection = select_arches("all", ["i686", "noarch"])
        assert [a for a in ("x86_64", "i686", "noarch", "aarch64") if selection.wants(a)] == [
            "x86_64",
            "aarch64",
        ]


class TestLibtaskotronArches:
    """The arch rules libtaskotron's koji directive had, which formulas rely on."""

    def test_src_in_arch_is_the_source_rpm(self) -> None:
        """Assert ``arch: [src]`` (csmock's formula) asks for the source RPM alone, and src
        beside binary arches adds it to them."""
        assert select_arches(["src"]) == ArchSelection(("src",), frozenset(), True)
        assert select_arches(["x86_64", "src"]).arches == ("noarch", "src", "x86_64")
        assert select_arches(["all", "src"]).wants("src")

    def test_empty_arch_is_no_binary_rpm(self) -> None:
        """Assert ``arch: []`` asks for nothing but the source RPM when src is set."""
        assert select_arches([]).nothing
        assert select_arches([], src=True) == ArchSelection(("src",), frozenset(), True)

    def test_base_arches_mean_their_concrete_arches(self) -> None:
        """Assert i386 and armhfp ask for the arches Koji builds under them, in arch_exclude
        too."""
        assert select_arches("i386").arches == ("i386", "i486", "i586", "i686", "noarch")
        assert select_arches(["armhfp"]).arches == ("armhfp", "armv7hl", "noarch")
        assert not select_arches("all", "i386").wants("i686")

    def test_one_excluded_arch_as_a_string(self) -> None:
        """Assert arch_exclude may be one arch as a string (abicheck's ``noarch``)."""
        selection = select_arches("all", "noarch")
        assert (selection.wants("noarch"), selection.wants("x86_64")) == (False, True)

    def test_exclude_wins_over_src(self) -> None:
        """Assert an excluded src is not downloaded, whether asked by src or arch."""
        assert not select_arches(["src"], ["src"]).wants("src")
        assert not select_arches("all", ["src"], src=True).wants("src")


class TestSelectRpms:
    RPMS: ClassVar[list[dict[str, Any]]] = [
        make_rpm(arch="x86_64"),
        make_rpm(name="xchat-debuginfo", arch="x86_64"),
        make_rpm(name="xchat-debugsource", arch="x86_64"),
        make_rpm(name="xchat-doc", arch="noarch"),
        make_rpm(arch="i686"),
        make_rpm(arch="src"),
    ]

    def names(self, rpms: Any) -> list[str]:
        return [rpm_filename(r) for r in rpms]

    def test_arch_and_noarch_without_debuginfo(self) -> None:
        """Assert the default leaves out other arches, src and debuginfo."""
        chosen = select_rpms(self.RPMS, select_arches(["x86_64"]))
        assert self.names(chosen) == [
            "xchat-0.5-1.fc20.x86_64.rpm",
            "xchat-doc-0.5-1.fc20.noarch.rpm",
        ]

    def test_debuginfo_and_src_when_asked(self) -> None:
        """Assert debuginfo=True and src=True add those RPMs."""
        chosen = select_rpms(self.RPMS, select_arches("x86_64", src=True), debuginfo=True)
        assert self.names(chosen) == [
            "xchat-0.5-1.fc20.src.rpm",
            "xchat-0.5-1.fc20.x86_64.rpm",
            "xchat-debuginfo-0.5-1.fc20.x86_64.rpm",
            "xchat-debugsource-0.5-1.fc20.x86_64.rpm",
            "xchat-doc-0.5-1.fc20.noarch.rpm",
        ]

    @pytest.mark.parametrize(
        ("name", "debug"),
        [
            ("xchat-debuginfo", True),
            ("xchat-debugsource", True),
            ("xchat-debuginfo-common-x86_64", True),
            ("debuginfod", False),
            ("xchat-debug", False),
        ],
    )
    def test_is_debuginfo(self, name: str, debug: bool) -> None:
        """Assert Koji's debuginfo rule."""
        assert is_debuginfo(name) is debug


class TestLayout:
    def test_rpm_url_is_kojis_layout(self) -> None:
        """Assert packages/<name>/<version>/<release>/<arch>/<nvr>.<arch>.rpm."""
        assert rpm_url(TOP + "/", BUILD, make_rpm(name="xchat-tcl")) == (
            f"{TOP}/packages/xchat/0.5/1.fc20/x86_64/xchat-tcl-0.5-1.fc20.x86_64.rpm"
        )

    def test_other_volume(self) -> None:
        """Assert a build on another volume lives under vol/<volume>/ (koji.PathInfo)."""
        assert build_url(TOP, {**BUILD, "volume_name": "archive"}) == (
            f"{TOP}/vol/archive/packages/xchat/0.5/1.fc20"
        )

    def test_build_log_url(self) -> None:
        """Assert data/logs/<arch>/build.log inside the build's directory."""
        assert build_log_url(TOP, BUILD, "noarch") == (
            f"{TOP}/packages/xchat/0.5/1.fc20/data/logs/noarch/build.log"
        )

    def test_characters_rpm_allows_are_quoted(self) -> None:
        """Assert '+' and '~' survive, quoted as URL path characters."""
        url = rpm_url(TOP, {**BUILD, "name": "g++"}, make_rpm(name="g++", version="1~rc1"))
        assert url == f"{TOP}/packages/g%2B%2B/0.5/1.fc20/x86_64/g%2B%2B-1~rc1-1.fc20.x86_64.rpm"

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("name", "../../x"),
            ("name", "a/b"),
            ("arch", ".."),
            ("release", "1\x00"),
            ("version", ""),
            ("name", "-rf"),
        ],
    )
    def test_unsafe_names_are_refused(self, field: str, value: str) -> None:
        """Assert a hub value that would escape a directory or look like an option is refused."""
        with pytest.raises(UnsafeName) as caught:
            rpm_filename(make_rpm(**{field: value}))
        assert str(caught.value) == f"unsafe RPM {field} {value!r}"

    def test_unsafe_build_field(self) -> None:
        """Assert the build's own fields are checked too."""
        with pytest.raises(UnsafeName, match=r"^unsafe build release '\.\.'$"):
            build_url(TOP, {**BUILD, "release": ".."})


class TestNvr:
    def test_split(self) -> None:
        assert split_nvr("python-foo-1.0-1.fc40") == ("python-foo", "1.0", "1.fc40")

    def test_not_an_nvr(self) -> None:
        """Assert a value without three parts is refused by name."""
        with pytest.raises(ValueError, match=r"^'foo-1' is not name-version-release$"):
            split_nvr("foo-1")

    @pytest.mark.parametrize(
        ("nvr", "tags"),
        [
            ("xchat-0.5-1.fc40", ["f40-updates", "f40"]),
            ("kernel-6.8.0-1.fc39.1", ["f39-updates", "f39"]),
        ],
    )
    def test_stable_tags(self, nvr: str, tags: list[str]) -> None:
        assert stable_tags(nvr) == tags

    @pytest.mark.parametrize(
        ("nevr", "nvr"),
        [
            ("bar-4:1.2-3.fc20", "bar-1.2-3.fc20"),
            ("bar-0:1.2-3.fc20", "bar-1.2-3.fc20"),
            ("python-foo-1.0-1.fc40", "python-foo-1.0-1.fc40"),
            ("not-an:nvr", "not-an:nvr"),
            ("x-a:1-1", "x-a:1-1"),  # not a number before the colon: left as it is
        ],
    )
    def test_strip_epoch(self, nevr: str, nvr: str) -> None:
        """Assert an N(E)VR loses its epoch, as libtaskotron's rpmformat(nevr, 'nvr')."""
        assert strip_epoch(nevr) == nvr

    def test_no_fedora_dist_tag(self) -> None:
        """Assert a release without .fcNN cannot name stable tags."""
        with pytest.raises(ValueError) as caught:
            stable_tags("xchat-0.5-1.el9")
        assert str(caught.value) == (
            "'xchat-0.5-1.el9' has no Fedora dist tag (.fcNN) to find a stable tag by"
        )


def fake_rpm(payload: bytes, index_entries: int = 2, store: int = 13) -> tuple[bytes, int]:
    """Bytes shaped like an RPM (lead, signature header, padding) and where its header starts."""
    lead = b"\xed\xab\xee\xdb" + bytes(92)
    intro = b"\x8e\xad\xe8\x01" + bytes(4) + struct.pack(">II", index_entries, store)
    body = bytes(16 * index_entries + store)
    pad = bytes(-(len(intro) + len(body)) % 8)
    prefix = lead + intro + body + pad
    return prefix + payload, len(prefix)


class TestVerify:
    def test_header_offset_skips_the_padded_signature(self) -> None:
        """Assert the header starts after the lead and the 8-byte-aligned signature header."""
        data, start = fake_rpm(b"header and payload")
        assert start == 96 + 16 + 32 + 13 + 3
        assert header_offset(data) == start

    def test_not_an_rpm(self) -> None:
        """Assert a file without the signature magic is not an RPM."""
        with pytest.raises(ValueError, match=r"^not an RPM file \(no signature header"):
            header_offset(b"<html>404</html>" * 20)

    def test_size_and_md5_match(self, tmp_path: Path) -> None:
        """Assert a file matching Koji's size and payloadhash verifies."""
        data, start = fake_rpm(b"header and payload")
        path = tmp_path / "x.rpm"
        path.write_bytes(data)
        md5 = hashlib.md5(data[start:], usedforsecurity=False).hexdigest()
        assert verify(path, Expected(size=len(data), sigmd5=md5)) is None
        assert verify(path, Expected()) is None

    def test_wrong_size(self, tmp_path: Path) -> None:
        path = tmp_path / "x.rpm"
        path.write_bytes(fake_rpm(b"abc")[0])
        assert verify(path, Expected(size=1)) == f"size {path.stat().st_size} differs from Koji's 1"

    def test_wrong_md5(self, tmp_path: Path) -> None:
        """Assert a changed payload is caught by the header+payload MD5."""
        data, start = fake_rpm(b"header and payload")
        good = hashlib.md5(data[start:], usedforsecurity=False).hexdigest()
        bad = data[:-1] + b"X"
        path = tmp_path / "x.rpm"
        path.write_bytes(bad)
        got = hashlib.md5(bad[start:], usedforsecurity=False).hexdigest()
        assert verify(path, Expected(size=len(bad), sigmd5=good)) == (
            f"MD5 {got} differs from Koji's payloadhash {good}"
        )


class TestServiceConfig:
    def test_fedora_defaults(self) -> None:
        """Assert an empty environment means Fedora's real services."""
        config = service_config({})
        assert config.koji_hub == "https://koji.fedoraproject.org/kojihub"
        assert config.koji_topurl == "https://kojipkgs.fedoraproject.org"
        assert config.bodhi_url == "https://bodhi.fedoraproject.org"
        assert config.retry == RetryPolicy(attempts=4, base=2.0, cap=None, jitter=False)

    def test_environment_overrides(self) -> None:
        config = service_config(
            {
                "CHECKLINE_KOJI_HUB": "http://127.0.0.1:1/kojihub/",
                "CHECKLINE_KOJI_TOPURL": "http://127.0.0.1:1/kojifiles",
                "CHECKLINE_BODHI_URL": "http://127.0.0.1:2",
                "CHECKLINE_KOJI_RETRIES": "0",
                "CHECKLINE_KOJI_RETRY_WAIT": "0.5",
            }
        )
        assert config.koji_hub == "http://127.0.0.1:1/kojihub"
        assert config.koji_topurl == "http://127.0.0.1:1/kojifiles"
        assert config.bodhi_url == "http://127.0.0.1:2"
        assert config.retry == RetryPolicy(attempts=1, base=0.5, cap=None, jitter=False)

    def test_bad_number(self) -> None:
        """Assert a retry setting that is not a number is an execution error by name."""
        with pytest.raises(DirectiveError) as caught:
            service_config({"CHECKLINE_KOJI_RETRIES": "many"})
        assert str(caught.value) == (
            "CHECKLINE_KOJI_RETRIES/_RETRY_WAIT must be numbers:"
            " invalid literal for int() with base 10: 'many'"
        )

    def test_negative(self) -> None:
        with pytest.raises(DirectiveError) as caught:
            service_config({"CHECKLINE_KOJI_RETRY_WAIT": "-1"})
        assert str(caught.value) == ("CHECKLINE_KOJI_RETRIES and _RETRY_WAIT must not be negative")


class TestRpmOrder:
    @pytest.mark.parametrize(
        ("a", "b", "expected"),
        [
            ("1.0", "1.0", 0),
            ("2.0", "1.0", 1),
            ("2.0.1", "2.0", 1),
            ("2.0.1a", "2.0.1", 1),
            ("5.5p10", "5.5p1", 1),
            ("10.1xyz", "10xyz", 1),
            ("8", "xyz.4", 1),  # digits beat letters
            ("6.0.rc1", "6.0", 1),
            ("10.0001", "10.1", 0),  # leading zeros do not count
            ("4.999.9", "5.0", -1),
            ("2.0", "2_0", 0),  # separators are only separators
            ("1.0~rc1", "1.0", -1),  # ~ sorts before the end
            ("1.0~rc1", "1.0~rc2", -1),
            ("1.0^git1", "1.0", 1),  # ^ after the end
            ("1.0^git1", "1.01", -1),  # ... but before anything else
            ("1.0^20160102", "1.0^20160101^git1", 1),
            ("1.0~rc1^git1", "1.0~rc1", 1),
            ("1.0^git1~pre", "1.0^git1", -1),
        ],
    )
    def test_rpmvercmp_is_rpms_order(self, a: str, b: str, expected: int) -> None:
        """Assert versions compare as librpm's rpmvercmp (cases from rpm's own test suite)."""
        assert (rpmvercmp(a, b), rpmvercmp(b, a)) == (expected, -expected)

    def test_builds_by_epoch_then_version_then_release(self) -> None:
        """Assert builds sort by epoch (None is 0), then version, then release."""
        old = {"epoch": None, "version": "1.10", "release": "1.fc40"}
        new = {"epoch": None, "version": "1.10", "release": "2.fc40"}
        older_version = {"epoch": None, "version": "1.9", "release": "9.fc40"}
        epoch = {"epoch": 1, "version": "0.1", "release": "1.fc40"}
        assert max([old, epoch, new, older_version], key=evr_key) is epoch
        assert sorted([new, older_version, old], key=evr_key) == [older_version, old, new]
        assert compare_builds(old, {**old, "epoch": 0}) == 0
