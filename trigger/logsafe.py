"""Logging strings that come from the bus, so that no sender can write lines of our log.

A message id, a topic or a body value may hold a newline (a sender then writes whole forged
lines into the log), a terminal escape, or a lone surrogate. The trigger logs every such
value with ``%r``, and free text that embeds them (an error's message) through
:func:`escape`. fedora-messaging's own consumer logs the id and the topic with ``%s``:
:func:`install` adds :class:`EscapingFilter` to the handlers that logging has at that time,
which escapes what the ``fedora_messaging`` and ``checkline.trigger`` loggers write.
"""

from __future__ import annotations

import logging

__all__ = ["EscapingFilter", "escape", "install"]

#: Loggers that write values taken from messages. Others (twisted, sqlalchemy) write our own
#: diagnostics, multi-line on purpose (a Deferred's traceback), which stay as they are.
#: The trigger logs under its module names (``checkline.trigger.consumer``...).
TRIGGER_LOGGER = "checkline.trigger"
UNTRUSTED_LOGGERS = ("fedora_messaging", TRIGGER_LOGGER)


def escape(text: object) -> str:
    """``text`` with every character that is not printable (newlines, escapes, lone
    surrogates, line and paragraph separators) written as ``repr`` writes it: ``\\n``,
    ``\\x1b``, ``\\udcff``. Printable text, non-ASCII included, is left as it is."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text)


def _untrusted(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in UNTRUSTED_LOGGERS)


class EscapingFilter(logging.Filter):
    """Escapes the message of a record from an :data:`UNTRUSTED_LOGGERS` logger.

    On a handler, it sees what every logger propagates to it. Only the message is escaped:
    a traceback (``exc_info``) keeps its lines.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not _untrusted(record.name):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: the handler reports it as usual
            return True
        if not message.isprintable():
            record.msg, record.args = escape(message), None
        return True


def install() -> None:
    """Escape what the handlers configured so far write, and let the trigger's INFO lines
    through.

    Call it after ``fedora_messaging.config.conf.setup_logging()``: its default
    ``log_config`` leaves the root logger, hence ``checkline.trigger``, at WARNING, which would hide
    the line each message gets. A level the operator gave the ``checkline.trigger`` logger is kept;
    a drop line is not silenced by a ``log_config`` that merely forgot our loggers.
    """
    loggers = [logging.getLogger()] + [
        logger
        for logger in list(logging.Logger.manager.loggerDict.values())
        if isinstance(logger, logging.Logger)
    ]
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, EscapingFilter) for f in handler.filters):
                handler.addFilter(EscapingFilter())
    ours = logging.getLogger(TRIGGER_LOGGER)
    if ours.level == logging.NOTSET:
        ours.setLevel(logging.INFO)
    for logger in loggers:
        # dictConfig's disable_existing_loggers (true unless log_config says otherwise) mutes
        # every logger made before it: ours are, when imported before setup_logging runs.
        if logger.name == TRIGGER_LOGGER or logger.name.startswith(TRIGGER_LOGGER + "."):
            logger.disabled = False
