"""The ``checkline run`` command line of a job, built in one place.

Both schedulers that start the runner use it: the trigger's ``local`` backend, with plain
strings, and the Buildbot master's runtask step, with Buildbot renderables that become the
build's properties when the step runs. Pure: no I/O, no Buildbot import.

Every value is its own argv element, never a shell string, and is joined to its flag
(``--item=<item>``), so a value starting with ``-`` stays a value for any parser.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

__all__ = ["run_argv"]

#: A value of the command line: ``str``, or what a scheduler renders later (Buildbot's
#: ``util.Property``, ``util.Interpolate``).
V = TypeVar("V")


def run_argv(
    command: Sequence[str],
    formula: V,
    *,
    item: V,
    item_type: V,
    arch: V,
    uuid: V,
    artifacts: V,
    jobid: V | None = None,
    concat: Callable[[str, V], V] | None = None,
) -> list[str | V]:
    """``[*command, "run", FORMULA, "--item=ITEM", "--type=TYPE", ..., "--artifacts=ROOT"]``.

    Args:
        command: the ``checkline`` command (its path, or an interpreter and a script).
        formula: the check's ``runtask.yml``, or the check's folder holding it.
        item, item_type, arch, uuid: the job's.
        artifacts: the artifacts root; the run writes its run directory ``<root>/<uuid>/``.
        jobid: the scheduler's id of the job, for the runner's logs (``BUILDER/NUMBER``).
        concat: joins a flag's ``--name=`` and a value that is not a string into one element
            (for Buildbot, a renderable that renders the value first); None when every value
            is a ``str``.

    Raises:
        TypeError: a value that is not a ``str`` and no ``concat``.
    """
    options: list[tuple[str, V]] = [
        ("--item=", item),
        ("--type=", item_type),
        ("--arch=", arch),
        ("--uuid=", uuid),
    ]
    if jobid is not None:
        options.append(("--jobid=", jobid))
    options.append(("--artifacts=", artifacts))

    def joined(flag: str, value: V) -> str | V:
        if concat is not None:
            return concat(flag, value)
        if not isinstance(value, str):
            raise TypeError(f"{flag}: {value!r} is not a str; give concat to join it")
        return flag + value

    return [*command, "run", formula, *(joined(flag, value) for flag, value in options)]
