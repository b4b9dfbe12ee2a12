"""The ``results`` directive (Taskotron's ``resultsdb``): record the run's verdicts."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from checkline.runner.context import RunContext
from checkline.runner.directives import REGISTRY
from checkline.runner.directives.results import Results
from checkline.runner.errors import DirectiveError, ParamsError

if TYPE_CHECKING:
    from conftest import Recorded

MakeCtx = Callable[..., RunContext]

RESULTYAML = """\
results:
  - item: xchat-0.5-1.fc20
    type: koji_build
    outcome: failed
    note: 2 errors
    details: {output: "line one\\nline two"}
  - item: xchat-0.5-1.fc20
    type: koji_build
    checkname: demo.sub
    outcome: INFO
"""

VERDICTS = [
    {
        "item": "xchat-0.5-1.fc20",
        "type": "koji_build",
        "outcome": "FAILED",
        "details": {"output": "line one\nline two"},
        "summary": "2 errors",
    },
    {
        "item": "xchat-0.5-1.fc20",
        "type": "koji_build",
        "checkname": "demo.sub",
        "outcome": "INFO",
    },
]

TAP = """\
TAP version 13
1..2
ok 1 - demo xchat-0.5-1.fc20
  ---
  item: xchat-0.5-1.fc20
  type: koji_build
  ...
not ok 2 - demo xchat-0.5-1.fc20
  ---
  item: xchat-0.5-1.fc20
  type: koji_build
  summary: broken
  ...
"""


def run(params: dict[str, Any], ctx: RunContext) -> str:
    results = Results()
    return results.run(results.validate(params), ctx)


def test_resultsdb_is_an_alias() -> None:
    """Assert Taskotron's ``resultsdb`` directive name runs this directive."""
    assert type(REGISTRY.get("resultsdb")) is Results


def test_inline_resultyaml(make_ctx: MakeCtx, recorded: Recorded) -> None:
    """Assert inline ResultYAML is recorded as canonical verdicts (note becomes summary)."""
    run({"results": RESULTYAML}, make_ctx())
    assert recorded.verdicts == VERDICTS


def test_returns_resultyaml(make_ctx: MakeCtx) -> None:
    """Assert the export is the recorded verdicts as ResultYAML (summary back as note)."""
    out = run({"results": RESULTYAML}, make_ctx())
    assert yaml.safe_load(out) == {
        "results": [
            {
                "item": "xchat-0.5-1.fc20",
                "type": "koji_build",
                "outcome": "FAILED",
                "details": {"output": "line one\nline two"},
                "note": "2 errors",
            },
            VERDICTS[1],
        ]
    }


def test_export_round_trips(make_ctx: MakeCtx, recorded: Recorded) -> None:
    """Assert the exported ResultYAML records the same verdicts when fed back."""
    out = run({"results": RESULTYAML}, make_ctx())
    run({"results": out}, make_ctx())
    assert recorded.verdicts == VERDICTS + VERDICTS


def test_inline_tap(make_ctx: MakeCtx, recorded: Recorded) -> None:
    """Assert TAP13 text is recognised; a missing outcome comes from ok / not ok."""
    run({"results": TAP}, make_ctx())
    assert recorded.verdicts == [
        {"item": "xchat-0.5-1.fc20", "type": "koji_build", "outcome": "PASSED"},
        {
            "item": "xchat-0.5-1.fc20",
            "type": "koji_build",
            "summary": "broken",
            "outcome": "FAILED",
        },
    ]


def test_list_of_dicts(make_ctx: MakeCtx, recorded: Recorded) -> None:
    """Assert a list of verdict dicts (a Python check's return value) is recorded."""
    run({"results": [{"item": "a", "type": "koji_build", "outcome": "passed"}]}, make_ctx())
    assert recorded.verdicts == [{"item": "a", "type": "koji_build", "outcome": "PASSED"}]


def test_file_relative_to_taskdir(make_ctx: MakeCtx, recorded: Recorded) -> None:
    """Assert file names a results file relative to the task directory."""
    ctx = make_ctx()
    (ctx.taskdir / "out").mkdir()
    (ctx.taskdir / "out" / "results.yml").write_text(RESULTYAML)
    run({"file": "out/results.yml"}, ctx)
    assert recorded.verdicts == VERDICTS


def test_absolute_file(make_ctx: MakeCtx, recorded: Recorded) -> None:
    """Assert an absolute file (e.g. under ${artifactsdir}) is read where it is."""
    ctx = make_ctx()
    path = ctx.artifactsdir / "results.tap"
    path.write_text(TAP)
    run({"file": str(path)}, ctx)
    assert [v["outcome"] for v in recorded.verdicts] == ["PASSED", "FAILED"]


