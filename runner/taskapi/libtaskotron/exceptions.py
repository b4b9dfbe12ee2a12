"""libtaskotron's exceptions that its check API raises."""

from __future__ import annotations


class TaskotronError(Exception):
    """Common ancestor for Taskotron related exceptions."""


class TaskotronValueError(ValueError, TaskotronError):
    """Taskotron-specific ValueError."""
