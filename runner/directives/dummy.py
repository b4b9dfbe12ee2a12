"""``dummy``: a verdict whose outcome is a parameter, for tests and the demo."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field, field_validator

from checkline.contracts import Verdict
from checkline.outcomes import Outcome
from checkline.reporting.resultyaml import format_resultyaml

from ..errors import DirectiveError
from .base import Directive, DirectiveParams, directive

if TYPE_CHECKING:
    from ..context import RunContext


class DummyParams(DirectiveParams):
    outcome: str = "PASSED"
    summary: str = ""
    checkname: str | None = None
    #: Seconds to wait first (cancellable): for timeout and cancel tests.
    sleep: float = Field(0, ge=0)
    #: When set, fail with this message instead (an execution error): for crash tests.
    crash: str | None = None

    @field_validator("outcome")
    @classmethod
    def _known_outcome(cls, value: str) -> str:
        return Outcome.from_spec(value).value


@directive("dummy")
class Dummy(Directive[DummyParams]):
    """Return one verdict for the run's item as ResultYAML, with the configured outcome.

    .. code-block:: yaml

        - name: pretend to check
          dummy:
            outcome: FAILED
            summary: "1 error"
          export: dummy_output

    Returns: ResultYAML text with one result (item, type, checkname, outcome, arch).
    """

    Params = DummyParams

    def run(self, params: DummyParams, ctx: RunContext) -> str:
        if params.sleep and ctx.cancel.wait(params.sleep):
            ctx.cancel.raise_if_cancelled()
        if params.crash is not None:
            raise DirectiveError(params.crash)
        verdict: Verdict = {
            "item": ctx.run.item,
            "type": ctx.run.item_type,
            "checkname": params.checkname or ctx.checkname,
            "outcome": params.outcome,
            "arch": ctx.run.arch,
        }
        if params.summary:
            verdict["summary"] = params.summary
        return format_resultyaml([verdict])
