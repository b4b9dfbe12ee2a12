"""Which Python runs a check's code (the ``python`` directive), and the environment it gets.

Taskotron ran check code with the system's Python and its packages (``rpm``, ``dnf``, ``koji``
as distribution packages), not with the runner's own environment. So does Checkline: the first
of these that is set chooses the interpreter,

1. the formula's ``checkline: {python: ...}`` (a task that needs another interpreter),
2. the runner's ``--python`` (the Buildbot master passes a worker's ``python`` setting there),
3. ``CHECKLINE_PYTHON`` in the runner's environment,
4. the system's ``/usr/bin/python3`` when it exists (the default),
5. else the runner's own interpreter.

A value is an absolute path, a path relative to the runner's working folder (flag and
variable only), or a command name looked up on ``PATH`` (the child's ``PATH``: without the
runner's virtualenv). An interpreter that is not there is an execution error naming it.

The child does not inherit the runner's virtualenv: ``VIRTUAL_ENV``, ``PYTHONHOME``, the
entries of ``PYTHONPATH`` and ``PATH`` inside it are dropped; ``runner/taskapi/`` (the
``libtaskotron`` and ``checkb`` check API) is put first on its ``PYTHONPATH``.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import DirectiveError

__all__ = ["SYSTEM_PYTHON", "TASKAPI_DIR", "Interpreter", "check_environment", "choose_interpreter"]

#: The system's Python 3: the default interpreter of check code, where it exists.
SYSTEM_PYTHON = "/usr/bin/python3"
#: Holds the ``libtaskotron`` and ``checkb`` packages; on check code's path, and only there.
TASKAPI_DIR = Path(__file__).resolve().parent / "taskapi"
#: The environment variable that chooses check code's interpreter (below ``--python``).
ENV_VARIABLE = "CHECKLINE_PYTHON"
#: Where a formula chooses it.
FORMULA_KEY = "checkline.python"


@dataclass(frozen=True)
class Interpreter:
    """The interpreter chosen for check code, and what chose it (for the logs)."""

    path: str
    chosen_by: str


def _runner_venv() -> Path | None:
    """The virtualenv the runner runs in, if any."""
    if sys.prefix != sys.base_prefix:
        return Path(sys.prefix)
    active = os.environ.get("VIRTUAL_ENV")
    return Path(active) if active else None


def _inside(entry: str, root: Path | None) -> bool:
    if root is None or not entry:
        return False
    path = Path(os.path.abspath(entry))
    return path == root or root in path.parents


def check_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` for check code: the runner's virtualenv left out, the check API put in."""
    venv = _runner_venv()
    env = {
        key: value
        for key, value in environ.items()
        if key not in ("VIRTUAL_ENV", "PYTHONHOME", "PYTHONPATH")
    }
    path = [p for p in environ.get("PATH", "").split(os.pathsep) if not _inside(p, venv)]
    if "PATH" in environ:
        env["PATH"] = os.pathsep.join(path)
    kept = [
        entry
        for entry in environ.get("PYTHONPATH", "").split(os.pathsep)
        if entry and not _inside(entry, venv)
    ]
    env["PYTHONPATH"] = os.pathsep.join([str(TASKAPI_DIR), *kept])
    return env


def _resolve(value: str, chosen_by: str, search_path: str) -> str:
    if "/" in value:
        path = os.path.abspath(value)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
        raise DirectiveError(
            f"the Python interpreter {value!r} ({chosen_by}) does not exist or is not "
            "executable on this machine"
        )
    found = shutil.which(value, path=search_path)
    if found is None:
        raise DirectiveError(
            f"the Python interpreter {value!r} ({chosen_by}) is not found on PATH on this machine"
        )
    return found


def choose_interpreter(
    *,
    formula: str | None,
    option: str | None,
    environ: Mapping[str, str],
    system: str = SYSTEM_PYTHON,
) -> Interpreter:
    """The interpreter for check code: the first of the formula's choice, ``--python``,
    ``CHECKLINE_PYTHON``, ``system`` when it exists, the runner's own interpreter.

    Raises:
        DirectiveError: the chosen interpreter does not exist (an execution error).
    """
    search_path = check_environment(environ).get("PATH", os.defpath)
    for value, chosen_by in (
        (formula, f"the formula's {FORMULA_KEY}"),
        (option, "--python"),
        (environ.get(ENV_VARIABLE), ENV_VARIABLE),
    ):
        if value:
            return Interpreter(_resolve(value, chosen_by, search_path), chosen_by)
    if os.path.isfile(system) and os.access(system, os.X_OK):
        return Interpreter(system, "the default: the system's interpreter")
    return Interpreter(
        sys.executable, f"the default: the runner's own interpreter, as {system} does not exist"
    )
