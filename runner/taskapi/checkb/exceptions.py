"""checkb's exceptions that its check API raises."""

from __future__ import annotations


class CheckbError(Exception):
    """Common ancestor for Checkb related exceptions."""


class CheckbValueError(ValueError, CheckbError):
    """Checkb-specific ValueError."""
