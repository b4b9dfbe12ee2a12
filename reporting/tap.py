"""TAP13 with YAML blocks: verdicts to text (``format_tap``) and back (``parse_tap``).

One test line per verdict; its YAML block holds the whole verdict dict. Parsing uses tap.py,
whose block reader has two traps the writer avoids:

* a block ends at the first line that is not indented, so every line of it, blank ones
  included, gets the indent (a ``yaml.safe_dump`` of ``"a\\n\\nb"`` contains a blank line);
* a block also ends at any indented line starting with ``...``, so a multi-line string with
  such a line is written double-quoted on one line instead of as a literal block.

Long scalars are never folded, for the same reason.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from checkline.contracts import Verdict
from checkline.outcomes import Outcome

from .verdicts import Parsed, Problem, normalize_verdict

__all__ = ["dump_yaml", "format_tap", "parse_tap"]

_INDENT = "  "
_ENDS_BLOCK = re.compile(r"^\s*\.\.\.")
_UNFOLDED = 2**31 - 1
_UNICODE_BREAKS = "\x85\u2028\u2029"


#: ``yaml.safe_load`` with libyaml's parser when PyYAML has it: the same safe constructor
#: (plain data only), ten times faster on the thousands of blocks of a large run.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _safe_load(text: str) -> Any:
    return yaml.load(text, Loader=_SafeLoader)  # noqa: S506 - a safe loader, see above


class _BlockDumper(yaml.SafeDumper):
    """A SafeDumper that writes multi-line strings as literal blocks when tap.py allows it."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = None
    if any(ch in value for ch in _UNICODE_BREAKS):
        # Raw in a literal block they would read back as line breaks; quoted, they are escaped.
        style = '"'
    elif "\n" in value:
        style = '"' if any(_ENDS_BLOCK.match(line) for line in value.splitlines()) else "|"
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _represent_str)


def dump_yaml(data: object) -> str:
    """``data`` as YAML that ``yaml.safe_load`` reads back unchanged, keys in their order:
    multi-line strings as literal blocks, strings holding a Unicode line break (U+0085,
    U+2028, U+2029) double-quoted and escaped (``yaml.safe_dump`` writes them raw, and U+0085
    then reads back as a space), no line folded."""
    return yaml.dump(
        data,
        Dumper=_BlockDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=_UNFOLDED,
    )


def _description(verdict: Verdict) -> str:
    # '#' would start a TAP directive and a newline a new line: the description is cosmetic
    # (the block is authoritative), so both are dropped.
    text = f"{verdict.get('checkname') or ''} {verdict.get('item', '')}".strip()
    return re.sub(r"[#\r\n]+", " ", text)


def format_tap(verdicts: list[Verdict]) -> str:
    """Render verdicts as a TAP13 stream, one test line and YAML block per verdict.

    ``ok`` for PASSED and INFO, ``not ok`` otherwise. Each dict is dumped whole with
    ``yaml.safe_dump`` semantics, so anything ``safe_load`` can read survives the round trip.
    """
    out = ["TAP version 13", f"1..{len(verdicts)}"]
    for number, verdict in enumerate(verdicts, start=1):
        ok = Outcome.from_spec(verdict["outcome"]).is_ok
        out.append(f"{'ok' if ok else 'not ok'} {number} - {_description(verdict)}".rstrip())
        block = dump_yaml(verdict)
        # After a "|+" scalar PyYAML ends the document with its own "...", which would end
        # the TAP block early; our closing "  ..." does that job. Split on "\n" only: the
        # dump's line breaks are "\n", while splitlines() also splits inside scalars.
        block = block.removesuffix("\n").removesuffix("\n...")
        out.append(_INDENT + "---")
        out.extend(_INDENT + line for line in block.split("\n"))
        out.append(_INDENT + "...")
    return "\n".join(out) + "\n"


