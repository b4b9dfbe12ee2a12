"""``exitcode``: turn results into the runner's exit code, as Taskotron did (0 or 100)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import model_validator

from checkline.contracts import ExitCode
from checkline.outcomes import Outcome
from checkline.reporting.parse import parse_results

from ..errors import DirectiveError
from .base import Directive, DirectiveParams, directive

if TYPE_CHECKING:
    from ..context import RunContext


class ExitcodeParams(DirectiveParams):
    result_last: Any = None
    result_worst: Any = None

    @model_validator(mode="before")
    @classmethod
    def _exactly_one(cls, data: Any) -> Any:
        if isinstance(data, dict) and ("result_last" in data) == ("result_worst" in data):
            raise ValueError("give exactly one of 'result_last' and 'result_worst'")
        return data


@directive("exitcode")
class Exitcode(Directive[ExitcodeParams]):
    """Set the runner's exit code from results (ResultYAML, TAP13 or a list of verdicts).

    ``result_last`` looks at the last result, ``result_worst`` at the worst one. The code is
    0 for PASSED or INFO and 100 otherwise; the runner exits with it once the task ends (the
    highest requested code wins).

    .. code-block:: yaml

        - name: set exit code
          exitcode:
            result_worst: ${check_output}

    Returns: the exit code.
    """

    Params = ExitcodeParams

    def run(self, params: ExitcodeParams, ctx: RunContext) -> int:
        last = "result_last" in params.model_fields_set
        given = params.result_last if last else params.result_worst
        if given is None:
            raise DirectiveError(
                "exitcode: the results hold no verdict (None was given: did the check return "
                "nothing?)"
            )
        parsed = parse_results(given)
        if parsed.problems:
            problems = "; ".join(str(problem) for problem in parsed.problems)
            raise DirectiveError(f"exitcode: cannot read the results: {problems}")
        if not parsed.verdicts:
            raise DirectiveError("exitcode: the results hold no verdict")
        outcomes = [Outcome(v["outcome"]) for v in parsed.verdicts]
        outcome = outcomes[-1] if last else Outcome.worst(outcomes)
        ok = outcome is not None and outcome.is_ok
        code = int(ExitCode.OK if ok else ExitCode.VERDICT_FAILED)  # exported: a plain int
        ctx.request_exit_code(code)
        return code
