"""``python``: call a function of a Python file of the task, with keyword parameters."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ConfigDict, Field

from ..errors import DirectiveError
from ..interpreter import check_environment, choose_interpreter
from ..variables import PlaceholderError, references, substitute
from .base import Directive, DirectiveParams, directive

if TYPE_CHECKING:
    from ..context import RunContext


_PYCALL = str(Path(__file__).resolve().parent.parent / "pycall.py")


class PythonParams(DirectiveParams):
    # Every key besides file and callable is a keyword argument of the callable (Taskotron).
    model_config = ConfigDict(extra="allow", strict=True, frozen=True, defer_build=True)

    file: str
    callable: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")


@directive("python")
class Python(Directive[PythonParams]):
    """Import ``file`` (relative to the task directory) and call ``callable(**other_keys)``.

    .. code-block:: yaml

        - name: run the check
          python:
            file: check.py
            callable: run
            koji_build: ${koji_build}
            artifactsdir: ${artifactsdir}
          export: check_output

    The call runs in a child process, so a timeout or a cancel can stop it; its prints go to
    the action's log. Arguments and the return value travel as JSON. The child's interpreter
    is the system's Python 3 by default, with its packages (``import rpm``), not the runner's
    virtualenv; the formula's ``checkline: {python: ...}``, ``--python`` or
    ``CHECKLINE_PYTHON`` choose another (``checkline.runner.interpreter``). Check code can
    ``from libtaskotron import check`` (or ``from checkb import check``): Taskotron's API.

    Returns: the callable's return value, usually ResultYAML text for ``results``.
    An exception raised by the callable is an execution error.
    """

    Params = PythonParams

    def plan_problems(self, raw: Any, taskdir: Path) -> list[tuple[tuple[str | int, ...], str]]:
        """A ``file`` written literally must exist when the formula is loaded."""
        name = raw.get("file") if isinstance(raw, dict) else None
        if not isinstance(name, str):
            return []
        try:
            if references(name):
                return []  # known at run time only
            name = substitute(name, {})  # "$$" -> "$"
        except PlaceholderError:
            return []  # reported by the formula's placeholder check
        if not (taskdir / name).is_file():
            return [(("file",), f"{name!r} does not exist in {taskdir}")]
        return []

    def run(self, params: PythonParams, ctx: RunContext) -> Any:
        path = ctx.taskdir / params.file
        if not path.is_file():
            raise DirectiveError(f"python file {str(path)!r} does not exist")
        interpreter = choose_interpreter(
            formula=ctx.formula_python, option=ctx.python, environ=os.environ
        )
        ctx.log.info(
            "%s:%s runs under %s (%s)",
            params.file,
            params.callable,
            interpreter.path,
            interpreter.chosen_by,
        )
        if ctx.action_log is not None:
            with open(ctx.action_log, "a", encoding="utf-8") as log:
                log.write(f"[check code runs under {interpreter.path}: {interpreter.chosen_by}]\n")
        request_path = ctx.workdir / f".pycall-{id(params)}.json"
        result_path = request_path.with_suffix(".result.json")
        request = {"file": str(path), "callable": params.callable, "kwargs": params.model_extra}
        request_path.write_text(json.dumps(request, default=str), encoding="utf-8")
        try:
            # The child script by path: it takes its own folder off sys.path first, and the
            # task's folder (the cwd) is not on it, so a task's runner.py or json.py shadows
            # nothing. (-P would do that too, but only from Python 3.11 on.)
            ctx.run_process(
                [interpreter.path, _PYCALL, str(request_path), str(result_path)],
                env=check_environment(os.environ),
            )
            try:
                result = json.loads(result_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as err:
                raise DirectiveError(
                    f"{params.file}:{params.callable} ended without a result (killed?): {err}"
                ) from err
        finally:
            request_path.unlink(missing_ok=True)
            result_path.unlink(missing_ok=True)
        if "error" in result:
            raise DirectiveError(f"{params.file}:{params.callable} raised {result['error']}")
        return result["value"]
