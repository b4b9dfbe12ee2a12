"""The directive contract and the registry that maps formula keys to directives.

A directive validates its parameters into a typed, frozen pydantic model before the first
action of the formula runs, then runs with the substituted parameters and returns what the
action exports::

    @directive("dummy")
    class Dummy(Directive[DummyParams]):
        Params = DummyParams
        def run(self, params: DummyParams, ctx: RunContext) -> str: ...

Validation happens twice: at plan time on a *preview* of the parameters (values of earlier
actions' exports are not known yet and are skipped), and just before running on the real,
substituted values (a wrong type there is an execution error: the formula was sound, an
action's output was not).
"""

from __future__ import annotations

import difflib
from abc import ABC, abstractmethod
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import ParamsError
from ..schema import validation_problems
from ..variables import DEFERRED

if TYPE_CHECKING:
    from ..context import RunContext

__all__ = [
    "Directive",
    "DirectiveParams",
    "DirectiveRegistry",
    "UnknownDirective",
    "directive",
]

ENTRY_POINT_GROUP = "checkline.directives"


class DirectiveParams(BaseModel):
    """Base of every directive's parameters: strict types, unknown keys refused, frozen."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


P = TypeVar("P", bound=DirectiveParams)


def _is_deferred(data: Any, loc: tuple[Any, ...]) -> bool:
    """True when the value at ``loc`` (or one above it) is only known at run time."""
    value = data
    for part in loc:
        if value is DEFERRED:
            return True
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        else:
            return False
    return value is DEFERRED


class Directive(ABC, Generic[P]):
    """A formula directive. Subclasses set ``Params`` and implement ``run``."""

    name: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    Params: ClassVar[type[DirectiveParams]]

    def normalize(self, raw: Any) -> Any:
        """Reshape the raw formula value before substitution (e.g. split command strings).

        Runs on the formula's own text only, so it may parse that text; values substituted
        later are never parsed. Raises ``ParamsError``.
        """
        return raw

    def validate(self, params: Any) -> P:
        """Check parameters and return them typed.

        Raises:
            ParamsError: every problem, each with its location inside the parameters.
        """
        if not isinstance(params, dict):
            raise ParamsError([((), f"must be a mapping, {type(params).__name__!r} found")])
        try:
            return self.Params.model_validate(params)  # type: ignore[return-value]
        except ValidationError as err:
            raise ParamsError(validation_problems(err, self.Params)) from None

    def check(self, preview: Any) -> list[tuple[tuple[str | int, ...], str]]:
        """Plan-time validation: the problems, except those about values not yet known."""
        try:
            self.validate(preview)
        except ParamsError as err:
            return [(loc, msg) for loc, msg in err.problems if not _is_deferred(preview, loc)]
        return []

    def plan_problems(self, raw: Any, taskdir: Path) -> list[tuple[tuple[str | int, ...], str]]:
        """Plan-time checks that need the task directory (files a formula names). None here."""
        return []

    @abstractmethod
    def run(self, params: P, ctx: RunContext) -> Any:
        """Do the action's work; return the value the action exports.

        Raises:
            DirectiveError: the work could not be done (an execution error).
        """


class UnknownDirective(LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        close = difflib.get_close_matches(name.lower(), known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        super().__init__(f"unknown directive {name!r}{hint} (known: {', '.join(known)})")


class DirectiveRegistry:
    """Directive classes by case-insensitive name.

    A directive registers when its module is imported. ``lazy`` names the module of each
    name not imported yet: it is imported on the first lookup of one of its names, so that a
    run imports only the directives its formula uses (the koji and bodhi directives import
    their client libraries: 0.13 s of a 0.32 s dummy run when every built-in was imported up
    front, bench/README.md). Third-party directives come from the ``checkline.directives``
    entry point group, looked up only when a name is not a built-in (so a plain run does not
    scan installed packages).
    """

    def __init__(self, lazy: dict[str, str] | None = None) -> None:
        self._classes: dict[str, type[Directive[Any]]] = {}
        self._lazy = dict(lazy or {})
        self._entry_points_loaded = False

    def register(self, cls: type[Directive[Any]]) -> type[Directive[Any]]:
        """Register ``cls`` under its name and aliases: all of them, or none.

        Raises:
            ValueError: a name is empty or taken by another class.
        """
        names = (cls.name, *cls.aliases)
        for name in names:
            key = name.lower()
            if not key:
                raise ValueError(f"{cls.__qualname__} has no directive name")
            if key in self._classes and self._classes[key] is not cls:
                other = self._classes[key].__qualname__
                raise ValueError(
                    f"directive name {name!r} of {cls.__qualname__} is taken by {other}"
                )
        for name in names:
            self._classes[name.lower()] = cls
        return cls

    def names(self) -> list[str]:
        """Every name a formula may use, aliases included, sorted (imports nothing)."""
        return sorted(set(self._classes) | set(self._lazy))

    def get(self, name: str) -> Directive[Any]:
        """A fresh instance of the directive called ``name``.

        Raises:
            UnknownDirective: naming the closest known directive.
        """
        key = name.lower()
        if key not in self._classes and key in self._lazy:
            import_module(self._lazy[key])  # registers the module's directives
        if key not in self._classes and not self._entry_points_loaded:
            self._load_entry_points()
        if key not in self._classes:
            raise UnknownDirective(name, self.names())
        return self._classes[key]()

    def _load_entry_points(self) -> None:
        from importlib.metadata import entry_points  # only when a name is not built in

        self._entry_points_loaded = True
        for point in entry_points(group=ENTRY_POINT_GROUP):
            self.register(point.load())


#: The built-in directives' names and aliases, each with the module that defines it
#: (tests/unit/runner/directives/test_directive_registry.py checks the table against them).
BUILTINS = {
    name: f"{__package__}.{module}"
    for module, names in {
        "bodhi": ("bodhi",),
        "distgit": ("distgit",),
        "dummy": ("dummy",),
        "exitcode": ("exitcode",),
        "koji": ("koji",),
        "python": ("python",),
        "results": ("results", "resultsdb"),
        "shell": ("shell", "bash"),
    }.items()
    for name in names
}

REGISTRY = DirectiveRegistry(lazy=BUILTINS)


def directive(name: str, *aliases: str) -> Callable[[type[Any]], type[Any]]:
    """Class decorator: name a directive and register it in ``REGISTRY``."""

    def register(cls: type[Any]) -> type[Any]:
        cls.name = name
        cls.aliases = aliases
        return REGISTRY.register(cls)

    return register
