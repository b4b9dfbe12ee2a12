"""``shell``: run commands as argv lists, never through a shell."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Discriminator, Field, Tag

from ..errors import DirectiveError, ParamsError
from .base import Directive, DirectiveParams, directive

if TYPE_CHECKING:
    from ..context import RunContext

Argv = Annotated[list[str], Field(min_length=1)]

#: The key of libtaskotron's per-command entry ``{ignorereturn: <command>}``.
IGNORERETURN = "ignorereturn"
# Tags of the command union: pydantic puts them in error locations, which drop them again.
_ARGV_TAG, _IGNORED_TAG = "<argv>", "<ignorereturn>"

Location = tuple[str | int, ...]


class IgnoredCommand(DirectiveParams):
    """A command whose non-zero exit status does not fail the action (its output is kept)."""

    ignorereturn: Argv


def _command_kind(value: Any) -> str:
    return _IGNORED_TAG if isinstance(value, dict) else _ARGV_TAG


Command = Annotated[
    Annotated[Argv, Tag(_ARGV_TAG)] | Annotated[IgnoredCommand, Tag(_IGNORED_TAG)],
    Discriminator(_command_kind),
]


class ShellParams(DirectiveParams):
    commands: Annotated[list[Command], Field(min_length=1)]
    #: Do not treat a non-zero exit status as an execution error (the task reads it itself).
    ignore_returncode: bool = False
    #: Working directory, relative to the task directory (default: the task directory).
    cwd: str | None = None


def _split(command: str, where: Location, problems: list[tuple[Location, str]]) -> Any:
    try:
        return shlex.split(command)
    except ValueError as err:
        problems.append((where, f"cannot split {command!r}: {err}"))
        return command


def _ignored(value: Any, where: Location, problems: list[tuple[Location, str]]) -> Any:
    """The argv of an ``ignorereturn`` entry's value: a string (split), an argv list, or a
    list holding one argv list."""
    at = (*where, IGNORERETURN)
    if isinstance(value, str):
        return _split(value, at, problems)
    if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
        if len(value) == 1:
            return value[0]
        problems.append(
            (at, f"holds {len(value)} commands; give each its own {{ignorereturn: ...}} entry")
        )
        return value
    if isinstance(value, list) and any(isinstance(v, list) for v in value):
        problems.append(
            (at, "mixes a nested list with arguments: give an argv list, or a list holding one")
        )
        return value
    if not isinstance(value, list):
        problems.append(
            (
                at,
                "must be a command: a string, an argv list, or a list holding one argv list; "
                f"{type(value).__name__!r} found",
            )
        )
    return value  # an argv list (its items are checked by validation)


def _normalize_command(command: Any, where: Location, problems: list[tuple[Location, str]]) -> Any:
    if isinstance(command, str):
        return _split(command, where, problems)
    if isinstance(command, dict):
        if set(command) != {IGNORERETURN}:
            keys = ", ".join(repr(str(key)) for key in command) or "none"
            problems.append(
                (
                    where,
                    f"a mapping entry must be {{ignorereturn: <command>}} and nothing else "
                    f"(keys found: {keys})",
                )
            )
            return command
        return {IGNORERETURN: _ignored(command[IGNORERETURN], where, problems)}
    return command  # a list is an argv list; anything else is refused by validation


@directive("shell", "bash")
class Shell(Directive[ShellParams]):
    """Run one or more commands; export the standard output of the last one.

    Taskotron's list form and a mapping form are both accepted. Each command is

    * an argv list: ``[rpmlint, --info, "${workdir}"]``;
    * a string, split into argv like a POSIX shell splits words (whitespace separates, quotes
      group, a backslash escapes) *before* variables are substituted, so a substituted value
      is always exactly one argument; nothing else of a shell applies: ``;``, ``|``, ``&&``,
      ``>``, ``$(...)``, backquotes, globs, ``~``, ``$HOME`` and ``#`` stay literal characters;
    * libtaskotron's ``{ignorereturn: <command>}``, whose value is a string, an argv list, or
      a list holding one argv list: a non-zero exit status of that command does not fail the
      action (its output is logged and, last, exported as any other's).

    .. code-block:: yaml

        - name: lint
          shell:
            - [rpmlint, --info, "${workdir}/rpms"]
            - python3 summarize.py --item ${koji_build}
            - ignorereturn: [avocado, run, check_modulemd.py, --job-results-dir, "${workdir}"]
          export: lint_output

        - name: tolerant
          shell:
            commands: [[rpmlint, "${workdir}"]]
            ignore_returncode: true   # for every command
          timeout: 600

    Returns: the last command's standard output, trailing newlines removed (as ``$(...)``
    does). A non-zero exit status is an execution error naming the command, unless the
    command is an ``ignorereturn`` entry or ``ignore_returncode`` is set.
    """

    Params = ShellParams

    def normalize(self, raw: Any) -> Any:
        if isinstance(raw, dict) and IGNORERETURN in raw and "commands" not in raw:
            raise ParamsError(
                [
                    (
                        (),
                        "{ignorereturn: ...} is one entry of the list of commands: write "
                        "shell: [{ignorereturn: <command>}]",
                    )
                ]
            )
        params = {"commands": raw} if isinstance(raw, list) else raw
        if not isinstance(params, dict) or not isinstance(params.get("commands"), list):
            return params
        # Problems are located as written: shell[i] for the list form, shell.commands[i] else.
        where: Location = () if isinstance(raw, list) else ("commands",)
        problems: list[tuple[Location, str]] = []
        commands = [
            _normalize_command(command, (*where, index), problems)
            for index, command in enumerate(params["commands"])
        ]
        if problems:
            raise ParamsError(problems)
        return {**params, "commands": commands}

    def validate(self, params: Any) -> ShellParams:
        try:
            return super().validate(params)
        except ParamsError as err:
            tags = {_ARGV_TAG, _IGNORED_TAG}
            raise ParamsError(
                [(tuple(p for p in loc if p not in tags), msg) for loc, msg in err.problems]
            ) from None

    def run(self, params: ShellParams, ctx: RunContext) -> str:
        cwd = ctx.taskdir / params.cwd if params.cwd else ctx.taskdir
        if not cwd.is_dir():
            raise DirectiveError(f"cwd {str(cwd)!r} is not a directory")
        log_name = ctx.action_log.name if ctx.action_log else "the action log"
        stdout = ""
        for command in params.commands:
            ignored = isinstance(command, IgnoredCommand)
            argv = command.ignorereturn if isinstance(command, IgnoredCommand) else command
            result = ctx.run_process(argv, cwd=cwd)
            if result.returncode != 0:
                if ignored or params.ignore_returncode:
                    why = "ignorereturn" if ignored else "ignore_returncode"
                    ctx.log.info(
                        "command %r exited with status %d; ignored (%s)",
                        argv[0],
                        result.returncode,
                        why,
                    )
                else:
                    raise DirectiveError(
                        f"command {argv[0]!r} exited with status {result.returncode}"
                        f" (output in {log_name})"
                    )
            stdout = result.stdout
        return stdout.rstrip("\n")
