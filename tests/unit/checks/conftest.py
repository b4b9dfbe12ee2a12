"""Load a check's Python file as a module (check folders are not packages)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

CHECKS = Path(__file__).resolve().parents[3] / "checks"


def _load(relative: str) -> ModuleType:
    path = CHECKS / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def load_check() -> Callable[[str], ModuleType]:
    """``load_check("rpmlint/rpmlint_check.py")``: the check's module."""
    return _load
