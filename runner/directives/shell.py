"""``shell``: run commands as argv lists, never through a shell."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from ..errors import DirectiveError, ParamsError
from .base import Directive, DirectiveParams, directive

if TYPE_CHECKING:
    from ..context import RunContext

Argv = Annotated[list[str], Field(min_length=1)]


class ShellParams(DirectiveParams):
    commands: Annotated[list[Argv], Field(min_length=1)]
    #: Do not treat a non-zero exit status as an execution error (the task reads it itself).
    ignore_returncode: bool = False
    #: Working directory, relative to the task directory (default: the task directory).
    cwd: str | None = None


@directive("shell", "bash")
class Shell(Directive[ShellParams]):
    """Run one or more commands; export the standard output of the last one.

    Taskotron's list form and a mapping form are both accepted. A command is an argv list,
    or a string that is split like a shell would split it (quotes respected) *before*
    variables are substituted, so a substituted value is always exactly one argument, and
    no shell ever sees it: ``;``, ``$(...)``, backquotes and globs stay literal characters.

    .. code-block:: yaml

        - name: lint
          shell:
            - [rpmlint, --info, "${workdir}/rpms"]
            - python3 summarize.py --item ${koji_build}
          export: lint_output

        - name: tolerant
          shell:
            commands: [[rpmlint, "${workdir}"]]
            ignore_returncode: true
          timeout: 600

    Returns: the last command's standard output, trailing newlines removed (as ``$(...)``
    does). A non-zero exit status is an execution error unless ``ignore_returncode``.
    """

    Params = ShellParams

    def normalize(self, raw: Any) -> Any:
        params = {"commands": raw} if isinstance(raw, list) else raw
        if not isinstance(params, dict) or not isinstance(params.get("commands"), list):
            return params
        # Problems are located as written: shell[i] for the list form, shell.commands[i] else.
        where: tuple[str, ...] = () if isinstance(raw, list) else ("commands",)
        commands: list[Any] = []
        problems: list[tuple[tuple[str | int, ...], str]] = []
        for index, command in enumerate(params["commands"]):
            if isinstance(command, str):
                try:
                    command = shlex.split(command)
                except ValueError as err:
                    problems.append(((*where, index), f"cannot split {command!r}: {err}"))
            commands.append(command)
        if problems:
            raise ParamsError(problems)
        return {**params, "commands": commands}

    def run(self, params: ShellParams, ctx: RunContext) -> str:
        cwd = ctx.taskdir / params.cwd if params.cwd else ctx.taskdir
        if not cwd.is_dir():
            raise DirectiveError(f"cwd {str(cwd)!r} is not a directory")
        stdout = ""
        for argv in params.commands:
            result = ctx.run_process(argv, cwd=cwd)
            if result.returncode != 0 and not params.ignore_returncode:
                raise DirectiveError(
                    f"command {argv[0]!r} exited with status {result.returncode}"
                    f" (output in {ctx.action_log.name if ctx.action_log else 'the action log'})"
                )
            stdout = result.stdout
        return stdout.rstrip("\n")
