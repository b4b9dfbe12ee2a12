"""Rules: an Event -> the Jobs it asks for (without uuids: the ledger mints them).

``rules.yml`` is a YAML list (read with ``yaml.safe_load`` only)::

    - when: {item_type: koji_build, tag: {$regex: '^f[0-9]+-updates-testing-pending$'}}
      do:
        - tasks: [rpmlint, nvr-sanity]          # checks: one job per check and arch
          arches: [x86_64, aarch64]             # default: the configured valid_arches
        - tasks: [dummy]
          arches: [noarch]                      # noarch: one run for all arches

``when`` is a query (see :mod:`.query`): ``$eq $ne $in $nin $regex $exists $not $and
$or``, with ``${field}`` placeholders filled from the Event as data. A ``do`` entry is a
:class:`RuleAction`: ``tasks`` names checks (folders of the checks repo; the key keeps
Taskotron's name, as the Job's ``taskname`` does) and ``arches`` may hold placeholders too
(``["${arch}"]``). Check names may not, so that every check a rule names can be checked to
exist (``<checks_dir>/<check>/runtask.yml``) when the rules load. Every problem in a file is
reported at once, each naming the file and the rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from checkline.contracts import NOARCH, Event, JobRequest, arch_problem, check_name_problem

from .errors import RulesError
from .query import Node, Unresolved, compile_query, has_placeholder, substitute

__all__ = [
    "NOARCH",
    "Rule",
    "RuleAction",
    "RuleSet",
    "check_problem",
    "job_arches",
    "load_rules",
    "parse_rules",
]


@dataclass(frozen=True)
class RuleAction:
    """One entry of a rule's ``do``: run these checks on these arches. (Not the runner's
    ``Action``, a step of a formula.)"""

    checks: tuple[str, ...]  #: folders of the checks repo (the YAML key ``tasks``)
    arches: tuple[str, ...] | None  # None: the configured valid_arches


@dataclass(frozen=True)
class Rule:
    index: int
    when: Any
    query: Node
    actions: tuple[RuleAction, ...]
    #: item types this rule can match, when its query pins ``item_type``; None: any.
    item_types: frozenset[str] | None = None

    @property
    def label(self) -> str:
        return f"rule {self.index}"


@dataclass(frozen=True)
class Explanation:
    rule: Rule
    matched: bool
    reason: str
    jobs: list[JobRequest] = field(default_factory=list)


class RuleSet:
    """The rules of one file, indexed by item type so an Event only meets its candidates."""

    def __init__(self, rules: Sequence[Rule], valid_arches: Sequence[str], source: str) -> None:
        self.rules = tuple(rules)
        self.valid_arches = tuple(valid_arches)
        self.source = source
        typed = {t for rule in self.rules for t in (rule.item_types or ())}
        untyped = [r for r in self.rules if r.item_types is None]
        self._by_type = {
            item_type: tuple(
                r for r in self.rules if r.item_types is None or item_type in r.item_types
            )
            for item_type in typed
        }
        self._untyped = tuple(untyped)

    def candidates(self, event: Event) -> tuple[Rule, ...]:
        return self._by_type.get(event.get("item_type"), self._untyped)

    def item_types(self) -> frozenset[str] | None:
        """The item types some rule can match; None when a rule matches any."""
        if self._untyped:
            return None
        return frozenset(self._by_type)

    def jobs_for(self, event: Event) -> list[JobRequest]:
        """The Jobs ``event`` asks for, in rule order, each (check, arch) once."""
        jobs: dict[tuple[str, str], JobRequest] = {}
        for rule in self.candidates(event):
            if rule.query.match(event):
                for job in self._expand(rule, event):
                    jobs.setdefault((job["taskname"], job["arch"]), job)
        return list(jobs.values())

    def explain(self, event: Event) -> list[Explanation]:
        """For every rule: did it match, why, and the jobs it gives."""
        out = []
        for rule in self.rules:
            ok, reason = rule.query.why(event)
            jobs = self._expand(rule, event) if ok else []
            out.append(Explanation(rule, ok, reason, jobs))
        return out

    def _expand(self, rule: Rule, event: Event) -> list[JobRequest]:
        jobs: list[JobRequest] = []
        for action in rule.actions:
            arches = self._arches(action, event)
            for check in action.checks:
                for arch in arches:
                    jobs.append(
                        {
                            "item": event["item"],
                            "item_type": event["item_type"],
                            "taskname": check,
                            "arch": arch,
                        }
                    )
        return jobs

    def _arches(self, action: RuleAction, event: Event) -> list[str]:
        if action.arches is None:
            arches: list[str] = list(self.valid_arches)
        else:
            arches = []
            for arch in action.arches:
                if not has_placeholder(arch):
                    arches.append(arch)
                    continue
                try:
                    value = substitute(arch, event)
                except Unresolved:
                    continue
                values = value if isinstance(value, list) else [value]
                # Event data becomes an arch only when it looks like one.
                arches.extend(v for v in values if isinstance(v, str) and not arch_problem(v))
        return job_arches(arches)


def job_arches(arches: Iterable[str]) -> list[str]:
    """The arches a check runs on: ``noarch`` alone when it is asked for (a noarch job runs
    once, whatever the arch), else each arch once, in order. Rules and ``trigger schedule``
    both use it."""
    wanted = list(dict.fromkeys(arches))
    return [NOARCH] if NOARCH in wanted else wanted


def _item_types(when: Any) -> frozenset[str] | None:
    spec = when.get("item_type") if isinstance(when, Mapping) else None
    if isinstance(spec, str) and not has_placeholder(spec):
        return frozenset([spec])
    if isinstance(spec, Mapping) and set(spec) == {"$eq"} and isinstance(spec["$eq"], str):
        return frozenset([spec["$eq"]])
    if isinstance(spec, Mapping) and set(spec) == {"$in"} and isinstance(spec["$in"], list):
        if all(isinstance(v, str) and not has_placeholder(v) for v in spec["$in"]):
            return frozenset(spec["$in"])
    return None


def _string_list(value: Any, what: str, where: str, errors: list[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        errors.append(f"{where}: {what} must be a non-empty list of strings, got {value!r}")
        return ()
    return tuple(value)


def check_problem(check: str, checks_dir: Path) -> str | None:
    """Why the check ``check`` cannot run from ``checks_dir``, or None when it can."""
    if problem := check_name_problem(check):
        return f"{problem} (no placeholders, no paths)"
    if not (checks_dir / check / "runtask.yml").is_file():
        known = sorted(p.parent.name for p in checks_dir.glob("*/runtask.yml"))
        return (
            f"check {check!r} is not in the checks repo "
            f"({checks_dir / check / 'runtask.yml'} does not exist); "
            f"known checks: {', '.join(known) or 'none'}"
        )
    return None


def _action(spec: Any, where: str, checks_dir: Path, errors: list[str]) -> RuleAction | None:
    if not isinstance(spec, Mapping):
        errors.append(f"{where}: an action must be a mapping with 'tasks', got {spec!r}")
        return None
    unknown = sorted(set(spec) - {"tasks", "arches"})
    if unknown:
        errors.append(f"{where}: unknown key(s) {', '.join(unknown)}; valid: tasks, arches")
    checks = _string_list(spec.get("tasks"), "tasks", where, errors)
    for check in checks:
        problem = check_problem(check, checks_dir)
        if problem:
            errors.append(f"{where}: {problem}")
    arches = None
    if "arches" in spec:
        arches = _string_list(spec["arches"], "arches", where, errors)
        for arch in arches:
            if not has_placeholder(arch) and (problem := arch_problem(arch)):
                errors.append(f"{where}: {arch!r} is not a valid arch name: {problem}")
    return RuleAction(checks, arches)


def parse_rules(data: Any, source: str, checks_dir: Path, valid_arches: Sequence[str]) -> RuleSet:
    """Validate parsed YAML into a :class:`RuleSet`.

    Raises:
        RulesError: every problem at once, one per line, each naming ``source`` and the rule.
    """
    if not isinstance(data, list):
        raise RulesError(f"{source}: the rules must be a YAML list of {{when, do}} mappings")
    errors: list[str] = []
    rules: list[Rule] = []
    for index, spec in enumerate(data):
        where = f"{source}: rule {index}"
        if not isinstance(spec, Mapping):
            errors.append(f"{where}: must be a mapping with 'when' and 'do', got {spec!r}")
            continue
        unknown = sorted(set(spec) - {"when", "do"})
        if unknown:
            errors.append(f"{where}: unknown key(s) {', '.join(unknown)}; valid: when, do")
        try:
            query = compile_query(spec.get("when"), f"{where}: when")
        except RulesError as err:
            errors.append(str(err))
            continue
        do = spec.get("do")
        if not isinstance(do, list) or not do:
            errors.append(f"{where}: do must be a non-empty list of {{tasks, arches}}")
            continue
        actions = [
            _action(action, f"{where}: do[{i}]", checks_dir, errors) for i, action in enumerate(do)
        ]
        rules.append(
            Rule(
                index=index,
                when=spec["when"],
                query=query,
                actions=tuple(a for a in actions if a is not None),
                item_types=_item_types(spec["when"]),
            )
        )
    if errors:
        count = f"{len(errors)} problem{'s' if len(errors) > 1 else ''}"
        raise RulesError(f"{source}: unusable rules ({count}):\n  " + "\n  ".join(errors))
    return RuleSet(rules, valid_arches, source)


def load_rules(path: Path, checks_dir: Path, valid_arches: Iterable[str]) -> RuleSet:
    """Read and validate ``path``.

    Raises:
        RulesError: the file cannot be read or parsed, or its rules are unusable.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise RulesError(f"cannot read rules file {path}: {err}") from err
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise RulesError(f"{path}: not valid YAML: {err}") from err
    return parse_rules(data, str(path), checks_dir, tuple(valid_arches))
