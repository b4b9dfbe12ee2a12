"""The contracts between stages, defined once: the shapes each stage hands the next, the
names every stage checks, the run directory's file names and the runner's exit codes.

The shapes are TypedDicts, so ``mypy --strict`` checks every place that builds or reads one:

* :class:`Event` (trigger: adapter -> rules), built from an :class:`EventFields`;
* :class:`JobRequest` (rules -> ledger) and :class:`Job` (ledger -> backend -> Buildbot);
* :class:`RunnerInput` (``checkline run --input``, ``runner.api.run_job``);
* :class:`Verdict` (a directive -> ``results.tap`` -> reporting).

They cost nothing at run time: the values stay plain dicts, and each stage checks untrusted
ones (a message body, a JSON file, a TAP block) as before.

The names: the trigger checks a job's names before it records it, the Buildbot master before a
build runs, the runner before it reads a formula. Each used to keep its own pattern, and they
disagreed: ``checkline trigger schedule -a X86_64`` recorded a job the runner then refused,
and a check folder ``c++-check`` passed the trigger and was refused at build time. Every
stage now asks the functions below (``tests/unit/test_contracts.py`` feeds the same names to
all three and asserts they agree). docs/architecture.md describes the contracts.

Each ``*_problem`` function returns why a value is refused (a sentence naming it), or None.
"""

# No ``from __future__ import annotations``: the TypedDicts' ``__required_keys__`` are then
# right at run time too (Python 3.11 counts a postponed ``NotRequired[...]`` as required).

import enum
import re
from typing import NotRequired, TypedDict

__all__ = [
    "ARCH",
    "CHECK_NAME",
    "EXECUTION_FILE",
    "ITEM_TYPE",
    "JOB_KEYS",
    "NOARCH",
    "NO_RESULT",
    "RESULTS_FILE",
    "RUNNER_LOG",
    "RUN_UUID",
    "TASK_OUTPUT",
    "Event",
    "EventFields",
    "ExitCode",
    "Job",
    "JobRequest",
    "RunnerInput",
    "Verdict",
    "arch_problem",
    "check_name_problem",
    "item_problem",
    "item_type_problem",
    "namespaced_testcase",
    "unstorable",
    "uuid_problem",
]


class EventFields(TypedDict):
    """What an adapter (``trigger/adapters.py``) reads from a message: the item, and the
    fields rules may test, which depend on the message's kind (the comments say which kind
    sets each). Values are the message's, as its schema allows them (hence the ``None``s)."""

    item: str
    item_type: str  # koji_build, koji_tag, bodhi_update, dist_git_commit
    # koji_build and koji_tag
    nvr: NotRequired[str]
    name: NotRequired[str]
    instance: NotRequired[str]
    build_id: NotRequired[int | None]
    epoch: NotRequired[str | int | None]  # koji_build
    task_id: NotRequired[int | None]  # koji_build
    target: NotRequired[str | None]  # koji_build: the build request's target
    tag: NotRequired[str]  # koji_tag
    user: NotRequired[str | None]  # koji_tag
    # koji_build, koji_tag (the build's) and bodhi_update (the release's: name, version)
    version: NotRequired[str | None]
    release: NotRequired[str | None]
    # koji_build, koji_tag (the name) and dist_git_commit (the repo under rpms/, else None)
    package: NotRequired[str | None]
    owner: NotRequired[str | None]  # every kind
    # bodhi_update
    alias: NotRequired[str]
    builds: NotRequired[list[str]]  # NVRs
    packages: NotRequired[list[str]]  # their names, sorted, each once
    dist_tag: NotRequired[str | None]
    status: NotRequired[str | None]
    request: NotRequired[str | None]
    re_trigger: NotRequired[bool]
    agent: NotRequired[str | None]  # bodhi_update, dist_git_commit
    # dist_git_commit
    namespace: NotRequired[str | None]
    repo: NotRequired[str]
    branch: NotRequired[str]
    rev: NotRequired[str]


class Event(EventFields):
    """An Event (trigger: adapter -> rules): the adapter's fields and where they came from."""

    topic: str  # the wire topic, with any prefix
    msg_id: str | None


class JobRequest(TypedDict):
    """A job the rules ask for (``trigger/rules.py``); the ledger gives it its uuid."""

    item: str
    item_type: str
    taskname: str  # a check's folder in the checks repo
    arch: str