def _outcome_from_status(result: Any) -> str:
    """Outcome of a test line without one in its block: ``# SKIP`` and ``# TODO`` are INFO."""
    if result.skip or (result.todo and not result.ok):
        return Outcome.INFO.value
    return (Outcome.PASSED if result.ok else Outcome.FAILED).value


def parse_tap(text: str) -> Parsed:
    """Read a TAP13 stream into verdicts, collecting every problem instead of stopping.

    A test line's YAML block gives the verdict; a missing ``outcome`` is taken from ok/not ok.
    Problems name the test number: a block that is not valid YAML, missing item or type, a
    TAP version below 13, a ``Bail out!``, lines that are not TAP.
    """
    # Imported here: writing TAP (every run) does not need the parser (~12 ms to import).
    from tap.line import Bail, Result, Unknown, Version
    from tap.parser import Parser

    class TextKeepingParser(Parser):  # type: ignore[misc]
        """tap.py's Unknown line forgets its text; keep it for the problem message."""

        def parse_line(self, text: str, fh: Any = None) -> Any:
            line = super().parse_line(text, fh)
            if isinstance(line, Unknown):
                line.text = text
            return line

    parsed = Parsed()
    lines = iter(TextKeepingParser().parse_text(_indent_blank_block_lines(text)))
    seen_version = False
    tests = 0
    while True:
        try:
            line = next(lines)
        except StopIteration:
            break
        except ValueError as err:  # tap.py raises on "TAP version 12"
            parsed.problems.append(Problem("TAP version", str(err)))
            seen_version = True  # a version line was there, just too low
            break
        if isinstance(line, Version):
            seen_version = True
        elif isinstance(line, Bail):
            parsed.problems.append(Problem("Bail out!", line.reason or "the producer gave up"))
        elif isinstance(line, Unknown) and line.text.strip():
            parsed.problems.append(Problem("TAP", f"not a TAP line: {line.text.strip()[:80]!r}"))
        elif isinstance(line, Result):
            tests += 1
            _read_result(line, parsed, number=tests)
    if not seen_version and text.strip():
        parsed.problems.insert(
            0, Problem("TAP version", "missing 'TAP version 13' first line (YAML blocks need it)")
        )
    return parsed


_BLOCK_START = re.compile(r"^(\s+)---\s*$")
_BLOCK_END = re.compile(r"^\s+\.\.\.\s*$")


def _indent_blank_block_lines(text: str) -> str:
    """Give the block's indent to empty lines inside YAML blocks.

    tap.py ends a block at the first line that is not indented, an empty one included; but a
    literal scalar with a blank line, written by hand or by another producer, often has one.
    """
    if "\n\n" not in text and "\n\r\n" not in text:
        return text
    out, indent = [], None
    for line in text.split("\n"):
        if indent is None:
            start = _BLOCK_START.match(line)
            indent = start.group(1) if start else None
        elif _BLOCK_END.match(line):
            indent = None
        elif not line.strip():
            line = indent
        out.append(line)
    return "\n".join(out)


def _read_result(result: Any, parsed: Parsed, number: int) -> None:
    where = f"test {result.number or number}"
    # tap.py's own ``yaml_block`` prints parse errors to stdout and returns None; read the raw
    # block (the constructor's ``raw_yaml_block``) with safe_load to keep the error message.
    raw_block = result._yaml_block
    block: Any = {}
    if raw_block is not None:
        try:
            block = _safe_load(raw_block)
        except yaml.YAMLError as err:
            detail = " ".join(str(err).split())
            parsed.problems.append(Problem(where, f"YAML block does not parse: {detail}"))
            return
    if not isinstance(block, dict):
        parsed.problems.append(
            Problem(where, f"YAML block must be a mapping, {type(block).__name__!r} found")
        )
        return
    raw = dict(block)
    raw.setdefault("outcome", _outcome_from_status(result))
    verdict, problems = normalize_verdict(raw, where)
    parsed.problems.extend(problems)
    if verdict is not None:
        parsed.verdicts.append(verdict)
