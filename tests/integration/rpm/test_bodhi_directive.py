"""The ``bodhi`` directive against the Bodhi and Koji stand-ins."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from checkline.runner.context import RunContext
from checkline.runner.directives.bodhi import Bodhi
from checkline.runner.errors import DirectiveError, ItemNotFound
from tests.standins.bodhi import BodhiStandin
from tests.standins.koji import KojiStandin

MakeCtx = Callable[..., RunContext]


def run(ctx: RunContext, **params: Any) -> dict[str, list[str]]:
    bodhi = Bodhi()
    return bodhi.run(bodhi.validate({"action": "download", **params}), ctx)


def names(paths: list[str]) -> list[str]:
    return [Path(p).name for p in paths]


def test_downloads_every_build_of_the_update(
    koji: KojiStandin, bodhi: BodhiStandin, make_ctx: MakeCtx
) -> None:
    """Assert each build of the update is downloaded for the arch (+ noarch) into target_dir."""
    ctx = make_ctx()
    out = run(ctx, update_id="FEDORA-2024-c1ea11", arch="x86_64", target_dir="rpms")
    assert names(out["downloaded_rpms"]) == [
        "checkline-clean-1.0-1.fc40.noarch.rpm",
        "checkline-multi-1.0-1.fc40.x86_64.rpm",
        "checkline-multi-doc-1.0-1.fc40.noarch.rpm",
    ]
    assert {Path(p).parent for p in out["downloaded_rpms"]} == {ctx.workdir / "rpms"}
    assert bodhi.requests == ["/updates/FEDORA-2024-c1ea11"]


def test_src_and_all(koji: KojiStandin, bodhi: BodhiStandin, make_ctx: MakeCtx) -> None:
    out = run(make_ctx(), update_id="FEDORA-2024-c1ea11", arch="all", src=True)
    assert names(out["downloaded_rpms"]) == [
        "checkline-clean-1.0-1.fc40.noarch.rpm",
        "checkline-clean-1.0-1.fc40.src.rpm",
        "checkline-multi-1.0-1.fc40.aarch64.rpm",
        "checkline-multi-1.0-1.fc40.i686.rpm",
        "checkline-multi-1.0-1.fc40.src.rpm",
        "checkline-multi-1.0-1.fc40.x86_64.rpm",
        "checkline-multi-doc-1.0-1.fc40.noarch.rpm",
    ]


def test_missing_update_is_a_job_error(
    koji: KojiStandin, bodhi: BodhiStandin, make_ctx: MakeCtx
) -> None:
    with pytest.raises(ItemNotFound) as caught:
        run(make_ctx(), update_id="FEDORA-2099-nope", arch="all")
    assert str(caught.value) == f"Bodhi update 'FEDORA-2099-nope' does not exist ({bodhi.url})"


def test_update_id_is_one_path_segment(
    koji: KojiStandin, bodhi: BodhiStandin, make_ctx: MakeCtx
) -> None:
    """Assert an update id with '/', '..' or '?' stays one quoted segment of /updates/."""
    with pytest.raises(ItemNotFound):
        run(make_ctx(), update_id="../../admin?x=1", arch="all")
    assert bodhi.requests == ["/updates/..%2F..%2Fadmin%3Fx%3D1"]


def test_build_missing_from_koji_is_a_job_error(
    koji: KojiStandin, bodhi: BodhiStandin, make_ctx: MakeCtx
) -> None:
    with pytest.raises(ItemNotFound) as caught:
        run(make_ctx(), update_id="FEDORA-2024-90057", arch="all")
    assert str(caught.value) == (
        f"Koji build 'checkline-gone-1.0-1.fc40' does not exist (hub {koji.hub_url})"
    )


def test_transient_errors_are_retried(
    koji: KojiStandin, bodhi: BodhiStandin, make_ctx: MakeCtx
) -> None:
    bodhi.statuses["FEDORA-2024-c1ea11"] = [503, 502]
    out = run(make_ctx(), update_id="FEDORA-2024-c1ea11", arch="x86_64")
    assert len(out["downloaded_rpms"]) == 3
    assert len(bodhi.requests) == 3


def test_transient_errors_past_the_retries(
    koji: KojiStandin, bodhi: BodhiStandin, make_ctx: MakeCtx
) -> None:
    """Assert 3 attempts (CHECKLINE_KOJI_RETRIES=2) of 503s end in a transient error."""
    bodhi.statuses["FEDORA-2024-c1ea11"] = [503, 503, 503]
    with pytest.raises(DirectiveError) as caught:
        run(make_ctx(), update_id="FEDORA-2024-c1ea11", arch="x86_64")
    assert str(caught.value) == (
        f"cannot get {bodhi.url}/updates/FEDORA-2024-c1ea11 after 3 attempts: HTTP 503"
    )
    assert caught.value.transient is True


def test_other_http_errors_are_not_retried(
    koji: KojiStandin, bodhi: BodhiStandin, make_ctx: MakeCtx
) -> None:
    bodhi.statuses["FEDORA-2024-c1ea11"] = [403]
    with pytest.raises(DirectiveError) as caught:
        run(make_ctx(), update_id="FEDORA-2024-c1ea11", arch="x86_64")
    assert str(caught.value) == f"{bodhi.url}/updates/FEDORA-2024-c1ea11: HTTP 403"
    assert caught.value.transient is False
    assert len(bodhi.requests) == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>maintenance</html>", "not JSON: Expecting value: line 1 column 1 (char 0)"),
        (b'{"updates": []}', None),
    ],
    ids=["not-json", "other-shape"],
)
def test_answers_that_are_not_an_update(
    koji: KojiStandin, bodhi: BodhiStandin, make_ctx: MakeCtx, body: bytes, message: str | None
) -> None:
    """Assert a 200 without Bodhi's update JSON is a non-transient error naming it."""
    bodhi.raw["FEDORA-2024-c1ea11"] = (200, body)
    with pytest.raises(DirectiveError) as caught:
        run(make_ctx(), update_id="FEDORA-2024-c1ea11", arch="x86_64")
    expected = (
        f"{bodhi.url}/updates/FEDORA-2024-c1ea11: {message}"
        if message
        else "Bodhi update 'FEDORA-2024-c1ea11': unexpected answer:"
        " no 'update.builds' list in the answer"
    )
    assert str(caught.value) == expected
    assert caught.value.transient is False


