"""What a directive sees of its run: the input, the directories, the log, the cancel token.

Directives never reach the executor; they call these methods to record verdicts, ask for an
exit code, or run a command.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from checkline.contracts import Verdict

from .job import RunInput
from .process import CancelToken, ProcessResult, run_process
from .sandbox import NoSandbox, Sandbox

__all__ = ["RunContext"]


@dataclass
class RunContext:
    """A run's facts, plus the current action's log file and timeout."""

    run: RunInput
    testcase: str  #: the formula's ``namespace.name`` (ResultsDB's testcase)
    checkname: str  #: a verdict's default ``checkname``: the formula's ``name``
    taskdir: Path  #: the check's folder, holding ``runtask.yml`` (``${taskdir}``)
    workdir: Path  #: the temporary working directory (``${workdir}``)
    artifactsdir: Path  #: the task output, ``<run directory>/task_output`` (``${artifactsdir}``)
    rundir: Path  #: the run directory, ``<artifacts root>/<uuid>``
    log: logging.Logger
    python: str | None = None  #: ``--python``: the interpreter of check code (``interpreter``)
    formula_python: str | None = None  #: the formula's ``checkline.python``, which wins
    cancel: CancelToken = field(default_factory=CancelToken)
    sandbox: Sandbox = field(default_factory=NoSandbox)  #: where check code runs
    action_log: Path | None = None
    timeout: float | None = None
    on_verdicts: Callable[[list[Verdict]], None] = lambda verdicts: None
    on_exit_code: Callable[[int], None] = lambda code: None

    def record_verdicts(self, verdicts: list[Verdict]) -> None:
        """Append checked verdicts to the run's ``results.tap``."""
        self.on_verdicts(verdicts)

    def request_exit_code(self, code: int) -> None:
        """Ask that the runner exit with ``code`` once the task ends (the worst one wins)."""
        self.on_exit_code(code)

    def run_process(
        self,
        argv: Sequence[str],
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> ProcessResult:
        """Run ``argv`` (no shell) under this action's log, timeout and cancel token, inside
        the run's sandbox (check code only: ``shell``, ``python``)."""
        if self.action_log is None:
            raise RuntimeError("run_process needs an action log; it is set by the executor")
        wrapped = self.sandbox.wrap(argv, env=env, cwd=cwd or self.taskdir)
        return run_process(
            wrapped.argv,
            log_path=self.action_log,
            cancel=self.cancel,
            timeout=self.timeout,
            cwd=wrapped.cwd or self.taskdir,
            env=wrapped.env,
        )