def test_missing_file(make_ctx: MakeCtx, recorded: Recorded) -> None:
    """Assert a results file that is not there is an execution error with the reason."""
    ctx = make_ctx()
    path = str(ctx.taskdir / "nope.yml")
    with pytest.raises(DirectiveError) as caught:
        run({"file": "nope.yml"}, ctx)
    assert str(caught.value) == (
        f"cannot read results file {path!r}: [Errno 2] No such file or directory: {path!r}"
    )
    assert recorded.verdicts == []


def test_unreadable_file(make_ctx: MakeCtx) -> None:
    """Assert a path that cannot be read as text (a directory) is an execution error."""
    ctx = make_ctx()
    (ctx.taskdir / "results").mkdir()
    path = str(ctx.taskdir / "results")
    with pytest.raises(DirectiveError) as caught:
        run({"file": "results"}, ctx)
    assert str(caught.value) == (
        f"cannot read results file {path!r}: [Errno 21] Is a directory: {path!r}"
    )


@pytest.mark.parametrize(
    ("results", "message"),
    [
        (
            "results:\n  - {item: a, outcome: FAILED}\n  - 5\n",
            "results are malformed: results[0]: 'type' is required;"
            " results[1]: must be a mapping, 'int' found",
        ),
        (
            "results: {item: a}\n",
            "results are malformed: results: must be a list, 'dict' found",
        ),
        (
            "TAP version 13\n1..1\nok 1\n  ---\n  item: a\n  ...\n",
            "results are malformed: test 1: 'type' is required",
        ),
        (3, "results are malformed: results: cannot read results from int"),
    ],
    ids=["resultyaml", "not-a-list", "tap", "int"],
)
def test_malformed_results(
    make_ctx: MakeCtx, recorded: Recorded, results: Any, message: str
) -> None:
    """Assert malformed results are an execution error and nothing is recorded."""
    with pytest.raises(DirectiveError) as caught:
        run({"results": results}, make_ctx())
    assert str(caught.value) == message
    assert caught.value.transient is False
    assert recorded.verdicts == []


def test_unparsable_yaml(make_ctx: MakeCtx) -> None:
    """Assert YAML that does not parse is reported as malformed results."""
    with pytest.raises(DirectiveError, match=r"^results are malformed: ResultYAML: does not parse"):
        run({"results": "results: [\n"}, make_ctx())


def test_no_results(make_ctx: MakeCtx, recorded: Recorded) -> None:
    """Assert an empty results list records nothing and exports an empty ResultYAML."""
    assert yaml.safe_load(run({"results": "results: []\n"}, make_ctx())) == {"results": []}
    assert recorded.verdicts == []


@pytest.mark.parametrize(
    ("results", "given"),
    [(None, "None"), ("", "an empty text"), ("  \n", "an empty text")],
    ids=["none", "empty", "blank"],
)
def test_nothing_given_records_nothing_and_says_so(
    make_ctx: MakeCtx,
    recorded: Recorded,
    caplog: pytest.LogCaptureFixture,
    results: Any,
    given: str,
) -> None:
    """Assert None (what a check that returned nothing exports) or an empty text records no
    verdict, with a warning, instead of failing the run as malformed results."""
    ctx = make_ctx()
    with caplog.at_level("WARNING", logger=ctx.log.name):
        out = run({"results": results}, ctx)
    assert yaml.safe_load(out) == {"results": []}
    assert recorded.verdicts == []
    assert (
        f"results: nothing to record (the results given are {given}: did the check return"
        " nothing?)" in caplog.text
    )


def test_empty_results_file_records_nothing(make_ctx: MakeCtx, recorded: Recorded) -> None:
    """Assert an empty results file is nothing to record, as an empty text is."""
    ctx = make_ctx()
    (ctx.taskdir / "out.yml").write_text("")
    assert yaml.safe_load(run({"file": "out.yml"}, ctx)) == {"results": []}
    assert recorded.verdicts == []


@pytest.mark.parametrize("params", [{}, {"results": "x", "file": "y"}], ids=["neither", "both"])
def test_exactly_one_of_results_and_file(params: dict[str, Any]) -> None:
    """Assert results and file are mutually exclusive and one is required."""
    with pytest.raises(ParamsError) as caught:
        Results().validate(params)
    assert caught.value.problems == [((), "give exactly one of 'results' and 'file'")]


def test_file_must_be_a_string() -> None:
    """Assert a non-string file is refused with its location."""
    with pytest.raises(ParamsError) as caught:
        Results().validate({"file": 3})
    assert caught.value.problems == [(("file",), "must be a string, 'int' found")]
