"""The one implementation of libtaskotron's check API, ``libtaskotron.check`` and ``checkb.check``.

Check code written for Taskotron builds its results with ``CheckDetail`` and turns them into
ResultYAML with ``export_YAML`` (or TAP13 with ``export_TAP``); the ``python`` directive then
hands that text to ``resultsdb``. This module is that API, written for Checkline from
libtaskotron's documented behaviour. ``flavour()`` binds it to one name: ``libtaskotron`` raises
``TaskotronValueError``, ``checkb`` (libtaskotron's later name) ``CheckbValueError``; nothing
else differs.

It runs on the check's interpreter, often the system's Python 3, not Checkline's: Python 3.7
or newer, standard library only, PyYAML imported when YAML is written or read (a missing PyYAML
is an error of those functions alone), and no import of Checkline.

What it produces:

* ``export_YAML``: ResultYAML, ``{"results": [...]}``, each result holding ``item``,
  ``outcome`` and, when set, ``type`` (``report_type``), ``note``, ``checkname``, ``artifact``,
  ``_internal``, ``details: {output: <the output lines joined by newlines>}`` (libtaskotron
  0.4's; checkb's dropped it), and every keyval as a key of its own (a keyval named like a
  reserved key is skipped with a warning).
* ``export_TAP``: TAP13 (libtaskotron 0.3's format): ``TAP version 13``, ``1..N``, then per
  result ``ok N - <checkname or item>`` (``not ok`` unless PASSED or INFO) and a YAML block
  holding the same keys as the ResultYAML result. Checkline's TAP13 reader gives the same
  verdicts from it as its ResultYAML reader gives from ``export_YAML``.
"""

from __future__ import annotations

import collections.abc
import logging
import pprint
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

if TYPE_CHECKING:
    from types import ModuleType

__all__ = ["OUTCOMES", "RESERVED_KEYS", "CheckDetail", "Flavour", "ReportType", "flavour"]

#: Outcomes from the least to the most severe (``CheckDetail.outcome_priority``).
OUTCOMES = ("PASSED", "INFO", "FAILED", "NEEDS_INSPECTION", "ABORTED", "CRASHED")

#: Keys of a ResultYAML result that ``keyvals`` cannot set: libtaskotron's, plus ``details``,
#: which ``output`` fills.
RESERVED_KEYS = (
    "item",
    "type",
    "outcome",
    "note",
    "results",
    "checkname",
    "artifact",
    "_internal",
    "details",
)

_OK_OUTCOMES = ("PASSED", "INFO")
_BROKEN_OUTCOMES = ("ABORTED", "CRASHED")

# TAP13 blocks as tap.py reads them: a block ends at a line that is not indented, or at an
# indented line starting with "..."; a test line's "#" starts a directive (SKIP, TODO).
_ENDS_BLOCK = re.compile(r"^\s*\.\.\.")
_NOT_IN_DESCRIPTION = re.compile("[#\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+")
_UNICODE_BREAKS = "\x85\u2028\u2029"
_TAP_INDENT = "  "
_UNFOLDED = 2**31 - 1


def _yaml(needed_by: str) -> ModuleType:
    """PyYAML, or an error saying which function needs it and how to get it."""
    try:
        import yaml
    except ImportError as err:
        raise ModuleNotFoundError(
            f"{needed_by} needs PyYAML, which this interpreter ({sys.executable}) cannot "
            "import: install it (python3-yaml on Debian, python3-pyyaml on Fedora), or run the "
            "check under another interpreter (checkline run --python, CHECKLINE_PYTHON, or the "
            "formula's checkline.python)",
            name="yaml",
        ) from err
    return yaml


def _strings_in_mutable_sequence(value: object) -> bool:
    return (
        isinstance(value, collections.abc.MutableSequence)
        and not isinstance(value, (str, bytes))
        and all(isinstance(line, str) for line in value)
    )


