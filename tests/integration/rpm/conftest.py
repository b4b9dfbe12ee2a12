"""The Koji and Bodhi stand-ins (tests/standins/), really started on 127.0.0.1 free ports.

``koji_tree``: the stand-in RPMs, built with rpmbuild once per test session.
``koji``: a fresh Koji stand-in per test (faults and request log start empty), with the
runner's environment pointed at it (CHECKLINE_KOJI_HUB/TOPURL, retries 0.01 s apart).
``make_ctx``: the run context a directive sees (as in the directive unit tests).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from checkline.runner.context import RunContext
from checkline.runner.job import RunInput
from tests.standins.bodhi import BodhiStandin
from tests.standins.distgit import DistgitStandin, populate
from tests.standins.koji import KojiStandin
from tests.standins.rpms import build_koji_tree, rpmbuild_available

MakeCtx = Callable[..., RunContext]


@pytest.fixture(scope="session")
def koji_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not rpmbuild_available():
        pytest.skip(
            "!!! rpmbuild is not installed: the Koji stand-in tests DID NOT RUN "
            "(make test installs it with scripts/ensure-rpm-tools.sh) !!!"
        )
    return build_koji_tree(tmp_path_factory.mktemp("koji-tree"))


@pytest.fixture
def koji(koji_tree: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[KojiStandin]:
    server = KojiStandin(koji_tree).start()
    monkeypatch.setenv("CHECKLINE_KOJI_HUB", server.hub_url)
    monkeypatch.setenv("CHECKLINE_KOJI_TOPURL", server.topurl)
    monkeypatch.setenv("CHECKLINE_KOJI_RETRIES", "2")
    monkeypatch.setenv("CHECKLINE_KOJI_RETRY_WAIT", "0.01")
    yield server
    server.stop()


@pytest.fixture
def make_ctx(tmp_path: Path) -> MakeCtx:
    def make(**overrides: Any) -> RunContext:
        workdir = tmp_path / "work"
        rundir = tmp_path / "run"
        for directory in (workdir, rundir):
            directory.mkdir(parents=True, exist_ok=True)
        fields: dict[str, Any] = {
            "run": RunInput(item="x-1-1", item_type="koji_build", arch="x86_64", uuid="u1"),
            "testcase": "demo",
            "checkname": "demo",
            "taskdir": tmp_path,
            "workdir": workdir,
            "artifactsdir": rundir,
            "rundir": rundir,
            "log": logging.getLogger("checkline.tests.koji"),
        }
        fields.update(overrides)
        return RunContext(**fields)

    return make


#: The Bodhi stand-in's updates (their builds are on the Koji stand-in, but the last one).
UPDATES = {
    "FEDORA-2024-c1ea11": ["checkline-clean-1.0-1.fc40", "checkline-multi-1.0-1.fc40"],
    "FEDORA-2024-90057": ["checkline-clean-1.0-1.fc40", "checkline-gone-1.0-1.fc40"],
}


@pytest.fixture
def bodhi(monkeypatch: pytest.MonkeyPatch) -> Iterator[BodhiStandin]:
    """A Bodhi stand-in with ``UPDATES``, the runner's CHECKLINE_BODHI_URL pointing at it."""
    server = BodhiStandin({alias: list(nvrs) for alias, nvrs in UPDATES.items()}).start()
    monkeypatch.setenv("CHECKLINE_BODHI_URL", server.url)
    yield server
    server.stop()


@pytest.fixture
def distgit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DistgitStandin]:
    """A dist-git stand-in holding the stand-in specs; CHECKLINE_DISTGIT_URL points at it."""
    server = DistgitStandin(populate(tmp_path / "distgit")).start()
    monkeypatch.setenv("CHECKLINE_DISTGIT_URL", server.url)
    monkeypatch.setenv("CHECKLINE_KOJI_RETRIES", "2")
    monkeypatch.setenv("CHECKLINE_KOJI_RETRY_WAIT", "0.01")
    yield server
    server.stop()
