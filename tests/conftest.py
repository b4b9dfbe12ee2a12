"""Fixtures shared by every test: where the fixture files and the installed scripts are."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


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
