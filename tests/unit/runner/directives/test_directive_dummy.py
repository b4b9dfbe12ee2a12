"""The ``dummy`` directive: one verdict with a chosen outcome, a crash, or a cancellable sleep."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from checkline.runner.context import RunContext
from checkline.runner.directives.dummy import Dummy
from checkline.runner.errors import DirectiveError, ParamsError, RunCancelled

if TYPE_CHECKING:
    from conftest import Recorded

MakeCtx = Callable[..., RunContext]


def run(params: dict[str, Any], ctx: RunContext) -> Any:
    dummy = Dummy()
    return yaml.safe_load(dummy.run(dummy.validate(params), ctx))


def test_default_verdict_from_the_context(make_ctx: MakeCtx, recorded: Recorded) -> None:
    """Assert the verdict names the run's item, type, arch and the formula's checkname."""
    assert run({}, make_ctx()) == {
        "results": [
            {
                "item": "xchat-0.5-1.fc20",
                "type": "koji_build",
                "checkname": "demo",
                "outcome": "PASSED",
                "arch": "x86_64",
            }
        ]
    }
    assert recorded.verdicts == []
    assert recorded.exit_codes == []


def test_outcome_summary_and_checkname(make_ctx: MakeCtx) -> None:
    """Assert outcome (any case), summary (as note) and checkname come from the params."""
    result = run(
        {"outcome": "needs_inspection", "summary": "1 error", "checkname": "demo.sub"},
        make_ctx(),
    )["results"][0]
    assert result["outcome"] == "NEEDS_INSPECTION"
    assert result["note"] == "1 error"
    assert result["checkname"] == "demo.sub"


@pytest.mark.parametrize(
    ("params", "problems"),
    [
        (
            {"outcome": "SUPERB"},
            [
                (
                    ("outcome",),
                    "'SUPERB' is not an outcome; valid outcomes: PASSED, INFO, FAILED,"
                    " NEEDS_INSPECTION, ABORTED, CRASHED",
                )
            ],
        ),
        ({"outcome": 1}, [(("outcome",), "must be a string, 'int' found")]),
        ({"sleep": -1}, [(("sleep",), "must be greater than or equal to 0, -1 found")]),
        ({"sleep": "1"}, [(("sleep",), "must be a number, 'str' found")]),
        (
            {"outcom": "PASSED"},
            [(("outcom",), "unknown key; valid keys: outcome, summary, checkname, sleep, crash")],
        ),
    ],
    ids=["bad-outcome", "outcome-type", "negative-sleep", "sleep-type", "unknown-key"],
)
def test_invalid_params(params: dict[str, Any], problems: list[Any]) -> None:
    """Assert bad parameters are refused with exact messages and locations."""
    with pytest.raises(ParamsError) as caught:
        Dummy().validate(params)
    assert caught.value.problems == problems


def test_crash(make_ctx: MakeCtx) -> None:
    """Assert crash raises an execution error with exactly the given message."""
    with pytest.raises(DirectiveError) as caught:
        run({"crash": "the disk is on fire"}, make_ctx())
    assert str(caught.value) == "the disk is on fire"
    assert caught.value.transient is False


def test_short_sleep_then_verdict(make_ctx: MakeCtx) -> None:
    """Assert an uncancelled sleep waits, then returns the verdict."""
    started = time.monotonic()
    assert run({"sleep": 0.1, "outcome": "FAILED"}, make_ctx())["results"][0]["outcome"] == (
        "FAILED"
    )
    assert time.monotonic() - started >= 0.1


def test_sleep_is_cancelled_early(make_ctx: MakeCtx) -> None:
    """Assert ctx.cancel stops a long sleep at once with RunCancelled and its reason."""
    ctx = make_ctx()
    timer = threading.Timer(0.2, ctx.cancel.cancel, args=("SIGTERM",))
    started = time.monotonic()
    timer.start()
    try:
        with pytest.raises(RunCancelled) as caught:
            run({"sleep": 30}, ctx)
    finally:
        timer.cancel()
    assert time.monotonic() - started < 2
    assert str(caught.value) == "cancelled by SIGTERM"


def test_cancelled_before_a_crash(make_ctx: MakeCtx) -> None:
    """Assert a cancel during the sleep wins over the crash that would follow it."""
    ctx = make_ctx()
    ctx.cancel.cancel("SIGINT")
    with pytest.raises(RunCancelled, match=r"^cancelled by SIGINT$"):
        run({"sleep": 5, "crash": "never reached"}, ctx)
