"""The ``koji`` directive against the Koji stand-in: koji.ClientSession and real downloads."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest

from checkline.runner.context import RunContext
from checkline.runner.directives.koji import Koji
from checkline.runner.errors import ActionTimeout, DirectiveError, ItemNotFound, RunCancelled
from checkline.runner.process import CancelToken
from tests.standins.koji import KojiStandin

MakeCtx = Callable[..., RunContext]

MULTI = "checkline-multi-1.0-1.fc40"
CLEAN_NOARCH = "packages/checkline-clean/1.0/1.fc40/noarch/checkline-clean-1.0-1.fc40.noarch.rpm"


def run(params: dict[str, Any], ctx: RunContext) -> dict[str, list[str]]:
    koji = Koji()
    return koji.run(koji.validate(params), ctx)


def names(paths: list[str]) -> list[str]:
    return [Path(p).name for p in paths]


def download(ctx: RunContext, **params: Any) -> dict[str, list[str]]:
    return run({"action": "download", "koji_build": MULTI, **params}, ctx)


class TestSelection:
    def test_arch_gets_noarch_too(self, koji: KojiStandin, make_ctx: MakeCtx) -> None:
        """Assert one arch brings its RPMs and the noarch ones, not debuginfo, src or others."""
        ctx = make_ctx()
        out = download(ctx, arch=["x86_64"])
        assert names(out["downloaded_rpms"]) == [
            "checkline-multi-1.0-1.fc40.x86_64.rpm",
            "checkline-multi-doc-1.0-1.fc40.noarch.rpm",
        ]
        assert all(Path(p).parent == ctx.workdir for p in out["downloaded_rpms"])
        assert out["downloaded_logs"] == [] and out["log_errors"] == []

    def test_files_are_kojis_bytes(self, koji: KojiStandin, make_ctx: MakeCtx) -> None:
        """Assert each downloaded file is byte for byte the one in Koji's tree."""
        out = download(make_ctx(), arch="i686", target_dir="rpms")
        for path in map(Path, out["downloaded_rpms"]):
            arch = path.name.rsplit(".", 2)[1]
            original = koji.root / "packages/checkline-multi/1.0/1.fc40" / arch / path.name
            assert path.read_bytes() == original.read_bytes()
            assert path.parent.name == "rpms"

    def test_all_src_debuginfo_and_exclude(self, koji: KojiStandin, make_ctx: MakeCtx) -> None:
        """Assert arch all + src + debuginfo, minus arch_exclude."""
        out = download(make_ctx(), arch="all", src=True, debuginfo=True, arch_exclude=["i686"])
        assert names(out["downloaded_rpms"]) == [
            "checkline-multi-1.0-1.fc40.aarch64.rpm",
            "checkline-multi-1.0-1.fc40.src.rpm",
            "checkline-multi-1.0-1.fc40.x86_64.rpm",
            "checkline-multi-debuginfo-1.0-1.fc40.aarch64.rpm",
            "checkline-multi-debuginfo-1.0-1.fc40.x86_64.rpm",
            "checkline-multi-doc-1.0-1.fc40.noarch.rpm",
        ]

    def test_noarch_only_build(self, koji: KojiStandin, make_ctx: MakeCtx) -> None:
        """Assert a noarch build downloads for any arch asked."""
        out = run(
            {"action": "download", "koji_build": "checkline-clean-1.0-1.fc40", "arch": "ppc64le"},
            make_ctx(),
        )
        assert names(out["downloaded_rpms"]) == ["checkline-clean-1.0-1.fc40.noarch.rpm"]

    def test_arch_the_build_lacks(self, koji: KojiStandin, make_ctx: MakeCtx) -> None:
        """Assert an arch-specific build gives nothing for an arch it was not built for."""
        out = run(
            {"action": "download", "koji_build": "checkline-broken-2.1-3.fc40", "arch": "s390x"},
            make_ctx(),
        )
        assert out["downloaded_rpms"] == []

    def test_build_logs(self, koji: KojiStandin, make_ctx: MakeCtx) -> None:
        """Assert build_log fetches data/logs/<arch>/build.log; a missing one is a log error."""
        out = download(make_ctx(), arch="aarch64", build_log=True)
        assert names(out["downloaded_logs"]) == ["build.log.aarch64"]
        assert out["log_errors"] == ["noarch"]  # the -doc subpackage; rpmbuild logged aarch64
        log = Path(out["downloaded_logs"][0]).read_text()
        assert "checkline-multi-1.0-1.fc40.aarch64.rpm" in log  # rpmbuild's "Wrote:" line

    def test_xmlrpc_calls_are_kojis(self, koji: KojiStandin, make_ctx: MakeCtx) -> None:
        """Assert the directive talked XML-RPC to /kojihub and fetched files under the topurl."""
        download(make_ctx(), arch="x86_64")
        posts = [path for method, path, _ in koji.requests if method == "POST"]
        gets = [path for method, path, _ in koji.requests if method == "GET"]
        assert posts and set(posts) == {"/kojihub"}
        assert gets == [
            "/kojifiles/packages/checkline-multi/1.0/1.fc40/x86_64/checkline-multi-1.0-1.fc40.x86_64.rpm",
            "/kojifiles/packages/checkline-multi/1.0/1.fc40/noarch/checkline-multi-doc-1.0-1.fc40.noarch.rpm",
        ]


