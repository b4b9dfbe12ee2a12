"""The trigger's errors: one root, and the two kinds a message or a job can meet.

- :class:`MalformedMessage`: a message no adapter can read. Permanent: the consumer logs it
  with its id and drops it (redelivering it would fail the same way).
- :class:`RulesError`: a rules file that cannot be used (bad YAML, an unknown operator, a check
  missing from the checks repo). A job error (docs/architecture.md): raised when the rules load,
  naming the file and the rule, before any message is read.
- :class:`TransientError`: the database is locked or unreachable, the backend is down. The
  consumer nacks the message (it is delivered again); a job that could not be submitted stays
  in the ledger and is retried.
- :class:`BackendError`: a backend refused a job for good (an unknown builder, a bad request).
  The job is marked ERROR_SUBMITTING and not retried.
"""

from __future__ import annotations

__all__ = [
    "BackendError",
    "ConfigError",
    "MalformedMessage",
    "RulesError",
    "TransientBackendError",
    "TransientError",
    "TriggerError",
    "UnknownJob",
]


class TriggerError(Exception):
    """The root of every error the trigger raises on purpose."""


class ConfigError(TriggerError):
    """A setting that is unknown or of the wrong type; the message names it."""


class MalformedMessage(TriggerError):
    """A message that no adapter can turn into an Event (bad body, failed schema)."""


class RulesError(TriggerError):
    """A rules file that cannot be used; the message names the file and the rule."""


class TransientError(TriggerError):
    """A fault that may go away by itself: try again later."""


class TransientBackendError(TransientError):
    """The backend could not be reached or answered with a server error."""


class BackendError(TriggerError):
    """The backend refused the job for good: retrying cannot help."""


class UnknownJob(TriggerError):
    """No job in the ledger has this uuid."""
