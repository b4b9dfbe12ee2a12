"""One way to load the settings of every part: trigger, ResultsDB, Buildbot master, stack.

Each part declares its settings once, as the fields of a frozen dataclass made with
:func:`setting` (name, type, default, doc), and a :class:`Part` saying where they come from.
Layers, later wins:

1. the defaults;
2. a TOML file: the path given (``--config``), else ``CHECKLINE_<PART>_CONFIG``, else what the
   part accepted before (deprecated names warn); the part's keys may sit in a table of it
   (the trigger's ``[consumer_config.checkline]``);
3. ``CHECKLINE_<PART>_<KEY>`` variables, parsed by the field's type: integers, numbers,
   booleans (``1/0``, ``true/false``, ``yes/no``, ``on/off``), lists comma-separated, tables
   and lists of tables as JSON; a variable under the prefix that names no setting is refused,
   except those another tool reads (:attr:`Part.foreign`);
4. flags (the overrides a command line passes).

Unknown keys and bad values raise :class:`SettingsError`, whose message names the key and
where it came from (``m.toml: www_port must be an integer, got '80'``, ``environment
CHECKLINE_MASTER_WWW_PORT: must be an integer, got 'x'``, ``option --db: ...``). Secrets are
:class:`~checkline.secrets.Secret` from the moment they are read and are never echoed in a
message. Renamed keys and variables keep working with a :class:`DeprecationWarning` and one
WARNING line (stderr when logging is not set up) naming the new name.

Every key of every part, with its type, default and variable: ``docs/settings.md``, whose
tables :func:`markdown` writes (``python -m checkline.settings``) and a test compares.

Why not pydantic (a dependency already): its strict mode refuses a TOML list for a tuple and a
string for a path, its lax mode turns ``"80"`` into 80, and its messages would have to be
rewritten to name the file and the variable; importing it would also add about 90 ms to the
trigger's command line, which does not load it today. The types settings use are few, so they
are checked here.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import tomllib
import typing
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import MISSING, dataclass, field
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

from checkline.contracts import arch_problem
from checkline.secrets import Secret

__all__ = [
    "Origin",
    "Part",
    "SettingsError",
    "arch_names",
    "build",
    "config_file",
    "deprecated",
    "file_layers",
    "from_env",
    "from_flags",
    "from_mapping",
    "load",
    "markdown",
    "read_toml",
    "setting",
    "setting_fields",
]

log = logging.getLogger(__name__)

T = TypeVar("T")
#: A value's problem ("must not be negative, got -1"), or None.
Check = Callable[[Any], str | None]
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off", "")


class SettingsError(ValueError):
    """A setting that is unknown, missing or of the wrong type; the message names the key and
    where it came from (file and table, environment variable, option)."""


def setting(
    default: Any = MISSING,
    *,
    doc: str,
    factory: Callable[[], Any] | None = None,
    kind: str = "",
    check: Check | None = None,
    tidy: Callable[[Any], Any] | None = None,
    shown: str = "",
    relative: bool = False,
) -> Any:
    """A settings field: its default (or ``factory``) and what it means (``doc``).

    Args:
        kind: what a good value is, for messages and the docs ("a list of arch names"); by
            default said from the type.
        check: a further rule on the converted value; returns the problem or None.
        tidy: normalises the converted value (upper-cases outcome names, say).
        shown: the default as the docs show it, when its value depends on the machine.
        relative: a path that, read from a file, is relative to the file's folder.
    """
    metadata = {
        "doc": doc,
        "kind": kind,
        "check": check,
        "tidy": tidy,
        "shown": shown,
        "relative": relative,
    }
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Field:
    """One setting, as its dataclass declares it."""

    name: str
    type: Any
    default: Any  # MISSING when required
    doc: str
    kind: str
    check: Check | None
    tidy: Callable[[Any], Any] | None
    shown: str
    relative: bool

    @property
    def secret(self) -> bool:
        return _holds_secret(self.type)


_FIELDS: dict[type, dict[str, Field]] = {}


def setting_fields(cls: type) -> dict[str, Field]:
    """The settings of dataclass ``cls``, in declaration order (fields made by :func:`setting`)."""
    known = _FIELDS.get(cls)
    if known is None:
        hints = typing.get_type_hints(cls)
        known = {}
        for item in dataclasses.fields(cls):
            if "doc" not in item.metadata:
                continue
            default: Any = item.default
            if item.default_factory is not MISSING:
                default = item.default_factory()
            meta = item.metadata
            kind = meta["kind"] or describe(hints[item.name])
            known[item.name] = Field(
                item.name, hints[item.name], default, meta["doc"], kind, meta["check"],
                meta["tidy"], meta["shown"], meta["relative"],
            )  # fmt: skip
        _FIELDS[cls] = known
    return known


@dataclass(frozen=True, eq=False)  # one object per part: compared and hashed by identity
class Part(Generic[T]):
    """Where one part's settings come from."""

    name: str  # "trigger": variables CHECKLINE_TRIGGER_<KEY>, file CHECKLINE_TRIGGER_CONFIG
    settings: type[T]
    #: the table of the file holding the settings (``("consumer_config", "checkline")``)
    table: tuple[str, ...] = ()
    #: whether the keys may also sit at the top of the file (ResultsDB: either)
    table_optional: bool = False
    #: former names of CHECKLINE_<PART>_CONFIG, accepted with a warning
    old_config_variables: tuple[str, ...] = ()
    #: other variables naming the file, accepted silently (fedora-messaging's own)
    more_config_variables: tuple[str, ...] = ()
    #: former variables of a setting, outside the prefix: {variable: key}, with a warning
    old_variables: Mapping[str, str] = field(default_factory=dict)
    #: renamed keys: {old key: key}, in files and variables, with a warning
    renamed: Mapping[str, str] = field(default_factory=dict)
    #: variables under the prefix that other tools read (not settings of this part)
    foreign: frozenset[str] = frozenset()
    #: rules between settings: (key, problem) for each one broken
    rules: Callable[[T], Iterable[tuple[str, str]]] | None = None

    @property
    def prefix(self) -> str:
        return f"CHECKLINE_{self.name.upper()}_"

    @property
    def config_variable(self) -> str:
        return f"{self.prefix}CONFIG"

    @property
    def fields(self) -> dict[str, Field]:
        return setting_fields(self.settings)

    @property
    def table_label(self) -> str:
        return f"[{'.'.join(self.table)}]" if self.table else ""


