"""The ``checkline run`` command line of a job, built in one place.

Both schedulers that start the runner use it: the trigger's ``local`` backend when it submits
a job, and the Buildbot master's runtask step when the step runs (from the build's properties
and the settings of the worker it runs on). Pure: no I/O, no Buildbot import.

Every value is its own argv element, never a shell string, and is joined to its flag
(``--item=<item>``), so a value starting with ``-`` stays a value for any parser.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["run_argv"]


def run_argv(
    command: Sequence[str],
    formula: str,
    *,
    item: str,
    item_type: str,
    arch: str,
    uuid: str,
    artifacts: str,
    jobid: str | None = None,
    python: str | None = None,
    sandbox: str | None = None,
    network: bool = True,
) -> list[str]:
    """``[*command, "run", FORMULA, "--item=ITEM", "--type=TYPE", ..., "--artifacts=ROOT"]``.

    Args:
        command: the ``checkline`` command (its path, or an interpreter and a script).
        formula: the check's ``runtask.yml``, or the check's folder holding it.
        item, item_type, arch, uuid: the job's.
        artifacts: the artifacts root; the run writes its run directory ``<root>/<uuid>/``.
        jobid: the scheduler's id of the job, for the runner's logs (``BUILDER/NUMBER``).
        python: the interpreter of the check's Python code on that machine (``--python``);
            None or empty: the runner's default.
        sandbox: where check code runs (``--sandbox``: ``bwrap`` or ``none``); None or empty:
            the runner's default (``CHECKLINE_SANDBOX``, else ``none``).
        network: False adds ``--no-network`` (check code without network, in a sandbox).

    Raises:
        TypeError: a value that is not a ``str`` (a scheduler's renderable, not rendered yet).
    """
    options = [
        ("--item=", item),
        ("--type=", item_type),
        ("--arch=", arch),
        ("--uuid=", uuid),
    ]
    if jobid is not None:
        options.append(("--jobid=", jobid))
    options.append(("--artifacts=", artifacts))
    if python:
        options.append(("--python=", python))
    if sandbox:
        options.append(("--sandbox=", sandbox))
    for flag, value in [("formula", formula), *options]:
        if not isinstance(value, str):
            raise TypeError(f"{flag}: {value!r} is not a str")
    flags = [] if network else ["--no-network"]
    return [*command, "run", formula, *(flag + value for flag, value in options), *flags]
