"""MongoDB-style queries over an Event, compiled once into small matcher objects.

A query is a mapping. Each key is a field of the Event (dotted for nested keys, ``a.b``) or one
of ``$and``/``$or`` (a list of queries) or ``$not`` (a query). A field's value is either a
plain value (equality; against a list field: "contains") or a mapping of operators:
``$eq``, ``$ne``, ``$in``, ``$nin``, ``$regex`` (a Python regex, searched; Taskotron's
``/.../`` form is accepted), ``$exists`` (true/false) and ``$not`` (an operator mapping or a
regex). Strings may hold ``${field}`` placeholders, filled from the same Event *as data*: a
value is compared as it is, and a value put into a ``$regex`` is escaped first. ``$$`` is a
literal ``$``.

Each node has ``match(event) -> bool`` (the fast path) and ``why(event) -> (bool, str)`` (the
explanation ``checkline trigger explain`` prints); both go through the same comparisons.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .errors import RulesError

__all__ = ["MISSING", "Node", "compile_query", "has_placeholder", "substitute"]

MISSING: Any = object()
_PLACEHOLDER = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_.]*)\}|(\$))")
_OPERATORS = ("$eq", "$ne", "$in", "$nin", "$regex", "$exists", "$not")


class Unresolved(LookupError):
    """A placeholder names a field the Event lacks."""


def has_placeholder(value: str) -> bool:
    return "$" in value and _PLACEHOLDER.search(value) is not None


def lookup(event: Mapping[str, Any], path: str) -> Any:
    """The value at ``path`` (``a.b`` for nested mappings), or :data:`MISSING`."""
    value = event.get(path, MISSING)
    if value is not MISSING or "." not in path:
        return value
    current: Any = event
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return MISSING
        current = current[part]
    return current


def substitute(template: str, event: Mapping[str, Any], escape: bool = False) -> Any:
    """Fill ``${field}`` from ``event``; a template that is one placeholder keeps its type.

    Raises:
        Unresolved: a placeholder names a field the Event lacks.
    """
    whole = _PLACEHOLDER.fullmatch(template)
    if whole and whole.group(1) and not escape:
        value = lookup(event, whole.group(1))
        if value is MISSING:
            raise Unresolved(whole.group(1))
        return value

    def fill(match: re.Match[str]) -> str:
        if match.group(2):
            return "$"
        value = lookup(event, match.group(1))
        if value is MISSING:
            raise Unresolved(match.group(1))
        text = str(value)
        return re.escape(text) if escape else text

    return _PLACEHOLDER.sub(fill, template)


class Node:
    """One compiled query node."""

    def match(self, event: Mapping[str, Any]) -> bool:
        raise NotImplementedError

    def why(self, event: Mapping[str, Any]) -> tuple[bool, str]:
        raise NotImplementedError


def _show(value: Any) -> str:
    return "missing" if value is MISSING else repr(value)


class _Value:
    """An operand: a constant, or a string with placeholders filled per Event."""

    __slots__ = ("dynamic", "escape", "value")

    def __init__(self, value: Any, escape: bool = False) -> None:
        self.value = value
        self.escape = escape
        self.dynamic = isinstance(value, str) and has_placeholder(value)

    def get(self, event: Mapping[str, Any]) -> Any:
        if self.dynamic:
            return substitute(self.value, event, self.escape)
        return self.value


def _eq(actual: Any, expected: Any) -> bool:
    if actual is MISSING:
        return expected is None
    if isinstance(actual, list) and not isinstance(expected, list):
        return expected in actual
    return bool(actual == expected)


def _in(actual: Any, options: Sequence[Any]) -> bool:
    if isinstance(actual, list):
        return any(item in options for item in actual)
    if actual is MISSING:
        return None in options
    return actual in options


class _FieldOp(Node):
    """``field <op> operand`` for one operator."""

    def __init__(self, path: str, op: str, operand: Any, source: str) -> None:
        self.path, self.op = path, op
        self.text = f"{path} {op} {operand!r}"
        self.test: Callable[[Any, Mapping[str, Any]], bool]
        if op in ("$eq", "$ne"):
            value = _Value(operand)
            negate = op == "$ne"
            self.test = lambda actual, event: _eq(actual, value.get(event)) != negate
        elif op in ("$in", "$nin"):
            if not isinstance(operand, list):
                raise RulesError(f"{source}: {path}: {op} needs a list, got {operand!r}")
            values = [_Value(v) for v in operand]
            static = None if any(v.dynamic for v in values) else _hashable(operand)
            negate = op == "$nin"

            def test_in(actual: Any, event: Mapping[str, Any]) -> bool:
                options = static if static is not None else [v.get(event) for v in values]
                return _in(actual, options) != negate

            self.test = test_in
        elif op == "$regex":
            self.test = _regex_test(path, operand, source)
        elif op == "$exists":
            if not isinstance(operand, bool):
                raise RulesError(f"{source}: {path}: $exists needs true or false, got {operand!r}")
            self.test = lambda actual, event: (actual is not MISSING) == operand
        else:  # pragma: no cover - guarded by _field()
            raise AssertionError(op)

        # The fast path replaces the method on this instance: one call less per clause.
        self.match = self._fast(operand) or self._generic  # type: ignore[method-assign,assignment]

    def _fast(self, operand: Any) -> Callable[[Mapping[str, Any]], bool] | None:
        """A closure for the common case: a plain key compared with a constant."""
        path = self.path
        if "." in path or (isinstance(operand, str) and has_placeholder(operand)):
            return None
        if self.op == "$eq" and not isinstance(operand, (list, dict)):
            expected = operand

            def eq(event: Mapping[str, Any]) -> bool:
                actual = event.get(path, MISSING)
                if actual is MISSING:
                    return expected is None
                if type(actual) is list:
                    return expected in actual
                return bool(actual == expected)

            return eq
        return None

    def _generic(self, event: Mapping[str, Any]) -> bool:
        try:
            return self.test(lookup(event, self.path), event)
        except Unresolved:
            return False

    def why(self, event: Mapping[str, Any]) -> tuple[bool, str]:
        actual = lookup(event, self.path)
        try:
            ok = self.test(actual, event)
        except Unresolved as err:
            return False, f"{self.text}: no (placeholder ${{{err}}} is not in the event)"
        return ok, f"{self.text}: {'yes' if ok else 'no'} (it is {_show(actual)})"


def _hashable(values: list[Any]) -> Any:
    try:
        return frozenset(values)
    except TypeError:
        return values


def _regex_test(path: str, operand: Any, source: str) -> Callable[[Any, Mapping[str, Any]], bool]:
    if not isinstance(operand, str):
        raise RulesError(f"{source}: {path}: $regex needs a string, got {operand!r}")
    if len(operand) > 1 and operand.startswith("/") and operand.endswith("/"):
        operand = operand[1:-1]  # Taskotron's rules wrote '/^f[0-9]+-pending$/'
    value = _Value(operand, escape=True)
    pattern: re.Pattern[str] | None = None
    if not value.dynamic:
        try:
            pattern = re.compile(operand)
        except re.error as err:
            raise RulesError(f"{source}: {path}: bad $regex {operand!r}: {err}") from err

    def search(actual: Any, event: Mapping[str, Any]) -> bool:
        regex = pattern or re.compile(value.get(event))
        items = actual if isinstance(actual, list) else [actual]
        return any(isinstance(item, str) and regex.search(item) is not None for item in items)

    return search


class _All(Node):
    def __init__(self, nodes: list[Node], label: str = "all of") -> None:
        self.nodes, self.label = nodes, label

    def match(self, event: Mapping[str, Any]) -> bool:
        for node in self.nodes:  # a loop, not all(generator): this runs per rule and event
            if not node.match(event):
                return False
        return True

    def why(self, event: Mapping[str, Any]) -> tuple[bool, str]:
        parts = [node.why(event) for node in self.nodes]
        if len(parts) == 1:
            return parts[0]
        ok = all(p for p, _ in parts)
        return ok, f"{self.label} [" + "; ".join(text for _, text in parts) + "]"


class _Any(Node):
    def __init__(self, nodes: list[Node]) -> None:
        self.nodes = nodes

    def match(self, event: Mapping[str, Any]) -> bool:
        for node in self.nodes:
            if node.match(event):
                return True
        return False

    def why(self, event: Mapping[str, Any]) -> tuple[bool, str]:
        parts = [node.why(event) for node in self.nodes]
        ok = any(p for p, _ in parts)
        return ok, "any of [" + "; ".join(text for _, text in parts) + "]"


class _Not(Node):
    def __init__(self, node: Node) -> None:
        self.node = node

    def match(self, event: Mapping[str, Any]) -> bool:
        return not self.node.match(event)

    def why(self, event: Mapping[str, Any]) -> tuple[bool, str]:
        ok, text = self.node.why(event)
        return not ok, f"not ({text})"


def _field(path: str, spec: Any, source: str) -> Node:
    if isinstance(spec, Mapping) and any(str(k).startswith("$") for k in spec):
        nodes: list[Node] = []
        for op, operand in spec.items():
            if op == "$not":
                inner = operand if isinstance(operand, Mapping) else {"$regex": operand}
                nodes.append(_Not(_field(path, inner, source)))
            elif op in _OPERATORS:
                nodes.append(_FieldOp(path, op, operand, source))
            else:
                raise RulesError(
                    f"{source}: {path}: unknown operator {op!r}; known: {', '.join(_OPERATORS)}"
                )
        return nodes[0] if len(nodes) == 1 else _All(nodes)
    return _FieldOp(path, "$eq", spec, source)


def compile_query(query: Any, source: str) -> Node:
    """Compile a query mapping into a :class:`Node`.

    Raises:
        RulesError: naming ``source`` and the bad part (unknown operator, wrong operand).
    """
    if not isinstance(query, Mapping):
        raise RulesError(f"{source}: a query must be a mapping, got {query!r}")
    nodes: list[Node] = []
    for key, spec in query.items():
        key = str(key)
        if key in ("$and", "$or"):
            if not isinstance(spec, list) or not spec:
                raise RulesError(f"{source}: {key} needs a non-empty list of queries")
            subs = [compile_query(sub, f"{source}: {key}[{i}]") for i, sub in enumerate(spec)]
            nodes.append(_All(subs) if key == "$and" else _Any(subs))
        elif key == "$not":
            nodes.append(_Not(compile_query(spec, f"{source}: $not")))
        elif key.startswith("$"):
            raise RulesError(f"{source}: unknown operator {key!r} at the top of a query")
        else:
            nodes.append(_field(key, spec, source))
    return _All(nodes)