class CheckDetail:
    """The outcome of one check on one item, with what it has to say about it.

    ``outcome`` is one of ``outcome_priority`` (NEEDS_INSPECTION until set; an unknown one
    raises the flavour's ValueError); ``note`` a one-line summary; ``output`` a list of strings
    (``store`` appends to it), exported as ``details.output``; ``keyvals`` extra keys of the
    result; ``checkname`` the result's testcase when it is not the task's; ``artifact`` a file
    under the task's artifacts directory, relative to it or absolute.
    """

    outcome_priority: ClassVar[tuple[str, ...]] = OUTCOMES
    #: What this flavour raises for a wrong value (TaskotronValueError, CheckbValueError).
    _value_error: ClassVar[type[ValueError]] = ValueError

    def __init__(
        self,
        item: Any,
        report_type: str | None = None,
        outcome: str | None = None,
        note: str = "",
        output: list[str] | None = None,
        keyvals: dict[str, Any] | None = None,
        checkname: str | None = None,
        artifact: str | None = None,
    ) -> None:
        if output is not None and not _strings_in_mutable_sequence(output):
            raise self._value_error(
                f"'output' parameter must be a mutable sequence of strings. Yours was: "
                f"{type(output)}"
            )
        if keyvals is not None and not isinstance(keyvals, collections.abc.Mapping):
            raise self._value_error(
                f"'keyvals' parameter must be a mapping. Yours was: {type(keyvals)}"
            )
        self.item = item
        self.report_type = report_type
        self._outcome: str | None = None
        if outcome:
            self.outcome = outcome
        self.checkname = checkname
        self.note = note
        self.output: list[str] = output or []
        self.keyvals: dict[str, Any] = keyvals or {}
        self.artifact = artifact
        #: Data a runner passed between directives in Taskotron; exported when not empty.
        self._internal: dict[str, Any] = {}

    @property
    def outcome(self) -> str:
        return self._outcome or "NEEDS_INSPECTION"

    @outcome.setter
    def outcome(self, value: str) -> None:
        if value not in self.outcome_priority:
            raise self._value_error(f"Unknown outcome keyword: {value}")
        self._outcome = value

    def update_outcome(self, outcome: str | None) -> None:
        """Set ``outcome`` only if it is more severe than the current one (``None``: nothing)."""
        if self.cmp_outcome(outcome, self._outcome) > 0:
            self.outcome = outcome  # type: ignore[assignment]  # not None: it compared greater

    def broken(self) -> bool:
        """Whether the outcome says the check itself failed (ABORTED or CRASHED)."""
        return self.outcome in _BROKEN_OUTCOMES

    def store(self, message: str, printout: bool = True) -> None:
        """Append ``message`` to ``output``, and print it unless ``printout`` is false."""
        self.output.append(message)
        if printout:
            print(message)

    @classmethod
    def cmp_outcome(cls, outcome1: str | None, outcome2: str | None) -> int:
        """-1, 0 or 1 as ``outcome1`` is less, as or more severe than ``outcome2``; ``None`` is
        below every outcome, and an unknown outcome raises."""
        for outcome in (outcome1, outcome2):
            if outcome is not None and outcome not in cls.outcome_priority:
                raise cls._value_error(f"Unknown outcome keyword: {outcome}")
        index1 = -1 if outcome1 is None else cls.outcome_priority.index(outcome1)
        index2 = -1 if outcome2 is None else cls.outcome_priority.index(outcome2)
        return (index1 > index2) - (index1 < index2)

    @classmethod
    def create_multi_item_summary(cls, outcomes: Any) -> str:
        """``"3 PASSED, 1 INFO, 2 FAILED"`` from a CheckDetail, CheckDetails or outcomes."""
        if isinstance(outcomes, CheckDetail):
            outcomes = (outcomes,)
        if isinstance(outcomes, (str, bytes)) or not isinstance(outcomes, collections.abc.Iterable):
            raise cls._value_error(f"'outcomes' parameter type is incorrect: {type(outcomes)}")
        outcomes = list(outcomes)
        if all(isinstance(detail, CheckDetail) for detail in outcomes):
            found = [detail.outcome for detail in outcomes]
        elif all(isinstance(outcome, str) for outcome in outcomes):
            found = outcomes
        else:
            raise cls._value_error(f"'outcomes' parameter type is incorrect: {type(outcomes)}")
        return ", ".join(
            f"{found.count(outcome)} {outcome}"
            for outcome in cls.outcome_priority
            if outcome in found
        )

    def __str__(self) -> str:
        attributes = dict(vars(self))
        attributes["output"] = "<stripped out>"  # it can be huge
        return f"<{type(self).__name__}: {pprint.pformat(attributes)}>"


