"""checkline.trigger.logsafe: strings from the bus logged escaped, whatever logger writes them."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from checkline.trigger.logsafe import EscapingFilter, escape, install


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("plain text, quotes ' \" and é", "plain text, quotes ' \" and é"),
        ("a\nFORGED", r"a\nFORGED"),
        ("a\r\nb\tc", r"a\r\nb\tc"),
        ("\x1b[31mred", r"\x1b[31mred"),
        ("lone \udcff", r"lone \udcff"),
        ("line\u2028separator", r"line\u2028separator"),
    ],
)
def test_escape_writes_what_is_not_printable_as_repr_does(text: str, escaped: str) -> None:
    """Assert escape() turns every unprintable character into its repr escape, nothing else."""
    assert escape(text) == escaped


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """A handler with the filter on the root logger, as install() leaves setup_logging's."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(EscapingFilter())
    handler.setFormatter(logging.Formatter("[%(name)s] %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    yield out
    root.removeHandler(handler)


def test_filter_escapes_fedora_messaging_lines(stream: io.StringIO) -> None:
    """Assert a fedora-messaging line logging an id with %s stays one line."""
    logger = logging.getLogger("fedora_messaging.twisted.consumer")
    logger.warning("Message id %s did not pass validation", "a\nFORGED line")
    assert stream.getvalue() == (
        r"[fedora_messaging.twisted.consumer] Message id a\nFORGED line did not pass validation"
        + "\n"
    )


def test_filter_keeps_tracebacks_and_other_loggers(stream: io.StringIO) -> None:
    """Assert a traceback keeps its lines, and a logger that writes no message values (a
    multi-line Twisted report) is left as it is."""
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("checkline.trigger.consumer").exception("message %r failed", "a\nb")
    logging.getLogger("twisted").warning("Unhandled error:\nTraceback ...")
    lines = stream.getvalue().splitlines()
    assert lines[0] == r"[checkline.trigger.consumer] message 'a\nb' failed"
    assert lines[1] == "Traceback (most recent call last):"
    assert lines[-3:] == ["ValueError: boom", "[twisted] Unhandled error:", "Traceback ..."]


@pytest.fixture
def trigger_level() -> Iterator[logging.Logger]:
    ours = logging.getLogger("checkline.trigger")
    level = ours.level
    yield ours
    ours.setLevel(level)


def test_install_shows_the_trigger_info_lines(
    trigger_level: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Assert after fedora-messaging's default logging (root at WARNING), install() filters
    the handlers and lets the trigger's INFO lines through."""
    handler = logging.StreamHandler(io.StringIO())
    monkeypatch.setattr(logging.getLogger(), "handlers", [handler])
    monkeypatch.setattr(logging.getLogger(), "level", logging.WARNING)
    trigger_level.setLevel(logging.NOTSET)
    install()
    install()
    assert [type(f) for f in handler.filters] == [EscapingFilter]
    assert logging.getLogger("checkline.trigger.consumer").isEnabledFor(logging.INFO)


def test_install_keeps_a_level_the_operator_set(trigger_level: logging.Logger) -> None:
    """Assert a level given to the trigger logger in log_config is kept."""
    trigger_level.setLevel(logging.ERROR)
    install()
    assert trigger_level.level == logging.ERROR


def test_install_unmutes_loggers_a_log_config_forgot(trigger_level: logging.Logger) -> None:
    """Assert a trigger logger muted by dictConfig's disable_existing_loggers (a log_config
    that does not name it) logs again: its drop lines must reach the log."""
    muted = logging.getLogger("checkline.trigger.decoding")
    muted.disabled = True
    try:
        install()
        assert not muted.disabled
    finally:
        muted.disabled = False
