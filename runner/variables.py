"""``$var`` / ``${var}`` / ``${var.key}`` substitution in formula values, as data.

Taskotron's syntax (Python ``string.Template``): ``$name`` or ``${name}``, ``$$`` for a literal
``$``, dotted access inside braces (``${build.nvr}``, ``${rpms.0}``), mapping keys substituted
too. A value that is one placeholder and nothing else is replaced by the variable's value with
its type (a list stays a list); a placeholder inside a longer string is rendered as text.

Substitution is a single pass over the *formula's* text: a substituted value is never scanned
again, so an item such as ``$(id)`` or ``${uuid}`` arrives as those exact characters. Nothing
here goes near a shell.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DEFERRED",
    "PlaceholderError",
    "Reference",
    "SubstitutionError",
    "preview",
    "references",
    "substitute",
]

_PLACEHOLDER = re.compile(
    r"""\$(?:
        (?P<escaped>\$)
      | (?P<named>[_a-zA-Z][_a-zA-Z0-9]*)
      | \{(?P<braced>[_a-zA-Z][_a-zA-Z0-9]*(?:\.[_a-zA-Z0-9-]+)*)\}
      | (?P<invalid>)
    )""",
    re.VERBOSE,
)

Location = tuple[str | int, ...]


class PlaceholderError(ValueError):
    """A ``$`` that starts no valid placeholder; ``location`` is where, inside the value."""

    def __init__(self, location: Location, text: str) -> None:
        self.location = location
        super().__init__(
            f"invalid placeholder in {text!r}: write ${{name}} for a variable, $$ for a literal $"
        )


class SubstitutionError(KeyError):
    """A dotted path that does not resolve at run time (``${out.missing}``)."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Reference:
    """A placeholder found in a value: its dotted ``path`` and ``location`` in the value."""

    path: str
    location: Location

    @property
    def root(self) -> str:
        return self.path.split(".", 1)[0]


class _Deferred:
    """Stands for a value only known at run time (an earlier action's export)."""

    def __repr__(self) -> str:
        return "DEFERRED"


DEFERRED: Any = _Deferred()


def _scan(text: str, location: Location) -> Iterator[re.Match[str]]:
    for match in _PLACEHOLDER.finditer(text):
        if match.group("invalid") is not None:
            raise PlaceholderError(location, text)
        yield match


def _whole(text: str) -> str | None:
    """The dotted path when ``text`` is exactly one placeholder, else None."""
    match = _PLACEHOLDER.fullmatch(text)
    if match and not match.group("escaped") and match.group("invalid") is None:
        return match.group("named") or match.group("braced")
    return None


def references(value: Any, location: Location = ()) -> list[Reference]:
    """Every placeholder in a nested value (strings, list items, mapping keys and values).

    Raises:
        PlaceholderError: for a ``$`` that starts no placeholder (``$(id)`` in formula text).
    """
    found: list[Reference] = []
    if isinstance(value, str):
        for match in _scan(value, location):
            path = match.group("named") or match.group("braced")
            if path:
                found.append(Reference(path, location))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            found.extend(references(key, (*location, str(key))))
            found.extend(references(item, (*location, str(key))))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(references(item, (*location, index)))
    return found


def resolve(path: str, variables: Mapping[str, Any]) -> Any:
    """Look up a dotted path: mapping keys, and list indices written as numbers."""
    root, *rest = path.split(".")
    if root not in variables:
        raise SubstitutionError(f"${{{path}}}: variable {root!r} is not defined")
    value = variables[root]
    walked = root
    for part in rest:
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise SubstitutionError(
                f"${{{path}}}: {walked!r} ({type(value).__name__}) has no {part!r}"
            )
        walked += f".{part}"
    return value


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float) or value is None:
        return "" if value is None else str(value)
    return json.dumps(value, sort_keys=True)


def substitute(value: Any, variables: Mapping[str, Any]) -> Any:
    """Return ``value`` with every placeholder replaced; the input is not modified.

    Raises:
        SubstitutionError: a dotted path that does not resolve.
        PlaceholderError: an invalid placeholder (caught earlier by validation).
    """
    if isinstance(value, str):
        whole = _whole(value)
        if whole is not None:
            return resolve(whole, variables)

        def render(match: re.Match[str]) -> str:
            if match.group("escaped"):
                return "$"
            return _as_text(resolve(match.group("named") or match.group("braced"), variables))

        # A single re.sub over the formula's text: the rendered values are not rescanned.
        list(_scan(value, ()))
        return _PLACEHOLDER.sub(render, value)
    if isinstance(value, Mapping):
        return {
            _as_text(substitute(key, variables)): substitute(item, variables)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [substitute(item, variables) for item in value]
    return value


def preview(value: Any, known: Mapping[str, Any]) -> Any:
    """The value as validation should see it before any action has run.

    A whole placeholder of a known variable becomes its value (so its type can be checked);
    one of a variable only known later becomes ``DEFERRED``; text stays text.
    """
    if isinstance(value, str):
        whole = _whole(value)
        if whole is None:
            return value
        try:
            return resolve(whole, known)
        except SubstitutionError:
            return DEFERRED
    if isinstance(value, Mapping):
        return {key: preview(item, known) for key, item in value.items()}
    if isinstance(value, list):
        return [preview(item, known) for item in value]
    return value