@dataclass(frozen=True)
class Origin:
    """Where values came from, as messages name it."""

    label: str  # "m.toml [resultsdb]", "environment CHECKLINE_MASTER_WWW_PORT", "option --db"
    names_key: bool = False  # the label names the key already (a variable, an option)
    file: Path | None = None  # values of this file: relative paths are relative to it

    def error(self, key: str, problem: str, sub: str = "") -> SettingsError:
        """``problem`` of ``key`` (``sub``: where inside its value, ``[0].arches``)."""
        if not self.names_key:
            return SettingsError(f"{self.label}: {key}{sub} {problem}")
        inside = sub.lstrip(".")
        return SettingsError(
            f"{self.label}: {inside} {problem}" if inside else f"{self.label}: {problem}"
        )


DEFAULTS = Origin("defaults")

#: Values of one layer: {key: (value, where it came from)}.
Layer = dict[str, tuple[Any, Origin]]


class _Problem(Exception):
    def __init__(self, problem: str, sub: str = "") -> None:
        super().__init__(problem)
        self.problem, self.sub = problem, sub


def arch_names(allow_empty: bool = False) -> Check:
    """A check of a list of arch names (``checkline.contracts.arch_problem``)."""

    def check(arches: tuple[str, ...]) -> str | None:
        problems = [p for a in arches if (p := arch_problem(a))]
        if problems or not (arches or allow_empty):
            what = "a list of arch names" if allow_empty else "a non-empty list of arch names"
            return f"must be {what}" + (f": {'; '.join(problems)}" if problems else "")
        return None

    return check


def deprecated(message: str) -> None:
    """Warn about a deprecated name: a DeprecationWarning, and a WARNING line that is seen
    (Python's last-resort handler writes it to stderr when logging is not set up)."""
    warnings.warn(message, DeprecationWarning, stacklevel=3)
    log.warning("%s", message)


# -- types -------------------------------------------------------------------------------


def _holds_secret(tp: Any) -> bool:
    if tp is Secret:
        return True
    if _is_table(tp):
        return any(_holds_secret(f.type) for f in setting_fields(tp).values())
    return any(_holds_secret(arg) for arg in typing.get_args(tp) if arg is not Ellipsis)


