"""The trigger assembled: settings -> rules, ledger, backend, dispatcher; one message handled.

:func:`handle` is the whole path of a message: adapt -> match -> record. It raises
:class:`~trigger.errors.MalformedMessage` (drop it) or :class:`~checkline.retry.TransientError`
(try it again); the consumer and ``checkline trigger replay`` decide what that means for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from checkline.contracts import Event, JobRequest

from .adapters import adapt
from .backends import Backend, create_backend
from .config import TriggerSettings
from .dispatch import Dispatcher
from .ledger import Ledger, RecordOutcome
from .rules import RuleSet, load_rules

__all__ = ["Handled", "Trigger", "handle"]


@dataclass
class Handled:
    event: Event | None
    jobs: list[JobRequest] = field(default_factory=list)  # what the rules asked for
    outcome: RecordOutcome = field(default_factory=RecordOutcome)


def handle(message: Any, rules: RuleSet, ledger: Ledger, force: bool = False) -> Handled:
    """Adapt ``message``, match the rules, record the jobs (committed when this returns).

    ``force`` records the jobs even if the message was seen before or a job is within the
    dedup window (a deliberate replay).

    Raises:
        MalformedMessage: no adapter, or a body its schema refuses.
        LedgerUnavailable: the ledger is locked or unreachable: nothing was recorded.
    """
    event = adapt(message)
    if event is None:
        return Handled(None)
    jobs = rules.jobs_for(event)
    # A message asking for nothing is still recorded: its redelivery is then recognised.
    msg_id = None if force else message.id
    return Handled(event, jobs, ledger.record(msg_id, jobs, force=force))


class Trigger:
    """Rules, ledger, backend and dispatcher of one configuration."""

    def __init__(
        self,
        settings: TriggerSettings,
        rules: RuleSet | None = None,
        ledger: Ledger | None = None,
        backend: Backend | None = None,
    ) -> None:
        self.settings = settings
        self._rules = rules
        self.ledger = ledger or Ledger(settings.db, settings.dedup_window)
        self.backend = backend or create_backend(settings)
        self.dispatcher = Dispatcher(self.ledger, self.backend, settings.retry_interval)

    @property
    def rules(self) -> RuleSet:
        """The rules, loaded on first use (``jobs`` commands need none).

        Raises:
            RulesError: the rules file is unusable.
        """
        if self._rules is None:
            settings = self.settings
            self._rules = load_rules(settings.rules, settings.checks_dir, settings.valid_arches)
        return self._rules

    def handle(self, message: Any) -> Handled:
        handled = handle(message, self.rules, self.ledger)
        if handled.outcome.created and self.backend.submits:
            self.dispatcher.wake()
        return handled

    def schedule(self, job: JobRequest, force: bool = False) -> RecordOutcome:
        outcome = self.ledger.record(None, [job], force=force)
        if outcome.created and self.backend.submits:
            self.dispatcher.wake()
        return outcome

    def close(self) -> None:
        self.dispatcher.stop()
        self.ledger.dispose()
