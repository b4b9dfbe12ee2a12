"""A formula (Taskotron's ``runtask.yml``) to a validated ``Plan``; nothing runs here.

Everything is checked before the first action starts, and every problem is reported at once:
the shape and keys of the formula, that each action names exactly one known directive, that
the directive accepts its parameters, that every ``${var}`` is defined by the run's input or
an earlier action's ``export``, and that ``input.args`` are given by this run. Each problem
names the file, the line (from YAML's node marks), the action (index and name) and the key.

The data is read with ``yaml.safe_load``; the line numbers come from ``yaml.compose`` with
the same SafeLoader (a node tree with marks, no objects constructed).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from checkline.contracts import namespaced_testcase

from .directives import REGISTRY, Directive, DirectiveRegistry, UnknownDirective
from .errors import FormulaError, FormulaProblem, ParamsError, dotted_path
from .job import RESERVED_NAMES
from .schema import validation_problems
from .variables import PlaceholderError, preview, references

__all__ = ["Action", "Plan", "Requirements", "build_plan", "load_plan"]

Location = tuple[str | int, ...]
_ACTION_KEYS = ("name", "export", "timeout")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: A package a formula's ``environment: {rpm: [...]}`` names, as dnf takes it (a name, a
#: ``name-version``, a provide such as ``python3dist(foo)`` or ``/usr/bin/x``): no blank or
#: control character, and no leading ``-``, which dnf would read as an option.
_RPM_SPEC = re.compile(r"[^\s\x00-\x1f\x7f-][^\s\x00-\x1f\x7f]*")


@dataclass(frozen=True)
class Requirements:
    """What a formula asks of the machine that runs it (Taskotron's ``environment:``), read
    from ``Plan.requirements``: the one place the disposable-environment step (not there yet;
    the local runner installs nothing) learns what to install.

    ``rpm``: the packages of ``environment.rpm``, in order, checked when the formula loads
    (plain strings, no blank, no leading ``-``). ``other``: the environment's other keys, as
    given (kept and recorded; nothing reads them yet).
    """

    rpm: tuple[str, ...] = ()
    other: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Action:
    """One validated action: its directive and its parameters, still with placeholders."""

    index: int
    name: str
    directive: Directive[Any]
    params: Any
    export: str | None = None
    timeout: float | None = None

    @property
    def label(self) -> str:
        return f"actions[{self.index}] ({self.name})"


@dataclass(frozen=True)
class Plan:
    """A formula that validated against one run's input."""

    source: Path
    name: str
    namespace: str
    actions: tuple[Action, ...]
    desc: str = ""
    maintainer: str = ""
    input_args: tuple[str, ...] = ()
    #: The formula's ``environment`` as given (``{"rpm": [...]}``): ``execution.json`` records
    #: it; ``requirements`` is the same, read.
    environment: Mapping[str, Any] = field(default_factory=dict)
    #: ``checkline: {python: ...}``: the interpreter of this task's check code, when it needs
    #: another one than the worker's (``interpreter.py``).
    python: str | None = None

    @property
    def taskdir(self) -> Path:
        return self.source.parent

    @property
    def requirements(self) -> Requirements:
        """What the formula asks to have installed where it runs (see ``Requirements``)."""
        rpm = self.environment.get("rpm") or []
        other = {key: value for key, value in self.environment.items() if key != "rpm"}
        return Requirements(tuple(rpm), other)

    @property
    def testcase(self) -> str:
        """``namespace.name`` (ResultsDB's testcase), or the name without a namespace: the
        formula's ``name`` under the rule every verdict's ``checkname`` follows
        (``checkline.contracts.namespaced_testcase``)."""
        return namespaced_testcase(self.name, self.namespace)


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)
    args: list[str] = []


def _rpm_spec(name: str) -> str:
    if not _RPM_SPEC.fullmatch(name):
        raise ValueError(
            f"must name a package (no blank or control character, not starting with '-'), "
            f"{name!r} found"
        )
    return name


class _Environment(BaseModel):
    """Taskotron's ``environment``: ``rpm`` is checked; other keys are kept as given."""

    model_config = ConfigDict(extra="allow", strict=True, defer_build=True)
    rpm: list[Annotated[str, AfterValidator(_rpm_spec)]] = []


