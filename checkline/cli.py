"""``checkline``: one command, a sub-command per stage, each loaded only when used.

Loading lazily keeps ``checkline run`` from importing the other stages' dependencies.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from . import __version__

#: sub-command -> "module:attribute", in the order of the flow.
STAGES = {
    "trigger": "checkline.trigger.cli:trigger_group",
    "jobs": "checkline.trigger.cli:jobs_group",
    "run": "checkline.runner.cli:run_command",
    "report": "checkline.reporting.cli:report_command",
    "resultsdb": "checkline.resultsdb.cli:resultsdb_group",
    "stack": "checkline.stack.cli:stack_group",
}


class StageGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *STAGES]

    def get_command(self, ctx: click.Context, name: str) -> Any:
        if name in STAGES:
            module, _, attribute = STAGES[name].partition(":")
            return getattr(importlib.import_module(module), attribute)
        return super().get_command(ctx, name)


@click.group(cls=StageGroup)
@click.version_option(__version__, prog_name="checkline")
def main() -> None:
    """Checkline: message-triggered checks, from bus message to ResultsDB result.

    trigger: from bus messages to recorded, scheduled jobs.
    jobs: the trigger's jobs (list, show, rerun).
    run: run a check formula locally (the runner).
    report: report a run's results to ResultsDB, with log URLs.
    resultsdb: serve the ResultsDB v2.0 API.
    stack: the whole pipeline on this machine (up, status, down).
    """
