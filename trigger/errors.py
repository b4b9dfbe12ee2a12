"""The trigger's errors: one root, and the kinds a message or a job can meet.

- :class:`MalformedMessage`: a message no adapter can read. Permanent: the consumer logs it
  with its id and drops it (redelivering it would fail the same way).
- :class:`RulesError`: a rules file that cannot be used (bad YAML, an unknown operator, a check
  missing from the checks repo). A job error (docs/architecture.md): raised when the rules load,
  naming the file and the rule, before any message is read.
- :class:`LedgerUnavailable` (the database is locked or unreachable) and
  :class:`BackendUnavailable` (the backend cannot take a job now: unreachable, busy, 5xx):
  both are a :class:`checkline.retry.TransientError`, which is what the trigger catches. The
  consumer nacks the message (it is delivered again); a job that could not be submitted stays
  in the ledger and is retried.
- :class:`BackendError`: a backend refused a job for good (an unknown builder, a bad request).
  The job is marked ERROR_SUBMITTING and not retried.

Unusable settings are :class:`checkline.settings.SettingsError` (a ``ValueError``, shared by
every part), not a :class:`TriggerError`: the commands turn it into a usage error (exit 2).
"""

from __future__ import annotations

from checkline.retry import TransientError

__all__ = [
    "BackendError",
    "BackendUnavailable",
    "LedgerUnavailable",
    "MalformedMessage",
    "RulesError",
    "TriggerError",
    "UnknownJob",
]


class TriggerError(Exception):
    """The root of every error the trigger raises on purpose."""


class MalformedMessage(TriggerError):
    """A message that no adapter can turn into an Event (bad body, failed schema)."""


class RulesError(TriggerError):
    """A rules file that cannot be used; the message names the file and the rule."""


class LedgerUnavailable(TriggerError, TransientError):
    """The ledger's database is locked or unreachable: nothing was recorded; try again later."""


class BackendUnavailable(TriggerError, TransientError):
    """The backend cannot take a job now (unreachable, busy, a server error): try again later."""


class BackendError(TriggerError):
    """The backend refused the job for good: retrying cannot help."""


class UnknownJob(TriggerError):
    """No job in the ledger has this uuid."""
