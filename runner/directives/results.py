"""``results`` (Taskotron's ``resultsdb``): record verdicts in the run's ``results.tap``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import model_validator

from checkline.reporting.parse import parse_results
from checkline.reporting.resultyaml import format_resultyaml

from ..errors import DirectiveError
from .base import Directive, DirectiveParams, directive

if TYPE_CHECKING:
    from ..context import RunContext


class ResultsParams(DirectiveParams):
    results: Any = None
    file: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _exactly_one(cls, data: Any) -> Any:
        if isinstance(data, dict) and ("results" in data) == ("file" in data):
            raise ValueError("give exactly one of 'results' and 'file'")
        return data


@directive("results", "resultsdb")
class Results(Directive[ResultsParams]):
    """Record results (ResultYAML or TAP13, inline or in a file) as the run's verdicts.

    Each result needs ``item``, ``type`` and ``outcome``; ``checkname`` defaults to the
    formula's name and ``arch`` to the run's. An ``artifact`` path (relative to
    ``${artifactsdir}``, or absolute inside the run's directory) is kept relative to the run's
    directory, where reporting turns it into a log URL. Reporting to a ResultsDB is done by
    ``checkline report`` from ``results.tap``.

    .. code-block:: yaml

        - name: report results
          resultsdb:
            results: ${check_output}

    Results that are None (the export of a check that returned nothing) or an empty text
    record nothing, with a warning: the run then recorded no result, which ``execution.json``
    and reporting say plainly (never a pass).

    Returns: the recorded verdicts as ResultYAML.
    """

    Params = ResultsParams

    def run(self, params: ResultsParams, ctx: RunContext) -> str:
        if params.file is not None:
            path = ctx.taskdir / params.file
            try:
                data: Any = path.read_text(encoding="utf-8")
            except OSError as err:
                raise DirectiveError(f"cannot read results file {str(path)!r}: {err}") from err
        else:
            data = params.results
        if data is None or (isinstance(data, str) and not data.strip()):
            # What a check that returned nothing exports: no verdict to record, said plainly
            # (the run then ends with no result, which reporting never posts as a pass).
            given = "None" if data is None else "an empty text"
            ctx.log.warning(
                "%s: nothing to record (the results given are %s: did the check return nothing?)",
                self.name,
                given,
            )
            return format_resultyaml([])
        parsed = parse_results(data)
        if parsed.problems:
            problems = "; ".join(str(problem) for problem in parsed.problems)
            raise DirectiveError(f"results are malformed: {problems}")
        ctx.record_verdicts(parsed.verdicts)
        return format_resultyaml(parsed.verdicts)