class ReportType:
    """The item types of ``CheckDetail.report_type`` (ResultYAML's ``type``)."""

    BODHI_UPDATE = "bodhi_update"
    COMPOSE = "compose"
    DIST_GIT_COMMIT = "dist_git_commit"
    DOCKER_IMAGE = "docker_image"
    GIT_COMMIT = "git_commit"
    KOJI_BUILD = "koji_build"
    KOJI_TAG = "koji_tag"
    MODULE_BUILD = "module_build"
    PULL_REQUEST = "pull_request"
    YUM_REPOSITORY = "yum_repository"  # libtaskotron's early tasks (repo checks)

    @classmethod
    def list(cls) -> list[str]:
        return [
            cls.BODHI_UPDATE,
            cls.COMPOSE,
            cls.DIST_GIT_COMMIT,
            cls.DOCKER_IMAGE,
            cls.GIT_COMMIT,
            cls.KOJI_BUILD,
            cls.KOJI_TAG,
            cls.MODULE_BUILD,
            cls.PULL_REQUEST,
            cls.YUM_REPOSITORY,
        ]


_AnyCheckDetail = CheckDetail


class Flavour(NamedTuple):
    """The API under one name: its CheckDetail and the functions that make and read results."""

    CheckDetail: type[_AnyCheckDetail]
    export_YAML: Callable[..., str]
    import_YAML: Callable[..., list[_AnyCheckDetail]]
    export_TAP: Callable[..., str]


def flavour(module: str, value_error: type[ValueError]) -> Flavour:
    """The API as module ``module`` (``libtaskotron.check``) gives it, raising ``value_error``.

    Its CheckDetail is a subclass made for it, so that ``import_YAML`` returns instances of the
    class the check imported, and its warnings go to the logger of the package (``checkb``).
    """
    log = logging.getLogger(module.split(".")[0])
    detail_class: type[CheckDetail] = type(
        "CheckDetail",
        (CheckDetail,),
        {"__module__": module, "__doc__": CheckDetail.__doc__, "_value_error": value_error},
    )

    def export_YAML(check_details: Any) -> str:
        """ResultYAML of one CheckDetail or an iterable of them: ``{results: [...]}``.

        Raises the flavour's ValueError when a CheckDetail has no ``item``.
        """
        results = [_result(detail, value_error, log) for detail in _details(check_details)]
        return _dumpers(_yaml(f"{module}.export_YAML")).resultyaml({"results": results})

    def export_TAP(check_details: Any, checkname: str | None = None) -> str:
        """TAP13 of one CheckDetail or an iterable of them, one test line and YAML block each.

        ``checkname``: the checkname of the CheckDetails that have none.
        """
        results = [_result(detail, value_error, log) for detail in _details(check_details)]
        dumpers = _dumpers(_yaml(f"{module}.export_TAP"))
        lines = ["TAP version 13", f"1..{len(results)}"]
        for number, result in enumerate(results, start=1):
            if checkname and "checkname" not in result:
                result["checkname"] = checkname
            status = "ok" if result["outcome"] in _OK_OUTCOMES else "not ok"
            name = _NOT_IN_DESCRIPTION.sub(" ", str(result.get("checkname") or result["item"]))
            lines.append(f"{status} {number} - {name}".rstrip())
            block = dumpers.tap_block(result)
            lines.append(_TAP_INDENT + "---")
            lines.extend(_TAP_INDENT + line for line in block.split("\n"))
            lines.append(_TAP_INDENT + "...")
        return "\n".join(lines) + "\n"

    def import_YAML(source: Any) -> list[CheckDetail]:
        """CheckDetails from ResultYAML text (what ``export_YAML`` wrote reads back the same).

        Raises the flavour's ValueError for empty or unparsable text and a wrong structure.
        """
        if not source:
            raise value_error("Failed to parse YAML contents: empty input")
        yaml = _yaml(f"{module}.import_YAML")
        try:
            data = yaml.safe_load(source)
        except yaml.YAMLError as err:
            raise value_error(f"Failed to parse YAML contents: {err}") from err
        if not isinstance(data, dict):
            raise value_error(
                f"Invalid type of the YAML root element, {type(data)} instead of dict"
            )
        if "results" not in data:
            raise value_error("Invalid format of the YAML data - missing `results` key")
        results = data["results"]
        if results is None:
            return []
        if not isinstance(results, list):
            raise value_error(f"Invalid type of 'results', {type(results)} instead of list")
        return [_detail(detail_class, index, result) for index, result in enumerate(results)]

    for function in (export_YAML, export_TAP, import_YAML):
        function.__module__ = module
        function.__qualname__ = function.__name__
    return Flavour(
        CheckDetail=detail_class,
        export_YAML=export_YAML,
        import_YAML=import_YAML,
        export_TAP=export_TAP,
    )