class Job(JobRequest):
    """The Job contract: what the trigger hands a backend, and a Buildbot build's properties.
    The uuid names it everywhere: ledger row, build property, artifacts folder, ResultsDB
    group."""

    uuid: str


#: The Job's keys, in this order (the ForceScheduler's parameters, the ledger's columns).
JOB_KEYS: tuple[str, ...] = tuple(Job.__annotations__)
#: The arch of a job that runs once whatever the arch.
NOARCH = "noarch"


class RunnerInput(TypedDict):
    """What ``runner.api.run_job`` and ``checkline run --input JOB.json`` take; checked by
    ``runner.job.RunInput.from_dict`` (which fills the defaults) before anything runs."""

    item: str
    item_type: str
    arch: NotRequired[str]  # default: noarch
    uuid: NotRequired[str]  # default: a fresh one
    jobid: NotRequired[str]  # the scheduler's id of the job, for logs; default "-1"
    formula: NotRequired[str]  # the formula file, when the caller names none
    taskname: NotRequired[str]  # accepted, not used: the formula names the task


class Verdict(TypedDict):
    """One verdict: a YAML block of ``results.tap``, or one entry of Taskotron's ResultYAML
    ``results`` list (where ``summary`` is called ``note``).

    Reading checks the three required keys (``reporting/verdicts.py``: strings, ``outcome``
    canonical, ``note`` renamed ``summary``); every other value is as the check wrote it,
    hence ``object`` (readers ``str()`` or check it). A verdict may hold other keys too, the
    check's own data (Taskotron's keyvals), kept as they are and sent as the result's data: a
    TypedDict cannot declare those (mypy has no PEP 728 ``extra_items`` yet).
    """

    item: str
    type: str  # the item's type
    outcome: str  # an Outcome's value (checkline/outcomes.py)
    checkname: NotRequired[object]  # default: the formula's name
    summary: NotRequired[object]  # one line; the result's note
    note: NotRequired[object]  # ResultYAML's name for summary
    details: NotRequired[object]  # {output: the check's output}: in the log, not in ResultsDB
    arch: NotRequired[object]  # default: the run's
    artifact: NotRequired[object]  # a file inside the run's directory: the result's log link
    original_outcome: NotRequired[object]  # a crashed run's verdict: the outcome it had


class ExitCode(enum.IntEnum):
    """The runner's exit codes (Taskotron's 100 kept for a failed ``exitcode`` directive): the
    Buildbot step colours the build by them, and the trigger records 2 and 3 as CRASHED."""

    OK = 0  # the task ran to its end, whatever its verdicts
    EXECUTION_ERROR = 2  # a directive failed, a timeout, a cancel, a bug
    JOB_ERROR = 3  # the formula, the input or the item can never work
    VERDICT_FAILED = 100  # ran to its end; an exitcode directive found a verdict not OK


#: A run's directory, ``<artifacts root>/<uuid>/``, as the runner writes it and reporting, the
#: master and the local backend read it.
RESULTS_FILE = "results.tap"  #: the verdicts, TAP13
EXECUTION_FILE = "execution.json"  #: how the run went (execution_status, status...)
RUNNER_LOG = "runner.log"  #: what the runner did: every result's log link by default
TASK_OUTPUT = "task_output"  #: the check's own files (``${artifactsdir}``)

#: What a run's record and its report say of a check that ran to its end without recording
#: a verdict (``execution.json``'s ``message`` starts with it, ``no_results`` is true).
NO_RESULT = "the check recorded no result"

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


def namespaced_testcase(checkname: str, namespace: str) -> str:
    """ResultsDB's testcase of a verdict's ``checkname`` in a formula's ``namespace``:
    libtaskotron's rule, the one place every stage asks.

    Every name is prefixed with the namespace, dotted ones too (``python-versions.two_three``
    in ``dist`` is ``dist.python-versions.two_three``, as Taskotron posted it), except a name
    that already starts with ``<namespace>.``, which is left alone; without a namespace the
    name is the testcase. The formula's own testcase is its ``name`` under the same rule.

    >>> namespaced_testcase("two_three", "dist"), namespaced_testcase("dist.rpmlint", "dist")
    ('dist.two_three', 'dist.rpmlint')
    """
    if not namespace or checkname.startswith(f"{namespace}."):
        return checkname
    return f"{namespace}.{checkname}"


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
