"""Fixtures shared by every test: where the fixture files and the installed scripts are."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
INTEGRATION = REPO / "tests" / "integration"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--integration",
        action="store_true",
        help="also run tests/integration (collected and skipped without it): they start real "
        "parts on 127.0.0.1 (ResultsDB servers on SQLite and PostgreSQL, RabbitMQ, Buildbot "
        "masters and workers, the Koji, Bodhi and dist-git stand-ins, Chromium, the whole "
        "pipeline) and need `make services`. `make test` passes it.",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason="integration test: run with --integration (make test does)")
    for item in items:
        if INTEGRATION in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.integration)
            if not config.getoption("--integration"):
                item.add_marker(skip)


@pytest.fixture
def fixtures_dir() -> Path:
    return REPO / "tests" / "fixtures"


@pytest.fixture
def checks_dir() -> Path:
    return REPO / "checks"


@pytest.fixture
def script() -> Path:
    """The directory of the installed console scripts (``checkline``, ``runtask``)."""
    return Path(sys.executable).parent


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def _gone(pid: int, within: float = 2.0) -> bool:
    """True once ``pid`` no longer exists (or is a zombie its new parent has yet to reap)."""
    deadline = time.monotonic() + within
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        if _is_zombie(pid):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)


@pytest.fixture
def process_gone() -> Callable[..., bool]:
    """``process_gone(pid, within=2.0)``: True once the process is dead (killed, maybe unreaped)."""
    return _gone
