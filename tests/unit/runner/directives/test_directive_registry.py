"""The directive registry and the shared parts of the directive contract (base.py)."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import Field

from checkline.runner.directives import REGISTRY, base
from checkline.runner.directives.base import (
    Directive,
    DirectiveParams,
    DirectiveRegistry,
    UnknownDirective,
    directive,
)
from checkline.runner.directives.results import Results
from checkline.runner.directives.shell import Shell
from checkline.runner.errors import ParamsError
from checkline.runner.variables import DEFERRED


class AlphaParams(DirectiveParams):
    count: int = 0
    names: list[str] = Field(default_factory=list)


class Alpha(Directive[AlphaParams]):
    name = "alpha"
    aliases = ("first",)
    Params = AlphaParams

    def run(self, params: AlphaParams, ctx: Any) -> int:
        return params.count


class Beta(Directive[AlphaParams]):
    name = "beta"
    aliases = ("alpha",)
    Params = AlphaParams

    def run(self, params: AlphaParams, ctx: Any) -> int:
        return 0


class Gamma(Directive[AlphaParams]):
    name = "gamma"
    Params = AlphaParams

    def run(self, params: AlphaParams, ctx: Any) -> int:
        return 0


class Nameless(Directive[AlphaParams]):
    Params = AlphaParams

    def run(self, params: AlphaParams, ctx: Any) -> int:
        return 0


class _EntryPoint:
    def __init__(self, cls: type[Directive[Any]]) -> None:
        self.cls = cls

    def load(self) -> type[Directive[Any]]:
        return self.cls


@dataclass
class InstalledEntryPoints:
    """Stands in for the installed ``checkline.directives`` entry points."""

    provided: list[_EntryPoint] = field(default_factory=list)
    lookups: list[str] = field(default_factory=list)

    def __call__(self, *, group: str) -> list[_EntryPoint]:
        self.lookups.append(group)
        return list(self.provided)


@pytest.fixture
def entry_points(monkeypatch: pytest.MonkeyPatch) -> InstalledEntryPoints:
    """No installed third-party directive unless a test adds one; lookups are recorded."""
    fake = InstalledEntryPoints()
    monkeypatch.setattr(importlib.metadata, "entry_points", fake)
    # An earlier base.py imported the function at module level; patch that name as well.
    monkeypatch.setattr(base, "entry_points", fake, raising=False)
    return fake


@pytest.fixture
def registry(entry_points: InstalledEntryPoints) -> DirectiveRegistry:
    """A fresh registry holding Alpha (alias ``first``), with no installed entry points."""
    fresh = DirectiveRegistry()
    fresh.register(Alpha)
    return fresh


class TestBuiltins:
    def test_lookup_is_case_insensitive(self) -> None:
        """Assert a formula key is looked up case-insensitively ("SHELL" is shell)."""
        assert type(REGISTRY.get("SHELL")) is Shell
        assert type(REGISTRY.get("Shell")) is Shell

    @pytest.mark.parametrize(
        ("alias", "cls"), [("bash", Shell), ("BASH", Shell), ("resultsdb", Results)]
    )
    def test_taskotron_aliases(self, alias: str, cls: type[Directive[Any]]) -> None:
        """Assert Taskotron's directive names are aliases of the built-ins."""
        assert type(REGISTRY.get(alias)) is cls

    def test_builtin_names(self) -> None:
        """Assert every built-in directive and alias is a known name."""
        assert {"bash", "dummy", "exitcode", "python", "results", "resultsdb", "shell"} <= set(
            REGISTRY.names()
        )

    def test_the_lazy_table_names_what_each_module_registers(self) -> None:
        """Assert BUILTINS maps every built-in name and alias to the module defining it, and
        nothing else: a name missing there would be unknown until its module is imported."""
        for name, module in base.BUILTINS.items():
            cls = type(REGISTRY.get(name))
            assert cls.__module__ == module
            assert name in (cls.name, *cls.aliases)
        registered = {key for key in REGISTRY._classes if key in base.BUILTINS}
        assert registered == set(base.BUILTINS)

    def test_a_lookup_imports_only_its_own_module(self) -> None:
        """Assert the registry imports a built-in's module on its first lookup, and that a
        dummy run does not import the koji and bodhi client libraries."""
        script = (
            "import sys\n"
            "from checkline.runner.directives import REGISTRY\n"
            "assert 'checkline.runner.directives.dummy' not in sys.modules\n"
            "REGISTRY.get('dummy'); REGISTRY.get('resultsdb')\n"
            "assert 'checkline.runner.directives.dummy' in sys.modules\n"
            "heavy = sorted(m for m in ('koji', 'bodhi', 'checkline.runner.directives.koji') "
            "if m in sys.modules)\n"
            "assert not heavy, heavy\n"
            "assert 'koji' in REGISTRY.names()\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr

    def test_get_returns_a_fresh_instance(self) -> None:
        """Assert each lookup gives a new directive instance (no state shared between actions)."""
        assert REGISTRY.get("shell") is not REGISTRY.get("shell")

    def test_unknown_builtin_suggests_the_closest(self) -> None:
        """Assert a misspelt built-in names the directive it resembles."""
        with pytest.raises(UnknownDirective, match=r"did you mean 'shell'\?") as caught:
            REGISTRY.get("shel")
        assert caught.value.name == "shel"
        assert isinstance(caught.value, LookupError)


class TestRegister:
    def test_name_and_alias_resolve_to_the_class(self, registry: DirectiveRegistry) -> None:
        """Assert a registered class is found by its name and by its alias, in any case."""
        assert type(registry.get("alpha")) is Alpha
        assert type(registry.get("FIRST")) is Alpha
        assert registry.names() == ["alpha", "first"]

    def test_names_are_stored_lower_case(self, entry_points: InstalledEntryPoints) -> None:
        """Assert a mixed-case name is listed and found in lower case."""

        class Mixed(Alpha):
            name = "MiXed"
            aliases = ()

        fresh = DirectiveRegistry()
        fresh.register(Mixed)
        assert fresh.names() == ["mixed"]
        assert type(fresh.get("MIXED")) is Mixed

    def test_registering_the_same_class_twice_is_harmless(
        self, registry: DirectiveRegistry
    ) -> None:
        """Assert re-registering a class under its own names is not a conflict."""
        assert registry.register(Alpha) is Alpha
        assert registry.names() == ["alpha", "first"]

    def test_duplicate_name_is_refused(self, registry: DirectiveRegistry) -> None:
        """Assert a name taken by another class raises ValueError naming both classes."""

        class Other(Alpha):
            name = "ALPHA"
            aliases = ()

        with pytest.raises(ValueError) as caught:
            registry.register(Other)
        assert str(caught.value) == (
            "directive name 'ALPHA' of TestRegister.test_duplicate_name_is_refused."
            "<locals>.Other is taken by Alpha"
        )
        assert type(registry.get("alpha")) is Alpha

    def test_duplicate_alias_is_refused(self, registry: DirectiveRegistry) -> None:
        """Assert an alias that is another directive's name is refused with the exact text."""
        with pytest.raises(ValueError, match=r"^directive name 'alpha' of Beta is taken by Alpha$"):
            registry.register(Beta)

    def test_refused_class_leaves_no_name_behind(self, registry: DirectiveRegistry) -> None:
        """Assert a class refused for a duplicate alias is not registered under any name."""
        with pytest.raises(ValueError):
            registry.register(Beta)
        assert "beta" not in registry.names()

    def test_class_without_name_is_refused(self, registry: DirectiveRegistry) -> None:
        """Assert a directive class with no name cannot be registered."""
        with pytest.raises(ValueError, match=r"^Nameless has no directive name$"):
            registry.register(Nameless)

    def test_decorator_names_and_registers(
        self, monkeypatch: pytest.MonkeyPatch, registry: DirectiveRegistry
    ) -> None:
        """Assert @directive sets name and aliases and registers in REGISTRY."""
        monkeypatch.setattr(base, "REGISTRY", registry)

        @directive("Delta", "d")
        class Delta(Alpha):
            pass

        assert (Delta.name, Delta.aliases) == ("Delta", ("d",))
        assert type(registry.get("delta")) is Delta
        assert type(registry.get("D")) is Delta

    def test_decorator_refuses_a_taken_name(
        self, monkeypatch: pytest.MonkeyPatch, registry: DirectiveRegistry
    ) -> None:
        """Assert @directive with a built-in's name fails at class definition."""
        monkeypatch.setattr(base, "REGISTRY", registry)
        with pytest.raises(ValueError, match=r"^directive name 'FIRST' of .*Epsilon is taken"):

            @directive("FIRST")
            class Epsilon(Alpha):
                pass


class TestUnknownDirective:
    def test_message_suggests_the_closest_name(self, registry: DirectiveRegistry) -> None:
        """Assert the message names the directive, the closest match and every known name."""
        with pytest.raises(UnknownDirective) as caught:
            registry.get("alpah")
        assert str(caught.value) == (
            "unknown directive 'alpah'; did you mean 'alpha'? (known: alpha, first)"
        )

    def test_suggestion_ignores_case(self, registry: DirectiveRegistry) -> None:
        """Assert the name is quoted as written and matched in lower case."""
        with pytest.raises(UnknownDirective) as caught:
            registry.get("ALPAH")
        assert str(caught.value) == (
            "unknown directive 'ALPAH'; did you mean 'alpha'? (known: alpha, first)"
        )

    def test_message_without_close_match(self, registry: DirectiveRegistry) -> None:
        """Assert no suggestion is made when nothing is close."""
        with pytest.raises(UnknownDirective) as caught:
            registry.get("koji")
        assert str(caught.value) == "unknown directive 'koji' (known: alpha, first)"


class TestEntryPoints:
    def test_not_scanned_for_a_known_name(
        self, registry: DirectiveRegistry, entry_points: InstalledEntryPoints
    ) -> None:
        """Assert a built-in lookup never scans installed packages."""
        registry.get("alpha")
        assert entry_points.lookups == []

    def test_scanned_once_for_an_unknown_name(
        self, registry: DirectiveRegistry, entry_points: InstalledEntryPoints
    ) -> None:
        """Assert a miss loads third-party directives once, then they resolve."""
        entry_points.provided.append(_EntryPoint(Gamma))
        assert type(registry.get("GAMMA")) is Gamma
        with pytest.raises(UnknownDirective):
            registry.get("nothing")
        assert entry_points.lookups == ["checkline.directives"]
        assert registry.names() == ["alpha", "first", "gamma"]


class TestValidate:
    @pytest.mark.parametrize(
        ("params", "problems"),
        [
            ({}, [(("commands",), "is required")]),
            ({"commands": 5}, [(("commands",), "must be a list, 'int' found")]),
            ({"commands": [["echo", 3]]}, [(("commands", 0, 1), "must be a string, 'int' found")]),
            (
                {"commands": [["true"]], "ignore_returncode": "yes"},
                [(("ignore_returncode",), "must be a boolean (true or false), 'str' found")],
            ),
            (
                {"commands": [["true"]], "bogus": 1},
                [(("bogus",), "unknown key; valid keys: commands, ignore_returncode, cwd")],
            ),
            ([["true"]], [((), "must be a mapping, 'list' found")]),
        ],
        ids=["missing", "wrong-type", "nested", "bool", "unknown-key", "not-a-mapping"],
    )
    def test_problems_have_locations(self, params: Any, problems: list[Any]) -> None:
        """Assert validate() raises ParamsError with each problem's location and message."""
        with pytest.raises(ParamsError) as caught:
            Shell().validate(params)
        assert caught.value.problems == problems

    def test_every_problem_is_reported(self) -> None:
        """Assert all problems come at once, not just the first."""
        with pytest.raises(ParamsError) as caught:
            Alpha().validate({"count": "3", "names": "x", "extra": 1})
        assert sorted(caught.value.problems) == [
            (("count",), "must be an integer, 'str' found"),
            (("extra",), "unknown key; valid keys: count, names"),
            (("names",), "must be a list, 'str' found"),
        ]

    def test_message_is_dotted(self) -> None:
        """Assert the ParamsError text joins dotted locations and messages."""
        with pytest.raises(ParamsError) as caught:
            Shell().validate({"commands": [["echo", 3]], "cwd": 1})
        assert str(caught.value) == (
            "commands[0][1]: must be a string, 'int' found; cwd: must be a string, 'int' found"
        )

    def test_valid_params_are_typed_and_frozen(self) -> None:
        """Assert validate() returns the directive's frozen params model."""
        params = Alpha().validate({"count": 2})
        assert params == AlphaParams(count=2)
        with pytest.raises(ValueError, match="frozen"):
            params.count = 3  # type: ignore[misc]


class TestCheck:
    def test_deferred_values_are_not_problems(self) -> None:
        """Assert problems about values only known at run time are dropped."""
        preview = {"commands": [["echo", DEFERRED]], "ignore_returncode": DEFERRED}
        assert Shell().check(preview) == []

    def test_problems_below_a_deferred_value_are_dropped(self) -> None:
        """Assert a problem located inside a DEFERRED value is dropped too."""
        assert Shell().check({"commands": DEFERRED}) == []
        assert Shell().check(DEFERRED) == []

    def test_other_problems_are_kept(self) -> None:
        """Assert problems about literal values are kept next to deferred ones."""
        preview = {"commands": DEFERRED, "ignore_returncode": "yes", "bogus": 1}
        assert sorted(Shell().check(preview)) == [
            (("bogus",), "unknown key; valid keys: commands, ignore_returncode, cwd"),
            (("ignore_returncode",), "must be a boolean (true or false), 'str' found"),
        ]

    def test_missing_key_is_kept(self) -> None:
        """Assert a missing required key is a plan-time problem even with deferred values."""
        assert Alpha().check({"count": DEFERRED}) == []
        assert Shell().check({"cwd": DEFERRED}) == [(("commands",), "is required")]

    def test_plan_problems_default_to_none(self, tmp_path: Path) -> None:
        """Assert a directive without file parameters has no task-directory problems."""
        assert Alpha().plan_problems({"count": 1}, tmp_path) == []