#: Plain types: their words, what TOML, JSON or a caller may give, and how it becomes one.
_PLAIN: dict[Any, tuple[str, tuple[type, ...], Callable[[Any], Any]]] = {
    str: ("a string", (str,), str),
    int: ("an integer", (int,), int),
    float: ("a number", (int, float), float),
    bool: ("true or false", (bool,), bool),
    Path: ("a path", (str, os.PathLike), Path),
    Secret: ("a secret string", (str, Secret), Secret),
}


def _is_table(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def describe(tp: Any) -> str:
    """What a value of type ``tp`` is, in words: "an integer", "a list of strings"."""
    if tp in _PLAIN:
        return _PLAIN[tp][0]
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is Literal:
        return "one of " + ", ".join(_show_plain(a) for a in args)
    if _is_table(tp):
        return "a table {" + ", ".join(setting_fields(tp)) + "}"
    if origin in (tuple, dict):
        inner = describe(args[0] if origin is tuple else args[1])
        plural = inner.removeprefix("a ").removeprefix("an ").replace("table ", "tables ", 1)
        plural += "" if plural.startswith("tables") else "s"
        return ("a list of " if origin is tuple else "a table of ") + plural
    raise TypeError(f"settings of type {tp!r} are not supported")  # a declaration's bug


def _convert(tp: Any, value: Any, kind: str, secret: bool) -> Any:
    """``value`` (as TOML, JSON or a caller gives it) as type ``tp``, else ``_Problem``."""
    problem = _Problem(f"must be {kind}" + ("" if secret else f", got {value!r}"))
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp in _PLAIN:
        _, accepted, make = _PLAIN[tp]
        if isinstance(value, accepted) and (tp is bool or not isinstance(value, bool)):
            return make(value)
        raise problem
    if origin is Literal:
        if any(type(value) is type(choice) and value == choice for choice in args):
            return value
        raise problem
    if _is_table(tp):
        return _table(tp, value, "")
    if origin is tuple and isinstance(value, list | tuple):
        if _is_table(args[0]):
            return tuple(_table(args[0], v, f"[{i}]") for i, v in enumerate(value))
        try:
            return tuple(_convert(args[0], v, kind, secret) for v in value)
        except _Problem:
            raise problem from None
    if origin is dict and isinstance(value, dict) and all(isinstance(k, str) for k in value):
        try:
            return {k: _convert(args[1], v, kind, secret) for k, v in value.items()}
        except _Problem:
            raise problem from None
    raise problem


def _table(cls: Any, value: Any, sub: str) -> Any:
    """A nested settings table (a Buildbot worker) from a TOML or JSON table."""
    known = setting_fields(cls)
    if not isinstance(value, dict):
        raise _Problem(f"must be a table {{{', '.join(known)}}}", sub)
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise _Problem(f"has {_unknown(unknown, known)}", sub)
    out: dict[str, Any] = {}
    for name, spec in known.items():
        if name not in value:
            if spec.default is MISSING:
                raise _Problem("must be given", f"{sub}.{name}")
            continue
        try:
            out[name] = _checked(spec, value[name])
        except _Problem as err:
            raise _Problem(err.problem, f"{sub}.{name}{err.sub}") from None
    return cls(**out)


def _checked(spec: Field, value: Any) -> Any:
    out = _convert(spec.type, value, spec.kind, spec.secret)
    if spec.tidy is not None:
        out = spec.tidy(out)
    if spec.check is not None and (problem := spec.check(out)):
        raise _Problem(problem)
    return out


def _unknown(names: list[str], known: Iterable[str]) -> str:
    listed = ", ".join(repr(n) for n in names)
    word = "setting" if len(names) == 1 else "settings"
    return f"unknown {word} {listed}; valid: {', '.join(known)}"


def _from_text(spec: Field, raw: str) -> Any:
    """A variable's text as the value a TOML file would give for ``spec``."""
    tp, shown = spec.type, ("" if spec.secret else f", got {raw!r}")
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp in (int, float):
        try:
            return tp(raw)
        except ValueError:
            raise _Problem(f"must be {spec.kind}{shown}") from None
    word = raw.strip().lower()
    if (tp is bool or any(isinstance(a, bool) for a in args)) and word in TRUE_WORDS + FALSE_WORDS:
        return word in TRUE_WORDS  # a bool, or Literal[False, ...]
    if tp is bool:
        raise _Problem(f"must be {'/'.join(TRUE_WORDS)} or {'/'.join(FALSE_WORDS[:-1])}{shown}")
    if origin is tuple and not _is_table(args[0]):
        return [item.strip() for item in raw.split(",") if item.strip()]
    if origin in (tuple, dict) or _is_table(tp):
        try:
            return json.loads(raw)
        except ValueError as err:
            raise _Problem(f"must be {spec.kind} as JSON ({err})") from None
    return raw


# -- layers ------------------------------------------------------------------------------


def _renamed_in(part: Part[Any], values: Mapping[str, Any], origin: Origin) -> dict[str, Any]:
    out = dict(values)
    for old, new in part.renamed.items():
        if old not in out:
            continue
        if new in out:
            raise origin.error(old, f"and {new} are the same setting; keep {new} only")
        deprecated(f"{origin.label}: setting {old!r} is deprecated; use {new!r}")
        out[new] = out.pop(old)
    return out


def from_mapping(part: Part[Any], values: Mapping[str, Any], origin: Origin) -> Layer:
    """Check ``values`` (a TOML table, or a caller's dict) against ``part``'s settings."""
    known = part.fields
    values = _renamed_in(part, values, origin)
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise SettingsError(f"{origin.label}: {_unknown(unknown, known)}")
    layer: Layer = {}
    for key, value in values.items():
        spec = known[key]
        if spec.relative and origin.file is not None and isinstance(value, str):
            value = str((origin.file.parent / value).resolve())
        try:
            layer[key] = (_checked(spec, value), origin)
        except _Problem as err:
            raise origin.error(key, err.problem, err.sub) from None
    return layer


def from_env(part: Part[Any], env: Mapping[str, str]) -> Layer:
    """The ``CHECKLINE_<PART>_<KEY>`` variables of ``env`` (and former names, with a warning).

    A variable under the prefix that names no setting is refused, unless it names the file
    or is :attr:`Part.foreign`.
    """
    known = part.fields
    ignored = {part.config_variable, *part.old_config_variables, *part.foreign}
    found: dict[str, str] = {}  # key -> variable
    for variable in sorted(env):
        if variable in part.old_variables:
            key = part.old_variables[variable]
            new = part.prefix + key.upper()
            deprecated(f"environment {variable} is deprecated; use {new}")
            if new not in env:
                found[key] = variable
            continue
        if not variable.startswith(part.prefix) or variable in ignored:
            continue
        key = variable.removeprefix(part.prefix).lower()
        if key in part.renamed:
            new = part.prefix + part.renamed[key].upper()
            if new in env:
                raise SettingsError(
                    f"environment {variable} and {new} are the same setting; keep {new} only"
                )
            deprecated(f"environment {variable} is deprecated; use {new}")
            key = part.renamed[key]
        if key not in known:
            raise SettingsError(
                f"environment {variable}: {_unknown([key], known)} (as {part.prefix}<KEY>)"
            )
        found[key] = variable
    layer: Layer = {}
    for key, variable in found.items():
        origin = Origin(f"environment {variable}", names_key=True)
        spec = known[key]
        try:
            layer[key] = (_checked(spec, _from_text(spec, env[variable])), origin)
        except _Problem as err:
            raise origin.error(key, err.problem, err.sub) from None
    return layer


def from_flags(part: Part[Any], flags: Mapping[str, Any]) -> Layer:
    """Command-line overrides (``None``: not given), named as options in messages."""
    layer: Layer = {}
    for key, value in flags.items():
        if value is None:
            continue
        origin = Origin(f"option --{key.replace('_', '-')}", names_key=True)
        layer.update(from_mapping(part, {key: value}, origin))
    return layer


def build(part: Part[T], *layers: Layer, base: T | None = None) -> T:
    """The settings: ``base`` (else the defaults), then each layer, later wins; then the
    part's rules between settings, each problem named with where its key came from."""
    merged: Layer = {}
    for layer in layers:
        merged.update(layer)
    values = {key: value for key, (value, _) in merged.items()}
    settings = (
        dataclasses.replace(base, **values)  # type: ignore[type-var]
        if base is not None
        else part.settings(**values)
    )
    for key, problem in part.rules(settings) if part.rules else ():
        origin = merged[key][1] if key in merged else DEFAULTS
        raise origin.error(key, problem)
    return settings


# -- files -------------------------------------------------------------------------------


def config_file(
    part: Part[Any], env: Mapping[str, str], given: str | Path | None = None
) -> Path | None:
    """The settings file: ``given``, else ``CHECKLINE_<PART>_CONFIG``, else a former name (with
    a warning), else another variable the part accepts; None without any."""
    if given:
        return Path(given)
    if env.get(part.config_variable):
        return Path(env[part.config_variable])
    for variable in part.old_config_variables:
        if env.get(variable):
            deprecated(f"environment {variable} is deprecated; use {part.config_variable}")
            return Path(env[variable])
    for variable in part.more_config_variables:
        if env.get(variable):
            return Path(env[variable])
    return None


def read_toml(path: Path) -> dict[str, Any]:
    """The TOML file at ``path``; SettingsError naming it when it cannot be read or parsed."""
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as err:
        raise SettingsError(f"cannot read {path}: {err.strerror or err}") from err
    except tomllib.TOMLDecodeError as err:
        raise SettingsError(f"cannot read {path}: not valid TOML: {err}") from err


def from_file(part: Part[Any], path: Path, data: Mapping[str, Any]) -> Layer:
    """The part's settings in ``data``, the TOML file at ``path``."""
    section: Any = data
    for key in part.table:
        section = section.get(key) if isinstance(section, dict) else None
    if section is None:
        # The keys at the top (ResultsDB's choice), else a file without the part's table.
        section = data if part.table_optional else {}
        label = str(path)
    else:
        label = f"{path} {part.table_label}"
    if not isinstance(section, dict):
        raise SettingsError(f"{path}: {part.table_label} must be a table")
    return from_mapping(part, section, Origin(label, file=path))


def file_layers(
    part: Part[Any],
    env: Mapping[str, str],
    path: str | Path | None = None,
    fallback: Path | None = None,
) -> tuple[list[Layer], dict[str, Any]]:
    """The layer of the part's settings file (found as :func:`config_file` finds it, else
    ``fallback`` when that file exists; none without a file) and the file's whole data ({}
    without one: the trigger keeps fedora-messaging's keys of the same file)."""
    file = config_file(part, env, path)
    if file is None and fallback is not None and fallback.is_file():
        file = fallback
    if file is None:
        return [], {}
    data = read_toml(file)
    return [from_file(part, file, data)], data


def load(
    part: Part[T],
    path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
    fallback: Path | None = None,
) -> T:
    """Defaults, then the file (``path``, else the part's variable, else ``fallback`` when it
    exists), then the environment (``os.environ`` by default), then ``flags``."""
    env = os.environ if env is None else env
    layers, _ = file_layers(part, env, path, fallback)
    return build(part, *layers, from_env(part, env), from_flags(part, flags or {}))


# -- docs --------------------------------------------------------------------------------


def _show_plain(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _show_default(spec: Field) -> str:
    if spec.shown:
        return spec.shown
    value = spec.default
    if value is MISSING:
        return "required"
    if isinstance(value, Secret):
        return "none" if not value else "***"
    if isinstance(value, bool):
        return f"`{_show_plain(value)}`"
    if isinstance(value, float) and value.is_integer():
        return f"`{int(value)}`"
    if isinstance(value, str | Path):
        return f'`"{value}"`'
    if isinstance(value, tuple):
        return "`" + json.dumps([str(v) for v in value]) + "`"
    return f"`{json.dumps(value)}`"


def markdown(part: Part[Any]) -> str:
    """The table of ``part``'s settings for docs/settings.md: key, type, default, variable,
    meaning."""
    rows = [
        "| key | type | default | environment | meaning |",
        "|---|---|---|---|---|",
    ]
    for spec in part.fields.values():
        rows.append(
            f"| `{spec.name}` | {spec.kind} | {_show_default(spec)} | "
            f"`{part.prefix}{spec.name.upper()}` | {spec.doc} |"
        )
    return "\n".join(rows) + "\n"


def every_part() -> list[Part[Any]]:
    """The four parts (imported here: they import this module)."""
    from checkline.master.settings import PART as MASTER
    from checkline.resultsdb.config import PART as RESULTSDB
    from checkline.stack.settings import PART as STACK
    from checkline.trigger.config import PART as TRIGGER

    return [TRIGGER, RESULTSDB, MASTER, STACK]


if __name__ == "__main__":  # pragma: no cover - prints the tables of docs/settings.md
    for one in every_part():
        print(f"<!-- {one.name} -->\n{markdown(one)}")
