"""The ``distgit`` directive against the dist-git stand-in (Pagure's raw file URLs)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from checkline.runner.context import RunContext
from checkline.runner.directives.distgit import Distgit
from checkline.runner.errors import ItemNotFound
from tests.standins.distgit import DistgitStandin
from tests.standins.rpms import SPECS

MakeCtx = Callable[..., RunContext]


def run(ctx: RunContext, **params: Any) -> dict[str, list[str]]:
    distgit = Distgit()
    return distgit.run(distgit.validate(params), ctx)


def test_spec_of_an_nvr(distgit: DistgitStandin, make_ctx: MakeCtx) -> None:
    """Assert nvr -> the package's <name>.spec at rawhide, into the working directory."""
    ctx = make_ctx()
    out = run(ctx, nvr="checkline-clean-1.0-1.fc40")
    assert out == {"downloaded_files": [str(ctx.workdir / "checkline-clean.spec")]}
    spec = Path(out["downloaded_files"][0]).read_text()
    assert spec == (SPECS / "checkline-clean.spec").read_text()
    assert distgit.requests == ["/rpms/checkline-clean/raw/rawhide/f/checkline-clean.spec"]


def test_paths_localpaths_and_ref(distgit: DistgitStandin, make_ctx: MakeCtx) -> None:
    ctx = make_ctx()
    out = run(
        ctx,
        package="checkline-broken",
        gitref="f40",
        path=["checkline-broken.spec"],
        localpath=["specs/broken.spec"],
        target_dir="dg",
    )
    assert out == {"downloaded_files": [str(ctx.workdir / "dg" / "specs" / "broken.spec")]}
    assert "Name:           checkline-broken" in Path(out["downloaded_files"][0]).read_text()


def test_missing_file_is_a_job_error(distgit: DistgitStandin, make_ctx: MakeCtx) -> None:
    with pytest.raises(ItemNotFound) as caught:
        run(make_ctx(), package="checkline-clean", path=["gating.yaml"])
    assert str(caught.value) == (
        f"dist-git has no 'gating.yaml' in rpms/checkline-clean at 'rawhide' ({distgit.url})"
    )


def test_ignore_missing(distgit: DistgitStandin, make_ctx: MakeCtx) -> None:
    ctx = make_ctx()
    out = run(
        ctx,
        package="checkline-clean",
        path=["gating.yaml", "checkline-clean.spec"],
        ignore_missing=True,
    )
    assert out == {"downloaded_files": [str(ctx.workdir / "checkline-clean.spec")]}


def test_missing_package_is_a_job_error(distgit: DistgitStandin, make_ctx: MakeCtx) -> None:
    with pytest.raises(ItemNotFound, match=r"^dist-git has no 'nope.spec' in rpms/nope at"):
        run(make_ctx(), package="nope")


def test_baseurl_param_wins(distgit: DistgitStandin, make_ctx: MakeCtx, monkeypatch: Any) -> None:
    monkeypatch.setenv("CHECKLINE_DISTGIT_URL", "http://127.0.0.1:9/unused")
    out = run(make_ctx(), package="checkline-clean", baseurl=distgit.url)
    assert len(out["downloaded_files"]) == 1


def test_a_stale_file_is_replaced(distgit: DistgitStandin, make_ctx: MakeCtx) -> None:
    """Assert a file left by an earlier run is fetched again (dist-git gives no checksum)."""
    ctx = make_ctx()
    (ctx.workdir / "checkline-clean.spec").write_text("stale")
    run(ctx, package="checkline-clean")
    assert (ctx.workdir / "checkline-clean.spec").read_text().startswith("# Stand-in package")
