"""The ``exitcode`` directive: results in, Taskotron's exit code (0 or 100) out."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from checkline.runner.context import RunContext
from checkline.runner.directives.exitcode import Exitcode
from checkline.runner.errors import DirectiveError, ParamsError

if TYPE_CHECKING:
    from conftest import Recorded

MakeCtx = Callable[..., RunContext]

RESULTYAML_FAILED_THEN_PASSED = """\
results:
  - {item: xchat-0.5-1.fc20, type: koji_build, outcome: FAILED}
  - {item: xchat-0.5-1.fc20, type: koji_build, outcome: passed}
"""

TAP_PASSED_THEN_FAILED = """\
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
  ...
"""

TAP_PASSED_THEN_INFO = """\
TAP version 13
1..2
ok 1
  ---
  item: a
  type: koji_build
  ...
ok 2
  ---
  item: b
  type: koji_build
  outcome: INFO
  ...
"""

LIST_PASSED_THEN_NEEDS_INSPECTION = [
    {"item": "a", "type": "koji_build", "outcome": "PASSED"},
    {"item": "b", "type": "koji_build", "outcome": "NEEDS_INSPECTION"},
]

LIST_NEEDS_INSPECTION_THEN_INFO = [
    {"item": "a", "type": "koji_build", "outcome": "NEEDS_INSPECTION"},
    {"item": "b", "type": "koji_build", "outcome": "INFO"},
]


def run(params: dict[str, Any], ctx: RunContext) -> int:
    exitcode = Exitcode()
    return exitcode.run(exitcode.validate(params), ctx)


def verdict(outcome: str) -> dict[str, str]:
    return {"item": "a", "type": "koji_build", "outcome": outcome}


@pytest.mark.parametrize(
    ("key", "results", "code"),
    [
        ("result_last", RESULTYAML_FAILED_THEN_PASSED, 0),
        ("result_worst", RESULTYAML_FAILED_THEN_PASSED, 100),
        ("result_last", TAP_PASSED_THEN_FAILED, 100),
        ("result_worst", TAP_PASSED_THEN_INFO, 0),
        ("result_last", LIST_PASSED_THEN_NEEDS_INSPECTION, 100),
        ("result_worst", LIST_PASSED_THEN_NEEDS_INSPECTION, 100),
        ("result_last", LIST_NEEDS_INSPECTION_THEN_INFO, 0),
        ("result_worst", LIST_NEEDS_INSPECTION_THEN_INFO, 100),
        ("result_last", {"results": [verdict("INFO")]}, 0),
    ],
    ids=[
        "yaml-last",
        "yaml-worst",
        "tap-last",
        "tap-worst",
        "list-last-bad",
        "list-worst-bad",
        "list-last-ok",
        "list-worst-bad2",
        "yaml-dict",
    ],
)
def test_last_and_worst(
    make_ctx: MakeCtx, recorded: Recorded, key: str, results: Any, code: int
) -> None:
    """Assert result_last reads the last verdict, result_worst the worst, in every format."""
    assert run({key: results}, make_ctx()) == code
    assert recorded.exit_codes == [code]


@pytest.mark.parametrize(
    ("outcome", "code"),
    [
        ("PASSED", 0),
        ("INFO", 0),
        ("FAILED", 100),
        ("NEEDS_INSPECTION", 100),
        ("ABORTED", 100),
        ("CRASHED", 100),
    ],
)
def test_outcome_to_code(make_ctx: MakeCtx, recorded: Recorded, outcome: str, code: int) -> None:
    """Assert only PASSED and INFO give 0; every other outcome gives Taskotron's 100."""
    assert run({"result_worst": [verdict(outcome)]}, make_ctx()) == code
    assert recorded.exit_codes == [code]


def test_records_no_verdicts(make_ctx: MakeCtx, recorded: Recorded) -> None:
    """Assert exitcode only asks for an exit code; it records no verdicts."""
    run({"result_worst": RESULTYAML_FAILED_THEN_PASSED}, make_ctx())
    assert recorded.verdicts == []


@pytest.mark.parametrize(
    "params",
    [{}, {"result_last": "x", "result_worst": "y"}, {"result": "x"}],
    ids=["neither", "both", "misspelt"],
)
def test_exactly_one_key(params: dict[str, Any]) -> None:
    """Assert giving neither or both keys is one problem with the exact message."""
    with pytest.raises(ParamsError) as caught:
        Exitcode().validate(params)
    assert caught.value.problems == [((), "give exactly one of 'result_last' and 'result_worst'")]


def test_unknown_key_next_to_a_valid_one() -> None:
    """Assert an unknown key is refused with the list of valid keys."""
    with pytest.raises(ParamsError) as caught:
        Exitcode().validate({"result_worst": "x", "extra": 1})
    assert caught.value.problems == [
        (("extra",), "unknown key; valid keys: result_last, result_worst")
    ]


@pytest.mark.parametrize(
    ("results", "message"),
    [
        (
            "results:\n  - {item: a, outcome: FAILED}\n",
            "exitcode: cannot read the results: results[0]: 'type' is required",
        ),
        (
            [verdict("PASSED"), verdict("BOGUS")],
            "exitcode: cannot read the results: results[1]: 'outcome': 'BOGUS' is not an"
            " outcome; valid outcomes: PASSED, INFO, FAILED, NEEDS_INSPECTION, ABORTED, CRASHED",
        ),
        (
            "just text",
            "exitcode: cannot read the results: ResultYAML: must be a mapping with a"
            " 'results' list, 'str' found",
        ),
        (5, "exitcode: cannot read the results: results: cannot read results from int"),
        ("results: []\n", "exitcode: the results hold no verdict"),
        ("results:\n", "exitcode: the results hold no verdict"),
        ([], "exitcode: the results hold no verdict"),
        (
            None,  # a check that returned nothing
            "exitcode: the results hold no verdict (None was given: did the check return nothing?)",
        ),
    ],
    ids=[
        "missing-type",
        "bad-outcome",
        "not-resultyaml",
        "int",
        "empty",
        "null",
        "empty-list",
        "none",
    ],
)
def test_unusable_results(
    make_ctx: MakeCtx, recorded: Recorded, results: Any, message: str
) -> None:
    """Assert malformed or empty results are an execution error and set no exit code."""
    with pytest.raises(DirectiveError) as caught:
        run({"result_worst": results}, make_ctx())
    assert str(caught.value) == message
    assert caught.value.transient is False
    assert recorded.exit_codes == []


def test_one_bad_verdict_spoils_the_results(make_ctx: MakeCtx, recorded: Recorded) -> None:
    """Assert a malformed verdict is not skipped in favour of the sound ones."""
    results = [verdict("FAILED"), {"item": "b", "outcome": "PASSED"}]
    with pytest.raises(DirectiveError, match=r"results\[1\]: 'type' is required$"):
        run({"result_last": results}, make_ctx())
    assert recorded.exit_codes == []