class TestLibtaskotronParameters:
    """The parameters real formulas pass, with libtaskotron's meaning (each used to differ)."""

    def test_arch_src_is_the_source_rpm(self, koji: KojiStandin, make_ctx: MakeCtx) -> None:
        """Assert ``arch: [src]`` (csmock's formula, which reads downloaded_rpms[0]) downloads
        the source RPM alone; it used to download only noarch RPMs."""
        out = download(make_ctx(), arch=["src"])
        assert names(out["downloaded_rpms"]) == ["checkline-multi-1.0-1.fc40.src.rpm"]

    def test_src_beside_binary_arches(self, koji: KojiStandin, make_ctx: MakeCtx) -> None:
        """Assert src in a list of arches adds the source RPM to theirs and noarch."""
        out = download(make_ctx(), arch=["x86_64", "src"])
        assert names(out["downloaded_rpms"]) == [
            "checkline-multi-1.0-1.fc40.src.rpm",
            "checkline-multi-1.0-1.fc40.x86_64.rpm",
            "checkline-multi-doc-1.0-1.fc40.noarch.rpm",
        ]

    def test_empty_arch(self, koji: KojiStandin, make_ctx: MakeCtx) -> None:
        """Assert ``arch: []`` downloads no binary RPM: the source RPM with src, else nothing
        (and the build is still checked to exist)."""
        assert names(download(make_ctx(), arch=[], src=True)["downloaded_rpms"]) == [
            "checkline-multi-1.0-1.fc40.src.rpm"
        ]
        assert download(make_ctx(), arch=[])["downloaded_rpms"] == []
        with pytest.raises(ItemNotFound):
            run({"action": "download", "koji_build": "nope-1-1.fc40", "arch": []}, make_ctx())

    def test_base_arch_means_its_concrete_arches(
        self, koji: KojiStandin, make_ctx: MakeCtx
    ) -> None:
        """Assert ``arch: i386`` (a Taskotron job's arch) downloads the i686 RPMs, and
        excluding i386 from all leaves them out."""
        out = download(make_ctx(), arch="i386")
        assert names(out["downloaded_rpms"]) == [
            "checkline-multi-1.0-1.fc40.i686.rpm",
            "checkline-multi-doc-1.0-1.fc40.noarch.rpm",
        ]
        out = download(make_ctx(), arch="all", arch_exclude=["i386", "noarch"])
        assert names(out["downloaded_rpms"]) == [
            "checkline-multi-1.0-1.fc40.aarch64.rpm",
            "checkline-multi-1.0-1.fc40.x86_64.rpm",
        ]

    def test_abichecks_parameters(self, koji: KojiStandin, make_ctx: MakeCtx) -> None:
        """Assert libtaskotron's abicheck example (arch all, arch_exclude the string noarch,
        debuginfo) downloads every binary arch with its debuginfo, and no noarch RPM."""
        out = download(make_ctx(), arch="all", arch_exclude="noarch", debuginfo=True)
        assert names(out["downloaded_rpms"]) == [
            "checkline-multi-1.0-1.fc40.aarch64.rpm",
            "checkline-multi-1.0-1.fc40.i686.rpm",
            "checkline-multi-1.0-1.fc40.x86_64.rpm",
            "checkline-multi-debuginfo-1.0-1.fc40.aarch64.rpm",
            "checkline-multi-debuginfo-1.0-1.fc40.i686.rpm",
            "checkline-multi-debuginfo-1.0-1.fc40.x86_64.rpm",
        ]

    def test_koji_build_with_an_epoch(self, koji: KojiStandin, make_ctx: MakeCtx) -> None:
        """Assert an N(E)VR is asked for by its NVR, as libtaskotron did (Koji knows no
        epoch in a build's name); it used to be a job error, 'does not exist'."""
        out = run(
            {"action": "download", "koji_build": "checkline-multi-0:1.0-1.fc40", "arch": "x86_64"},
            make_ctx(),
        )
        assert names(out["downloaded_rpms"]) == [
            "checkline-multi-1.0-1.fc40.x86_64.rpm",
            "checkline-multi-doc-1.0-1.fc40.noarch.rpm",
        ]

    def test_build_log_is_ignored_for_a_tag(
        self, koji: KojiStandin, make_ctx: MakeCtx, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Assert download_tag with build_log fetches no log, and says so (libtaskotron's
        warning); it used to fetch every build's logs."""
        ctx = make_ctx()
        with caplog.at_level("WARNING", logger=ctx.log.name):
            out = run(
                {"action": "download_tag", "koji_tag": "f40-updates", "arch": "all",
                 "build_log": True},
                ctx,
            )  # fmt: skip
        assert names(out["downloaded_rpms"]) == ["checkline-clean-1.0-1.fc40.noarch.rpm"]
        assert (out["downloaded_logs"], out["log_errors"]) == ([], [])
        assert not [p for m, p, _ in koji.requests if m == "GET" and p.endswith("build.log")]
        assert "build_log is for one build" in caplog.text

    def test_latest_stable_is_the_newest_of_both_tags(
        self, koji: KojiStandin, make_ctx: MakeCtx
    ) -> None:
        """Assert download_latest_stable takes the newest build (by RPM's order) of the latest
        ones in fNN-updates and fNN, as libtaskotron did; it used to take updates' first."""
        clean = koji.data.build("checkline-clean-1.0-1.fc40")
        assert clean is not None
        older = {**clean, "id": 900, "build_id": 900, "version": "0.9",
                 "nvr": "checkline-clean-0.9-1.fc40"}  # fmt: skip
        koji.data.builds[900] = older
        koji.data.rpms[900] = []
        koji.data.tags["f40-updates"] = ["checkline-clean-0.9-1.fc40"]
        out = run(
            {"action": "download_latest_stable", "koji_build": "checkline-clean-9.9-1.fc40",
             "arch": "x86_64"},
            make_ctx(),
        )  # fmt: skip
        assert names(out["downloaded_rpms"]) == ["checkline-clean-1.0-1.fc40.noarch.rpm"]


class TestTags:
    def test_download_tag(self, koji: KojiStandin, make_ctx: MakeCtx) -> None:
        """Assert download_tag fetches the latest build of each package in the tag."""
        out = run({"action": "download_tag", "koji_tag": "f40-updates", "arch": "all"}, make_ctx())
        assert names(out["downloaded_rpms"]) == ["checkline-clean-1.0-1.fc40.noarch.rpm"]

    def test_missing_tag_is_a_job_error(self, koji: KojiStandin, make_ctx: MakeCtx) -> None:
        with pytest.raises(ItemNotFound) as caught:
            run({"action": "download_tag", "koji_tag": "f99", "arch": "all"}, make_ctx())
        assert str(caught.value) == f"Koji tag 'f99' does not exist (hub {koji.hub_url})"

    @pytest.mark.parametrize(
        ("nvr", "expected"),
        [
            ("checkline-clean-9.9-1.fc40", ["checkline-clean-1.0-1.fc40.noarch.rpm"]),  # updates
            ("checkline-broken-3.0-1.fc40", ["checkline-broken-2.1-3.fc40.x86_64.rpm"]),  # base
            ("nothing-stable-1.0-1.fc40", []),
            ("checkline-clean-2.0-1.fc41", []),  # no f41 tags on this hub
        ],
    )
    def test_download_latest_stable(
        self, koji: KojiStandin, make_ctx: MakeCtx, nvr: str, expected: list[str]
    ) -> None:
        """Assert the latest build of the package in fNN-updates, else fNN, else nothing."""
        out = run(
            {"action": "download_latest_stable", "koji_build": nvr, "arch": "x86_64"}, make_ctx()
        )
        assert names(out["downloaded_rpms"]) == expected

    def test_latest_stable_needs_a_dist_tag(self, koji: KojiStandin, make_ctx: MakeCtx) -> None:
        with pytest.raises(DirectiveError) as caught:
            run(
                {"action": "download_latest_stable", "koji_build": "x-1-1.el9", "arch": "all"},
                make_ctx(),
            )
        assert str(caught.value) == (
            "download_latest_stable: 'x-1-1.el9' has no Fedora dist tag (.fcNN)"
            " to find a stable tag by"
        )


class TestFailures:
    def test_missing_build_is_a_job_error(self, koji: KojiStandin, make_ctx: MakeCtx) -> None:
        """Assert a build the hub does not know is ItemNotFound (a job error) naming the NVR."""
        with pytest.raises(ItemNotFound) as caught:
            run({"action": "download", "koji_build": "nope-1.0-1.fc40", "arch": "all"}, make_ctx())
        assert str(caught.value) == (
            f"Koji build 'nope-1.0-1.fc40' does not exist (hub {koji.hub_url})"
        )

    def test_deleted_build_is_a_job_error(self, koji: KojiStandin, make_ctx: MakeCtx) -> None:
        build = koji.data.build(MULTI)
        assert build is not None
        build["state"] = 2  # DELETED
        with pytest.raises(ItemNotFound) as caught:
            download(make_ctx(), arch="all")
        assert str(caught.value) == (
            f"Koji build {MULTI!r} is DELETED, not COMPLETE (hub {koji.hub_url})"
        )

    def test_unreachable_hub_is_a_transient_execution_error(
        self, make_ctx: MakeCtx, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Assert a hub nobody listens on is a transient DirectiveError (after koji's retries)."""
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        monkeypatch.setenv("CHECKLINE_KOJI_HUB", f"http://127.0.0.1:{port}/kojihub")
        monkeypatch.setenv("CHECKLINE_KOJI_RETRIES", "1")
        monkeypatch.setenv("CHECKLINE_KOJI_RETRY_WAIT", "0.01")
        with pytest.raises(DirectiveError) as caught:
            download(make_ctx(), arch="all")
        assert caught.value.transient is True
        assert str(caught.value).startswith(
            f"cannot reach the Koji hub http://127.0.0.1:{port}/kojihub: ConnectionError: "
        )

    def test_not_a_hub(self, koji: KojiStandin, make_ctx: MakeCtx, monkeypatch: Any) -> None:
        """Assert a URL that answers something else than XML-RPC is a non-transient error."""
        monkeypatch.setenv("CHECKLINE_KOJI_HUB", koji.url + "/elsewhere")
        with pytest.raises(DirectiveError) as caught:
            download(make_ctx(), arch="all")
        assert caught.value.transient is False
        assert str(caught.value) == f"{koji.url}/elsewhere did not answer as a Koji hub (HTTP 404)"

    def test_hub_fault_is_an_execution_error(self, koji: KojiStandin, make_ctx: MakeCtx) -> None:
        """Assert a Koji fault (koji.GenericError) is a non-transient error naming the call."""
        koji.faults.method_faults["listRPMs"] = "database is on fire"
        with pytest.raises(DirectiveError) as caught:
            download(make_ctx(), arch="all")
        assert str(caught.value) == f"Koji hub {koji.hub_url}: listRPMs failed: database is on fire"
        assert caught.value.transient is False

    def test_hub_5xx_is_retried_by_koji(self, koji: KojiStandin, make_ctx: MakeCtx) -> None:
        """Assert koji.ClientSession retries a 503 (anon_retry), then the call goes through."""
        koji.faults.hub_answers[:] = [(503, b"busy"), (503, b"busy")]
        out = download(make_ctx(), arch="x86_64")
        assert len(out["downloaded_rpms"]) == 2
        assert koji.faults.hub_answers == []

    def test_hub_5xx_past_the_retries(self, koji: KojiStandin, make_ctx: MakeCtx) -> None:
        """Assert a hub answering 503 to every attempt is a transient execution error."""
        koji.faults.hub_answers[:] = [(503, b"busy")] * 3
        with pytest.raises(DirectiveError) as caught:
            download(make_ctx(), arch="x86_64")
        assert str(caught.value) == f"the Koji hub {koji.hub_url} failed: HTTP 503"
        assert caught.value.transient is True

    def test_hub_answering_html(self, koji: KojiStandin, make_ctx: MakeCtx) -> None:
        """Assert a 200 that is not XML-RPC (a login page, a proxy) is not taken for data.

        koji.ClientSession retries it like any error, so every attempt gets the page.
        """
        koji.faults.hub_answers[:] = [(200, b"<html><body>Welcome</html>")] * 3
        with pytest.raises(DirectiveError) as caught:
            download(make_ctx(), arch="x86_64")
        assert str(caught.value) == (
            f"{koji.hub_url} did not answer as a Koji hub"
            " (not XML-RPC: mismatched tag: line 1, column 21)"
        )
        assert caught.value.transient is False

    def test_action_timeout_stops_a_download(self, koji: KojiStandin, make_ctx: MakeCtx) -> None:
        """Assert the action's timeout applies to downloads (ActionTimeout, transient)."""
        with pytest.raises(ActionTimeout) as caught:
            download(make_ctx(timeout=1e-9), arch="x86_64")
        assert str(caught.value) == (
            f"download of {koji.topurl}/packages/checkline-multi/1.0/1.fc40/x86_64/"
            "checkline-multi-1.0-1.fc40.x86_64.rpm ran past the action's timeout"
        )
        assert caught.value.transient is True

    def test_malicious_rpm_name_never_escapes(self, koji: KojiStandin, make_ctx: MakeCtx) -> None:
        """Assert an RPM named ../../x by the hub is refused, and nothing is written outside."""
        build = koji.data.build(MULTI)
        assert build is not None
        koji.data.rpms[build["id"]].append(
            {**koji.data.rpms[build["id"]][0], "name": "../../x", "arch": "x86_64", "id": 999}
        )
        ctx = make_ctx()
        with pytest.raises(DirectiveError) as caught:
            download(ctx, arch="x86_64", target_dir="rpms")
        assert str(caught.value) == "the Koji hub gave an unsafe RPM name '../../x'; refused"
        assert caught.value.transient is False
        assert not (ctx.workdir.parent / "x.rpm").exists()
        assert not list(ctx.workdir.parent.rglob("x*.rpm"))

    def test_missing_file_is_an_execution_error(self, koji: KojiStandin, make_ctx: MakeCtx) -> None:
        """Assert a file the hub lists but the file server lacks (404) fails at once."""
        koji.faults.statuses[CLEAN_NOARCH] = [404]
        with pytest.raises(DirectiveError) as caught:
            run(
                {"action": "download", "koji_build": "checkline-clean-1.0-1.fc40", "arch": "all"},
                make_ctx(),
            )
        assert str(caught.value) == f"{koji.topurl}/{CLEAN_NOARCH}: HTTP 404"
        assert caught.value.transient is False
        assert len(koji.file_requests("checkline-clean-1.0-1.fc40.noarch.rpm")) == 1


class TestResilience:
    BUILD: ClassVar[dict[str, str]] = {
        "action": "download",
        "koji_build": "checkline-clean-1.0-1.fc40",
        "arch": "all",
    }

    def test_interrupted_download_resumes(self, koji: KojiStandin, make_ctx: MakeCtx) -> None:
        """Assert a connection cut after 1000 bytes is resumed from byte 1000, and verifies."""
        koji.faults.cut_after[CLEAN_NOARCH] = 1000
        out = run(self.BUILD, make_ctx())
        assert koji.file_requests("checkline-clean-1.0-1.fc40.noarch.rpm") == [None, "bytes=1000-"]
        path = Path(out["downloaded_rpms"][0])
        assert path.read_bytes() == (koji.root / CLEAN_NOARCH).read_bytes()
        assert not path.with_name(path.name + ".part").exists()

    def test_leftover_part_file_is_resumed(self, koji: KojiStandin, make_ctx: MakeCtx) -> None:
        """Assert a .part file left by an earlier, killed run is continued, not restarted."""
        ctx = make_ctx()
        original = (koji.root / CLEAN_NOARCH).read_bytes()
        part = ctx.workdir / "checkline-clean-1.0-1.fc40.noarch.rpm.part"
        part.write_bytes(original[:2500])
        out = run(self.BUILD, ctx)
        assert koji.file_requests("checkline-clean-1.0-1.fc40.noarch.rpm") == ["bytes=2500-"]
        assert Path(out["downloaded_rpms"][0]).read_bytes() == original

    @pytest.mark.parametrize("fault", ["ignore_range", "wrong_range"])
    def test_server_not_honouring_the_range(
        self, koji: KojiStandin, make_ctx: MakeCtx, fault: str
    ) -> None:
        """Assert a 200 (whole file) or a 206 for another range never corrupts a resume."""
        getattr(koji.faults, fault).add(CLEAN_NOARCH)
        ctx = make_ctx()
        original = (koji.root / CLEAN_NOARCH).read_bytes()
        (ctx.workdir / "checkline-clean-1.0-1.fc40.noarch.rpm.part").write_bytes(original[:2500])
        out = run(self.BUILD, ctx)
        assert Path(out["downloaded_rpms"][0]).read_bytes() == original
        expected = ["bytes=2500-"] if fault == "ignore_range" else ["bytes=2500-", None]
        assert koji.file_requests("checkline-clean-1.0-1.fc40.noarch.rpm") == expected

    def test_verified_file_is_not_fetched_again(self, koji: KojiStandin, make_ctx: MakeCtx) -> None:
        ctx = make_ctx()
        run(self.BUILD, ctx)
        run(self.BUILD, ctx)
        assert len(koji.file_requests("checkline-clean-1.0-1.fc40.noarch.rpm")) == 1

    def test_transient_5xx_is_retried(self, koji: KojiStandin, make_ctx: MakeCtx) -> None:
        koji.faults.statuses[CLEAN_NOARCH] = [503, 502]
        out = run(self.BUILD, make_ctx())
        assert len(koji.file_requests("checkline-clean-1.0-1.fc40.noarch.rpm")) == 3
        assert names(out["downloaded_rpms"]) == ["checkline-clean-1.0-1.fc40.noarch.rpm"]

    def test_5xx_past_the_retries_is_transient(self, koji: KojiStandin, make_ctx: MakeCtx) -> None:
        """Assert 3 attempts (CHECKLINE_KOJI_RETRIES=2) of 503s end in a transient error."""
        koji.faults.statuses[CLEAN_NOARCH] = [503, 503, 503]
        with pytest.raises(DirectiveError) as caught:
            run(self.BUILD, make_ctx())
        assert str(caught.value) == (
            f"download of {koji.topurl}/{CLEAN_NOARCH} failed after 3 attempts: HTTP 503"
        )
        assert caught.value.transient is True

    def test_corrupt_file_is_caught_by_the_checksum(
        self, koji: KojiStandin, make_ctx: MakeCtx
    ) -> None:
        """Assert a file with a flipped byte fails the payloadhash check, every attempt."""
        koji.faults.corrupt.add(CLEAN_NOARCH)
        ctx = make_ctx()
        build = koji.data.build("checkline-clean-1.0-1.fc40")
        assert build is not None
        (rpm,) = [r for r in koji.data.rpms[build["id"]] if r["arch"] == "noarch"]
        with pytest.raises(DirectiveError) as caught:
            run(self.BUILD, ctx)
        message = re.escape(f"differs from Koji's payloadhash {rpm['payloadhash']}")
        assert re.fullmatch(
            rf"checkline-clean-1\.0-1\.fc40\.noarch\.rpm: MD5 [0-9a-f]{{32}} {message}"
            r" \(downloaded 3 times\)",
            str(caught.value),
        )
        assert caught.value.transient is False
        assert len(koji.file_requests("checkline-clean-1.0-1.fc40.noarch.rpm")) == 3
        assert list(ctx.workdir.iterdir()) == []  # no bad file, no .part left behind

    def test_wrong_size_is_caught(self, koji: KojiStandin, make_ctx: MakeCtx) -> None:
        build = koji.data.build("checkline-clean-1.0-1.fc40")
        assert build is not None
        (rpm,) = [r for r in koji.data.rpms[build["id"]] if r["arch"] == "noarch"]
        real = rpm["size"]
        rpm["size"] = real + 1
        with pytest.raises(DirectiveError) as caught:
            run(self.BUILD, make_ctx())
        assert str(caught.value) == (
            f"checkline-clean-1.0-1.fc40.noarch.rpm: size {real} differs from Koji's {real + 1}"
            " (downloaded 3 times)"
        )

    def test_cancel_stops_the_retries(self, koji: KojiStandin, make_ctx: MakeCtx) -> None:
        """Assert a cancelled run stops waiting between attempts at once."""
        koji.faults.statuses[CLEAN_NOARCH] = [503] * 5
        cancel = CancelToken()
        cancel.cancel("SIGTERM")
        with pytest.raises(RunCancelled, match=r"^cancelled by SIGTERM$"):
            run(self.BUILD, make_ctx(cancel=cancel))


def test_standin_starts_from_the_command_line(koji_tree: Path) -> None:
    """Assert `python -m tests.standins.koji` serves the tree and koji.ClientSession reads it."""
    import koji as kojilib

    repo = Path(__file__).resolve().parents[3]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.standins.koji", "--root", str(koji_tree), "--port", "0"],
        cwd=repo,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(repo)},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        hub = line.split()[0].removeprefix("hub=")
        build = kojilib.ClientSession(hub).getBuild(MULTI)
        assert build["nvr"] == MULTI
    finally:
        proc.terminate()
        proc.wait(10)
