"""The names every stage checks, defined once: checks, arches, item types, uuids, items.

The trigger checks a job's names before it records it, the Buildbot master before a build
runs, the runner before it reads a formula. Each used to keep its own pattern, and they
disagreed: ``checkline trigger schedule -a X86_64`` recorded a job the runner then refused,
and a check folder ``c++-check`` passed the trigger and was refused at build time. Every
stage now asks the functions below (``tests/unit/test_contracts.py`` feeds the same names to
all three and asserts they agree). docs/architecture.md describes the contracts.

Each ``*_problem`` function returns why a value is refused (a sentence naming it), or None.
"""

from __future__ import annotations

import re

__all__ = [
    "ARCH",
    "CHECK_NAME",
    "EXECUTION_FILE",
    "ITEM_TYPE",
    "JOB_KEYS",
    "NOARCH",
    "RESULTS_FILE",
    "RUNNER_LOG",
    "RUN_UUID",
    "TASK_OUTPUT",
    "arch_problem",
    "check_name_problem",
    "item_problem",
    "item_type_problem",
    "unstorable",
    "uuid_problem",
]

#: A run's directory, ``<artifacts root>/<uuid>/``, as the runner writes it and reporting, the
#: master and the local backend read it.
RESULTS_FILE = "results.tap"  #: the verdicts, TAP13
EXECUTION_FILE = "execution.json"  #: how the run went (execution_status, status...)
RUNNER_LOG = "runner.log"  #: what the runner did: every result's log link by default
TASK_OUTPUT = "task_output"  #: the check's own files (``${artifactsdir}``)

#: The Job contract: what the trigger hands a backend, and a Buildbot build's properties.
JOB_KEYS = ("item", "item_type", "taskname", "arch", "uuid")
#: The arch of a job that runs once whatever the arch.
NOARCH = "noarch"

#: A check: the name of its folder in the checks repository (``checks/<name>/runtask.yml``).
#: One path element that cannot be an option (no leading ``-``) nor ``.``/``..``.
CHECK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,127}")
#: An arch as Koji and RPM name them: x86_64, aarch64, i686, ppc64le, s390x, armv7hl, noarch,
#: src. Lower case: ``X86_64`` is no arch any builder serves.
ARCH = re.compile(r"[a-z0-9][a-z0-9_]{0,31}")
#: An item type (koji_build, bodhi_update...): it names a variable in formulas.
ITEM_TYPE = re.compile(r"[a-z][a-z0-9_]{0,63}")
#: A job's uuid names its artifacts folder and its ResultsDB group.
RUN_UUID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
#: An item is data, passed on exactly as given, but for these: they would corrupt argv and
#: logs, and no Koji build, tag or Bodhi update has them.
_BAD_ITEM_CHARS = re.compile(r"[\x00\r\n]")


def check_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a check's folder, or None."""
    if not CHECK_NAME.fullmatch(name):
        return (
            f"check {name!r} is not a check's folder name (1-128 letters, digits, '.', '_', "
            "'+' or '-', starting with a letter or digit)"
        )
    return None


def arch_problem(arch: str) -> str | None:
    """Why ``arch`` is no arch, or None."""
    if not ARCH.fullmatch(arch):
        return f"arch {arch!r} must be lower-case letters, digits and '_' (x86_64)"
    return None


def item_type_problem(item_type: str) -> str | None:
    """Why ``item_type`` is no item type, or None."""
    if not ITEM_TYPE.fullmatch(item_type):
        return f"item_type {item_type!r} must be a lower-case identifier such as koji_build"
    return None


def uuid_problem(uuid: str) -> str | None:
    """Why ``uuid`` cannot name a job's artifacts folder, or None."""
    if not RUN_UUID.fullmatch(uuid):
        return (
            f"uuid {uuid!r} must be 1-128 letters, digits, '.', '_' or '-' starting with a "
            "letter or digit (it names the artifacts directory)"
        )
    return None


#: What no stored text may hold, in the ledger as in ResultsDB: NUL, which PostgreSQL's text
#: refuses (SQLite would store it, but an answer must not depend on the backend), and lone
#: surrogates (``"\udcff"`` in JSON), which are not characters: no driver encodes one.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable(text: str) -> tuple[int, str] | None:
    """The offset and name (``a NUL character``, ``a lone surrogate``) of the first character
    of ``text`` no database stores, or None."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    return found.start(), "a NUL character" if found.group() == "\x00" else "a lone surrogate"


def item_problem(item: str) -> str | None:
    """Why no job can run ``item`` (a NUL or a line break), or None."""
    if _BAD_ITEM_CHARS.search(item):
        return f"item {item!r} contains a NUL or line break"
    return None
