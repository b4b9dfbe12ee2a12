"""Secrets (passwords, tokens) in a type that refuses to print itself, and URLs told safely.

A :class:`Secret` holds a password or a token from the moment a setting is read until the one
call that needs the value (``reveal()``): its ``str``, ``repr`` and ``format`` are ``***``, so a
settings object that holds it can be logged, shown in a traceback or in an error message
without leaking it (Buildbot logs a step's ``repr`` with its constructor's arguments at every
build). It cannot be pickled or turned into JSON either, so it never lands in a Buildbot
property or a state file by accident; ``copy`` and ``deepcopy`` give the same object.

:func:`redact_url` hides the password of a URL (``postgresql://user:pw@host/db``,
``amqp://guest:guest@host``) before it is printed.
"""

from __future__ import annotations

import dataclasses
import hmac
from typing import Any, NoReturn
from urllib.parse import urlsplit, urlunsplit

__all__ = ["MASK", "NO_SECRET", "Secret", "redact_url", "redacted_repr", "reveal"]

MASK = "***"


class Secret:
    """A password or token. ``reveal()`` is the only way to its value."""

    __slots__ = ("_value",)

    def __init__(self, value: str | Secret) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        if not isinstance(value, str):
            raise TypeError(f"a secret is a string, not {type(value).__name__}")
        object.__setattr__(self, "_value", value)

    def reveal(self) -> str:
        """The value, for the one call that sends or checks it."""
        value: str = object.__getattribute__(self, "_value")
        return value

    def matches(self, given: str) -> bool:
        """``given`` equals the value (compared in constant time)."""
        return hmac.compare_digest(self.reveal().encode(), given.encode())

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError("a Secret is immutable")

    def __repr__(self) -> str:
        return f"Secret({MASK!r})" if self.reveal() else "Secret('')"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return MASK

    def __bool__(self) -> bool:
        return bool(self.reveal())

    def __eq__(self, other: object) -> bool:
        # Buildbot compares a service's arguments to decide whether a reconfig changes it.
        return isinstance(other, Secret) and self.matches(other.reveal())

    def __hash__(self) -> int:
        return hash((Secret, self.reveal()))

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret is never pickled (it would be written out in clear)")


def reveal(value: Secret | str | None) -> str:
    """The value of a secret or of a plain string ("" for None): for calls that accept both."""
    if value is None:
        return ""
    return value.reveal() if isinstance(value, Secret) else value


def redact_url(url: str) -> str:
    """``url`` with its password (if any) replaced by ``***``; other URLs as they are."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url
    if not password:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{user}:{MASK}@{host}" + (f":{port}" if port is not None else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def redacted_repr(settings: Any) -> str:
    """The repr of a settings dataclass with every URL's password hidden (its secrets already
    print as ``***``): for a ``__repr__`` of settings that may hold ``postgresql://u:pw@...``."""
    shown = []
    for item in dataclasses.fields(settings):
        if not item.repr:
            continue
        value = getattr(settings, item.name)
        text = repr(redact_url(value)) if isinstance(value, str) else repr(value)
        shown.append(f"{item.name}={text}")
    return f"{type(settings).__name__}({', '.join(shown)})"


#: The empty secret (no token, no password): a default for settings. Secrets are immutable,
#: so one object serves every default.
NO_SECRET = Secret("")