class _Checkline(BaseModel):
    """Checkline's own keys of a formula, under ``checkline:`` (Taskotron has none there)."""

    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)
    python: str | None = None

    @field_validator("python")
    @classmethod
    def _interpreter(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not value.strip() or any(ch in value for ch in "\0\r\n"):
            raise ValueError(f"must be an interpreter's path or command name, {value!r} found")
        if "/" in value and not value.startswith("/"):
            raise ValueError(
                f"must be an absolute path or a command name found on PATH (python3.12), "
                f"{value!r} found: a relative path means something else on every worker"
            )
        return value


class _Header(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    namespace: str = Field("", pattern=r"^([A-Za-z0-9][A-Za-z0-9._-]*)?$")
    desc: str = ""
    maintainer: str = ""
    input: _Input = _Input()
    environment: _Environment = _Environment()
    checkline: _Checkline = _Checkline()
    actions: list[Any] = Field(min_length=1)


def _line_map(
    node: yaml.Node | None, path: Location = (), into: dict[Location, int] | None = None
) -> dict[Location, int]:
    """``{path: line}`` for every mapping key and sequence item of a composed YAML tree."""
    lines: dict[Location, int] = {} if into is None else into
    if node is None:
        return lines
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key_path = (*path, str(key_node.value))
            lines[key_path] = key_node.start_mark.line + 1
            _line_map(value_node, key_path, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_map(item, (*path, index), lines)
    return lines


class _Problems:
    """Collects problems and finds their line: the deepest known node on their path."""

    def __init__(self, source: str, lines: Mapping[Location, int]) -> None:
        self.source = source
        self.lines = lines
        self.found: list[FormulaProblem] = []

    def add(self, path: Location, where: str, message: str) -> None:
        key = tuple(p if isinstance(p, int) else str(p) for p in path)
        while key and key not in self.lines:
            key = key[:-1]
        self.found.append(FormulaProblem(self.source, self.lines.get(key), where, message))


def load_plan(
    path: Path, known: Mapping[str, Any], *, registry: DirectiveRegistry = REGISTRY
) -> Plan:
    """Read and validate the formula at ``path`` for a run whose variables are ``known``.

    Raises:
        FormulaError: with every problem found (also for an unreadable or non-YAML file).
    """
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise FormulaError(
            source, [FormulaProblem(source, None, "", f"cannot read: {err}")]
        ) from err
    try:
        data = yaml.safe_load(text)
        lines = _line_map(yaml.compose(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        detail = getattr(err, "problem", None) or str(err)
        raise FormulaError(
            source, [FormulaProblem(source, line, "", f"not valid YAML: {detail}")]
        ) from err
    return build_plan(data, path=path, known=known, lines=lines, registry=registry)


def build_plan(
    data: Any,
    *,
    path: Path,
    known: Mapping[str, Any],
    lines: Mapping[Location, int] | None = None,
    registry: DirectiveRegistry = REGISTRY,
) -> Plan:
    """Validate formula data (as ``safe_load`` returns it) into a ``Plan``.

    Args:
        data: the formula.
        path: where it came from (names it in messages; its folder is the task directory).
        known: the run's input variables and their values (item, arch, workdir, ...).
        lines: ``{path: line}`` for messages; see ``load_plan``.

    Raises:
        FormulaError: every problem, in formula order.
    """
    problems = _Problems(path.name if lines is None else str(path), lines or {})
    if not isinstance(data, dict):
        problems.add(
            (), "", f"must be a mapping of name, actions, ..., {type(data).__name__!r} found"
        )
        raise FormulaError(str(path), problems.found)
    data = dict(data)
    if "task" in data and "actions" not in data:  # the earliest formulas said "task:"
        data["actions"] = data.pop("task")
    try:
        header = _Header.model_validate(data)
    except ValidationError as err:
        for loc, message in validation_problems(err, _Header):
            problems.add(loc, dotted_path(loc), message)
        header = None
    raw_actions = data.get("actions") if isinstance(data.get("actions"), list) else []
    raw_input = data.get("input")
    raw_args = raw_input.get("args") if isinstance(raw_input, dict) else None
    # Checked even when the header has other problems, so that all are reported at once.
    args = [a for a in raw_args if isinstance(a, str)] if isinstance(raw_args, list) else []
    for index, arg in enumerate(args):
        if arg not in known:
            given = known.get("item_type", "?")
            problems.add(
                ("input", "args", index),
                f"input.args[{index}]",
                f"{arg!r} is not given by this run (its item type is {given!r}); "
                f"run it with -t {arg}"
                if arg not in RESERVED_NAMES
                else f"{arg!r} is not given",
            )
    actions = _build_actions(raw_actions, path.parent, known, problems, registry)
    if problems.found or header is None:
        raise FormulaError(str(path), sorted(problems.found, key=_by_line))
    return Plan(
        source=path,
        name=header.name,
        namespace=header.namespace,
        desc=header.desc,
        maintainer=header.maintainer,
        input_args=tuple(args),
        environment=dict(data.get("environment") or {}),
        python=header.checkline.python,
        actions=tuple(actions),
    )


def _build_actions(
    raw_actions: list[Any],
    taskdir: Path,
    known: Mapping[str, Any],
    problems: _Problems,
    registry: DirectiveRegistry,
) -> list[Action]:
    exported_at = {
        raw["export"]: index
        for index, raw in enumerate(raw_actions)
        if isinstance(raw, dict) and isinstance(raw.get("export"), str)
    }
    defined = set(known)
    actions = []
    for index, raw in enumerate(raw_actions):
        action = _build_action(index, raw, taskdir, known, defined, exported_at, problems, registry)
        if action is not None:
            actions.append(action)
            if action.export:
                defined.add(action.export)
        elif isinstance(raw, dict) and isinstance(raw.get("export"), str):
            defined.add(raw["export"])  # a broken action should not cascade into later ones
    return actions


def _build_action(
    index: int,
    raw: Any,
    taskdir: Path,
    known: Mapping[str, Any],
    defined: set[str],
    exported_at: Mapping[str, int],
    problems: _Problems,
    registry: DirectiveRegistry,
) -> Action | None:
    base: Location = ("actions", index)
    if not isinstance(raw, dict):
        problems.add(base, f"actions[{index}]", f"must be a mapping, {type(raw).__name__!r} found")
        return None
    count = len(problems.found)
    name = raw.get("name")
    if name is not None and not isinstance(name, str):
        problems.add((*base, "name"), f"actions[{index}].name", "must be a string")
        name = None
    label = f"actions[{index}] ({name})" if name else f"actions[{index}]"

    keys = [key for key in raw if key not in _ACTION_KEYS]
    directive_keys = [key for key in keys if isinstance(key, str) and _known(registry, key)]
    if len(directive_keys) > 1:
        problems.add(
            base,
            label,
            f"has several directives ({', '.join(directive_keys)}); "
            "an action runs one, split it into several actions",
        )
        return None
    if not directive_keys:
        if len(keys) == 1:
            try:
                registry.get(str(keys[0]))
            except UnknownDirective as err:
                problems.add((*base, keys[0]), label, str(err))
        else:
            problems.add(
                base, label, f"names no directive; add one of: {', '.join(registry.names())}"
            )
        return None
    key = directive_keys[0]
    for other in keys:
        if other != key:
            problems.add(
                (*base, other),
                label,
                f"unknown key {other!r}; an action has "
                f"{', '.join(_ACTION_KEYS)} and one directive (here {key!r})",
            )

    export = raw.get("export")
    if export is not None and (not isinstance(export, str) or not _IDENTIFIER.fullmatch(export)):
        problems.add(
            (*base, "export"),
            f"{label}: export",
            f"must be a variable name (letters, digits, '_'), {export!r} found",
        )
        export = None
    elif isinstance(export, str) and export in RESERVED_NAMES | {known.get("item_type")}:
        problems.add(
            (*base, "export"),
            f"{label}: export",
            f"{export!r} is a runner variable; export under another name",
        )
    timeout = raw.get("timeout")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0
    ):
        problems.add(
            (*base, "timeout"),
            f"{label}: timeout",
            f"must be a positive number of seconds, {timeout!r} found",
        )
        timeout = None

    directive = registry.get(key)
    params = raw[key]
    _check_references(params, (*base, key), label, key, defined, exported_at, index, problems)
    try:
        params = directive.normalize(params)
    except ParamsError as err:
        for loc, message in err.problems:
            problems.add((*base, key, *loc), f"{label}: {dotted_path((key, *loc))}", message)
        return None
    for loc, message in [
        *directive.check(preview(params, known)),
        *directive.plan_problems(params, taskdir),
    ]:
        problems.add((*base, key, *loc), f"{label}: {dotted_path((key, *loc))}", message)
    if len(problems.found) > count:
        return None
    return Action(index, name or key, directive, params, export, timeout)


def _by_line(problem: FormulaProblem) -> int:
    return problem.line if problem.line is not None else 0


def _known(registry: DirectiveRegistry, key: str) -> bool:
    try:
        registry.get(key)
    except UnknownDirective:
        return False
    return True


def _check_references(
    params: Any,
    path: Location,
    label: str,
    key: str,
    defined: set[str],
    exported_at: Mapping[str, int],
    index: int,
    problems: _Problems,
) -> None:
    try:
        found = references(params)
    except PlaceholderError as err:
        loc = (key, *err.location)
        problems.add((*path, *err.location), f"{label}: {dotted_path(loc)}", str(err))
        return
    for ref in found:
        if ref.root in defined:
            continue
        loc = (key, *ref.location)
        later = exported_at.get(ref.root)
        if later is not None and later >= index:
            when = "after" if later > index else "as"
            why = f"it is exported by actions[{later}], which runs {when} this one"
        else:
            why = f"defined here: {', '.join(sorted(defined))}"
        problems.add(
            (*path, *ref.location),
            f"{label}: {dotted_path(loc)}",
            f"'${{{ref.path}}}' is not defined ({why})",
        )
