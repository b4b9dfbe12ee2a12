"""Fixtures for directive tests: a real ``RunContext`` over temporary directories.

``make_ctx(**overrides)`` builds the context a directive sees during a run; what the
directive reports through it (verdicts, exit codes) lands in the ``recorded`` fixture.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from checkline.runner.context import RunContext
from checkline.runner.job import RunInput

ITEM = "xchat-0.5-1.fc20"
ITEM_TYPE = "koji_build"
ARCH = "x86_64"
CHECKNAME = "demo"

MakeCtx = Callable[..., RunContext]


@dataclass
class Recorded:
    """What directives reported through the context, in order."""

    verdicts: list[dict[str, Any]] = field(default_factory=list)
    exit_codes: list[int] = field(default_factory=list)


@pytest.fixture
def recorded() -> Recorded:
    return Recorded()


@pytest.fixture
def make_ctx(tmp_path: Path, recorded: Recorded) -> MakeCtx:
    """A factory of run contexts; keyword arguments override any ``RunContext`` field."""

    def make(**overrides: Any) -> RunContext:
        taskdir = tmp_path / "task"
        workdir = tmp_path / "work"
        rundir = tmp_path / "run"
        artifactsdir = rundir / "artifacts"
        action_log = rundir / "actions" / "01-action.log"
        for directory in (taskdir, workdir, artifactsdir, action_log.parent):
            directory.mkdir(parents=True, exist_ok=True)
        action_log.touch()
        fields: dict[str, Any] = {
            "run": RunInput(item=ITEM, item_type=ITEM_TYPE, arch=ARCH, uuid="u1"),
            "testcase": CHECKNAME,
            "checkname": CHECKNAME,
            "taskdir": taskdir,
            "workdir": workdir,
            "artifactsdir": artifactsdir,
            "rundir": rundir,
            "log": logging.getLogger("checkline.tests.directives"),
            "action_log": action_log,
            "on_verdicts": recorded.verdicts.extend,
            "on_exit_code": recorded.exit_codes.append,
        }
        fields.update(overrides)
        return RunContext(**fields)

    return make
