"""The runner's errors, one class per kind of failure (docs/architecture.md).

* ``JobError`` (and ``FormulaError``, ``InputError``, ``ItemNotFound``): the job can never
  succeed. Raised before any action runs, or by a directive that finds the item names nothing
  (a Koji build that does not exist); the run is NOT_OK, exits 3 and is never retried.
* ``DirectiveError``: an execution error. This run could not finish (a tool crashed, a
  download timed out); its verdicts become CRASHED, it exits 2 and may be retried when
  ``transient``.
* ``RunCancelled``: SIGTERM/SIGINT stopped the run; its verdicts become ABORTED, exit 2.

A FAILED verdict is never an exception: it is data in ``results.tap``. Any other exception
is a bug; only the executor catches it, logs the traceback and treats the run as CRASHED.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "ActionTimeout",
    "DirectiveError",
    "FormulaError",
    "FormulaProblem",
    "InputError",
    "ItemNotFound",
    "JobError",
    "ParamsError",
    "RunCancelled",
    "RunnerError",
    "dotted_path",
]


class RunnerError(Exception):
    """Root of the runner's errors."""


class JobError(RunnerError):
    """The job can never succeed: fail fast, before any action runs, never retry."""


class InputError(JobError):
    """The runner input (item, item type, arch, uuid, ...) is unusable."""


class ItemNotFound(JobError):
    """The item names nothing that exists: a Koji build or tag, a Bodhi update.

    Raised by directives while running; no rerun can help, so it is a job error.
    """


@dataclass(frozen=True)
class FormulaProblem:
    """One problem in a formula: the file, the line (when YAML gives it), where, and what."""

    source: str
    line: int | None
    where: str
    message: str

    def __str__(self) -> str:
        place = f"{self.source}:{self.line}" if self.line else self.source
        return (
            f"{place}: {self.where}: {self.message}" if self.where else f"{place}: {self.message}"
        )


class FormulaError(JobError):
    """A formula that does not validate; carries every problem found, not just the first."""

    def __init__(self, source: str, problems: Sequence[FormulaProblem]) -> None:
        self.source = source
        self.problems = list(problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(
            f"{source} is not a valid formula ({count} {noun}; nothing was run):\n{lines}"
        )


class ParamsError(Exception):
    """Raised by ``Directive.validate``: each problem is ``(location, message)``.

    The location is a tuple of keys and indices inside the directive's parameters; the formula
    loader turns it into file, line, action and key.
    """

    def __init__(self, problems: Sequence[tuple[tuple[str | int, ...], str]]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{dotted_path(loc)}: {msg}" for loc, msg in self.problems))


class DirectiveError(RunnerError):
    """An execution error inside a directive. ``transient`` says a rerun may succeed."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


class ActionTimeout(DirectiveError):
    """An action ran past its ``timeout``; its processes were killed."""

    def __init__(self, message: str) -> None:
        super().__init__(message, transient=True)


class RunCancelled(RunnerError):
    """The run was cancelled (SIGTERM, SIGINT) while an action ran."""


def dotted_path(loc: Sequence[str | int]) -> str:
    """``("koji", "arch", 0)`` -> ``koji.arch[0]``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(parameters)"
