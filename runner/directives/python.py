"""``python``: call a function of a Python file of the task, with keyword parameters."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ConfigDict, Field

from ..errors import DirectiveError
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

    The call runs in a child process (same interpreter), so a timeout or a cancel can stop
    it; its prints go to the action's log. Arguments and the return value travel as JSON.

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
        request_path = ctx.workdir / f".pycall-{id(params)}.json"
        result_path = request_path.with_suffix(".result.json")
        request = {"file": str(path), "callable": params.callable, "kwargs": params.model_extra}
        request_path.write_text(json.dumps(request, default=str), encoding="utf-8")
        try:
            # The child script by path with -P: neither the task's folder (the cwd) nor ours
            # is put first on sys.path, so a task's own runner.py or json.py shadows nothing.
            ctx.run_process([sys.executable, "-P", _PYCALL, str(request_path), str(result_path)])
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