def test_unreachable_bodhi(
    koji: KojiStandin, make_ctx: MakeCtx, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("CHECKLINE_BODHI_URL", f"http://127.0.0.1:{port}")
    with pytest.raises(DirectiveError) as caught:
        run(make_ctx(), update_id="FEDORA-2024-c1ea11", arch="x86_64")
    assert caught.value.transient is True
    assert str(caught.value).startswith(
        f"cannot get http://127.0.0.1:{port}/updates/FEDORA-2024-c1ea11 after 3 attempts:"
        " ConnectionError: "
    )


def test_standin_starts_from_the_command_line() -> None:
    """Assert `python -m tests.standins.bodhi` serves an update in Bodhi's JSON shape."""
    repo = Path(__file__).resolve().parents[3]
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "tests.standins.bodhi", "--port", "0"),
            *("--update", "FEDORA-2024-1=a-1-1.fc40,b-2-1.fc40"),
        ],
        cwd=repo,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(repo)},
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip().removeprefix("bodhi=")
        answer = requests.get(f"{url}/updates/FEDORA-2024-1", timeout=10).json()
        assert answer["update"]["alias"] == "FEDORA-2024-1"
        assert [b["nvr"] for b in answer["update"]["builds"]] == ["a-1-1.fc40", "b-2-1.fc40"]
    finally:
        proc.terminate()
        proc.wait(10)