def _details(check_details: Any) -> list[CheckDetail]:
    if isinstance(check_details, CheckDetail):
        return [check_details]
    return list(check_details)


def _result(
    detail: CheckDetail, value_error: type[ValueError], log: logging.Logger
) -> dict[str, Any]:
    """One ResultYAML result: libtaskotron's keys, then the keyvals that are not reserved."""
    if not detail.item:
        raise value_error(f"CheckDetail.item is empty for: {detail}")
    data: dict[str, Any] = {"item": detail.item, "outcome": detail.outcome}
    if detail.artifact:
        data["artifact"] = detail.artifact
    if detail.report_type:
        data["type"] = detail.report_type
    if detail.note:
        data["note"] = detail.note
    if detail.checkname:
        data["checkname"] = detail.checkname
    if detail._internal:
        data["_internal"] = detail._internal
    if detail.output:
        data["details"] = {"output": "\n".join(detail.output)}
    for key, value in detail.keyvals.items():
        if key in RESERVED_KEYS:
            log.warning("Reserved key '%s' found in keyvals. Ignoring for export purposes.", key)
            continue
        data[key] = value
    return data


def _detail(detail_class: type[CheckDetail], index: int, result: Any) -> CheckDetail:
    """A CheckDetail from one ResultYAML result (``details.output`` back into ``output``)."""
    if not isinstance(result, dict):
        raise detail_class._value_error(
            f"Invalid type of results[{index}], {type(result)} instead of dict"
        )
    detail = detail_class(
        result.get("item"),
        result.get("type"),
        result.get("outcome"),
        result.get("note", ""),
        checkname=result.get("checkname"),
        artifact=result.get("artifact"),
    )
    detail.keyvals = {key: value for key, value in result.items() if key not in RESERVED_KEYS}
    detail._internal = result.get("_internal") or {}
    details = result.get("details")
    if isinstance(details, dict) and isinstance(details.get("output"), str):
        detail.output = details["output"].split("\n")
    return detail


class _Dumpers:
    """YAML writers: ResultYAML as libtaskotron wrote it, and TAP13 blocks tap.py reads whole.

    Both are ``yaml.safe_dump`` (sorted keys, block style), except that a string holding a
    Unicode line break (U+0085, U+2028, U+2029) is double-quoted, where it is escaped:
    ``safe_dump`` writes it raw in a plain or single-quoted scalar, and it reads back as a
    space. A TAP block also writes multi-line strings as literal blocks, unless a line would
    end the block for tap.py (one starting with ``...``): those are double-quoted on one line.
    Long lines are never folded in a block. The caller indents every line of a block, blank
    ones included.
    """

    def __init__(self, yaml: ModuleType) -> None:
        def style(value: str, literal: bool) -> str | None:
            if any(ch in value for ch in _UNICODE_BREAKS):
                return '"'
            if literal and "\n" in value:
                ends = any(_ENDS_BLOCK.match(line) for line in value.split("\n"))
                return '"' if ends else "|"
            return None

        def dumper(literal: bool) -> Any:
            class Dumper(yaml.SafeDumper):  # type: ignore[name-defined,misc]
                pass

            def represent_str(dumper: Any, value: str) -> Any:
                return dumper.represent_scalar(
                    "tag:yaml.org,2002:str", value, style=style(value, literal)
                )

            Dumper.add_representer(str, represent_str)
            return Dumper

        self._yaml = yaml
        self._resultyaml = dumper(literal=False)
        self._tap = dumper(literal=True)

    def resultyaml(self, data: dict[str, Any]) -> str:
        text: str = self._yaml.dump(
            data, Dumper=self._resultyaml, indent=2, allow_unicode=True, default_flow_style=False
        )
        return text

    def tap_block(self, result: dict[str, Any]) -> str:
        text: str = self._yaml.dump(
            result,
            Dumper=self._tap,
            default_flow_style=False,
            allow_unicode=True,
            indent=2,
            width=_UNFOLDED,
        )
        # A document whose last scalar keeps trailing newlines ("|+") gets PyYAML's explicit
        # end, "...", which would end the TAP block early: the closing "  ..." does its job.
        text = text[:-1] if text.endswith("\n") else text
        return text[: -len("\n...")] if text.endswith("\n...") else text


_DUMPERS: list[_Dumpers] = []  # made once, on first use (functools.cache needs Python 3.9)


def _dumpers(yaml: ModuleType) -> _Dumpers:
    if not _DUMPERS:
        _DUMPERS.append(_Dumpers(yaml))
    return _DUMPERS[0]
