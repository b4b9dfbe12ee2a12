"""Run a validated plan's actions in order; one ``except`` ladder decides the run's status.

``DirectiveError`` -> CRASHED (an execution error), ``RunCancelled`` -> ABORTED, ``JobError``
(a directive found that the item names nothing, e.g. a missing Koji build) -> JOB_ERROR, any other
exception -> CRASHED with its traceback in the runner log (a bug, in a directive or here).
A FAILED verdict is not an exception and does not stop the run.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field, replace
from typing import Any

from checkline.contracts import ExitCode, Verdict
from checkline.outcomes import Outcome

from .context import RunContext
from .errors import DirectiveError, JobError, ParamsError, RunCancelled
from .formula import Action, Plan
from .variables import PlaceholderError, SubstitutionError, substitute

__all__ = ["ActionRecord", "Execution", "RunStatus", "execute"]


class RunStatus(enum.StrEnum):
    FINISHED = "FINISHED"  # ran to its end, whatever its verdicts
    CRASHED = "CRASHED"  # an execution error
    ABORTED = "ABORTED"  # cancelled
    JOB_ERROR = "JOB_ERROR"  # the formula, input or item can never work; never retried

    @property
    def execution_status(self) -> str:
        return "OK" if self is RunStatus.FINISHED else "NOT_OK"


@dataclass
class ActionRecord:
    index: int
    name: str
    directive: str
    status: str = "NOT_RUN"
    seconds: float = 0.0
    log: str = ""


@dataclass
class Execution:
    """What running the plan gave; the executor's caller turns it into files."""

    status: RunStatus = RunStatus.FINISHED
    message: str = ""
    exit_code: int = ExitCode.OK
    actions: list[ActionRecord] = field(default_factory=list)
    failed_action: ActionRecord | None = None


def _action_log_name(action: Action) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in action.name.lower()).strip("-") or "action"
    return f"{action.index:02d}-{slug[:40]}.log"


def execute(plan: Plan, ctx: RunContext, variables: dict[str, Any]) -> Execution:
    """Run every action of ``plan``; never raises for a failing task.

    Args:
        ctx: the run context; its ``on_exit_code`` is wrapped to collect exit codes.
        variables: the run's input variables; exports are added as actions finish.
    """
    execution = Execution()
    requested: list[int] = [ExitCode.OK]
    ctx = replace(ctx, on_exit_code=requested.append)
    actions_dir = ctx.rundir / "actions"
    actions_dir.mkdir(exist_ok=True)
    record: ActionRecord | None = None
    try:
        for action in plan.actions:
            ctx.cancel.raise_if_cancelled()
            log_path = actions_dir / _action_log_name(action)
            record = ActionRecord(
                action.index,
                action.name,
                action.directive.name,
                log=log_path.relative_to(ctx.rundir).as_posix(),
            )
            execution.actions.append(record)
            ctx.log.info("%s: %s starts", action.label, action.directive.name)
            started = time.monotonic()
            log_path.touch()
            try:
                value = _run_action(
                    action, replace(ctx, action_log=log_path, timeout=action.timeout), variables
                )
            finally:
                record.seconds = round(time.monotonic() - started, 3)
            record.status = "OK"
            ctx.log.info("%s: done in %.2f s", action.label, record.seconds)
            if action.export:
                variables[action.export] = value
        record = None
    except RunCancelled as err:
        label = _label(plan, record)
        _fail(execution, record, RunStatus.ABORTED, f"{label}{err}")
        ctx.log.error("%s%s", label, err)
    except JobError as err:  # the item names nothing (a missing build): no rerun can help
        label = _label(plan, record)
        _fail(execution, record, RunStatus.JOB_ERROR, f"{label}{err}")
        ctx.log.error("%s%s", label, err)
    except DirectiveError as err:
        label = _label(plan, record)
        _fail(execution, record, RunStatus.CRASHED, f"{label}{err}")
        ctx.log.error("%s%s", label, err)
    except Exception as err:  # a bug: log the traceback, never let it pass as a verdict
        label = _label(plan, record)
        _fail(
            execution,
            record,
            RunStatus.CRASHED,
            f"{label}internal error: {type(err).__name__}: {err}",
        )
        ctx.log.exception("%sinternal error", label)
    if execution.status is RunStatus.FINISHED:
        execution.exit_code = max(requested)
    elif execution.status is RunStatus.JOB_ERROR:
        execution.exit_code = ExitCode.JOB_ERROR
    else:
        execution.exit_code = ExitCode.EXECUTION_ERROR
    return execution


def _label(plan: Plan, record: ActionRecord | None) -> str:
    """``"actions[2] (name): "`` for the action that failed, or "" between actions."""
    return f"{plan.actions[record.index].label}: " if record else ""


def _run_action(action: Action, ctx: RunContext, variables: dict[str, Any]) -> Any:
    try:
        params = action.directive.validate(substitute(action.params, variables))
    except (ParamsError, SubstitutionError, PlaceholderError) as err:
        # The formula validated; a value produced at run time did not fit.
        raise DirectiveError(f"parameters after substitution: {err}") from err
    return action.directive.run(params, ctx)


def _fail(
    execution: Execution, record: ActionRecord | None, status: RunStatus, message: str
) -> None:
    execution.status = status
    execution.message = message
    if record is not None:
        record.status = status.value
        execution.failed_action = record


def worst_outcome(verdicts: list[Verdict]) -> str | None:
    worst = Outcome.worst(Outcome(v["outcome"]) for v in verdicts)
    return worst.value if worst else None
