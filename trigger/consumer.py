"""The fedora-messaging consumer (``--callback checkline.trigger.consumer:Consumer``).

fedora-messaging instantiates the class once and calls it for every message. Its settings
come from the ``[consumer_config.checkline]`` table of the fedora-messaging TOML file, then
``CHECKLINE_TRIGGER_<KEY>`` (see :mod:`.config`). A message is acked (the callback returns)
only once its jobs are committed to the ledger. The callback never lets an exception escape:
fedora-messaging would nack every unacked message with requeue and stop, so a poison message
would loop forever under a supervisor. Instead:

- malformed or unknown message: logged with its id, ``Drop``;
- transient fault (ledger locked or unreachable): ``Nack`` (redelivered) after a short pause;
- anything else (a bug): logged with its id and traceback; ``Nack`` for the first
  ``MAX_FAILURES - 1`` times the same message fails, ``Drop`` after that.

A message that fedora-messaging cannot even decode never reaches the callback:
:func:`harden` makes fedora-messaging drop it with a line naming it (:mod:`.decoding`).
Every message handled gets one INFO line: its jobs, or why it has none. Values taken from a
message are logged with ``%r`` or :func:`~.logsafe.escape`, never raw.
"""

from __future__ import annotations

import logging
import os
import time
from collections import OrderedDict
from typing import Any

from fedora_messaging import config as fm_config
from fedora_messaging.exceptions import Drop, Nack

from checkline.contracts import Job
from checkline.retry import TransientError

from . import decoding, logsafe
from .config import TriggerSettings, settings_from_mapping
from .errors import MalformedMessage
from .logsafe import escape
from .service import Handled, Trigger

__all__ = ["Consumer", "harden"]

log = logging.getLogger(__name__)
MAX_FAILURES = 3
PRUNE_EVERY = 10000  # messages between two prunings of old message ids and dedup slots
TRANSIENT_PAUSE = 0.5  # s: a locked database or a backend restart is not over at once


def harden() -> None:
    """Ready this process to consume: undecodable messages dropped, not fatal; log lines
    escaped; the trigger's INFO lines shown. Call it once fedora-messaging set up logging."""
    decoding.install()
    logsafe.install()


class Consumer:
    """Adapt -> match -> record; the dispatcher thread submits the recorded jobs."""

    def __init__(
        self, settings: TriggerSettings | None = None, trigger: Trigger | None = None
    ) -> None:
        if trigger is None:
            if settings is None:
                # Built by fedora-messaging's `consume --callback ...consumer:Consumer`,
                # which set up logging already (`checkline trigger consume` hardens itself).
                harden()
                section = fm_config.conf["consumer_config"].get("checkline", {})
                # CHECKLINE_TRIGGER_<KEY> apply here too, as under `checkline trigger`.
                settings = settings_from_mapping(
                    section, "consumer_config.checkline", env=os.environ
                )
            trigger = Trigger(settings)
        self.trigger = trigger
        self._failures: OrderedDict[str, int] = OrderedDict()
        self._handled = 0
        if trigger.backend.submits:
            trigger.dispatcher.start()

    def __call__(self, message: Any) -> None:
        msg_id = getattr(message, "id", None)
        try:
            handled = self.trigger.handle(message)
        except MalformedMessage as err:
            log.warning("message %r dropped: %s", msg_id, escape(err))
            raise Drop() from err
        except TransientError as err:
            log.warning("message %r not recorded, will come again: %s", msg_id, escape(err))
            time.sleep(TRANSIENT_PAUSE)
            raise Nack() from err
        except Exception as err:
            failures = self._failed(str(msg_id))
            log.exception("message %r failed (%d/%d)", msg_id, failures, MAX_FAILURES)
            if failures >= MAX_FAILURES:
                log.error("message %r dropped after %d failures", msg_id, failures)
                raise Drop() from err
            time.sleep(TRANSIENT_PAUSE)
            raise Nack() from err
        self._handled += 1
        if self._handled % PRUNE_EVERY == 0:
            self._prune()
        log.info("message %r (%r): %s", msg_id, getattr(message, "topic", None), summary(handled))

    def _prune(self) -> None:
        try:
            slots, ids = self.trigger.ledger.prune(self.trigger.settings.message_retention)
        except TransientError as err:  # the next pruning will do it
            log.warning("ledger not pruned: %s", escape(err))
            return
        log.info("ledger pruned: %d expired dedup slots, %d old message ids", slots, ids)

    def _failed(self, msg_id: str) -> int:
        count = self._failures.pop(msg_id, 0) + 1
        self._failures[msg_id] = count
        while len(self._failures) > 10000:  # bounded: only recent failures matter
            self._failures.popitem(last=False)
        return count


def summary(handled: Handled) -> str:
    """What a message did, for its log line: its item and the jobs recorded or held back."""
    event, outcome = handled.event, handled.outcome
    if event is None:
        return "schedules nothing"
    if outcome.redelivered:
        return f"{event['item_type']} {event['item']!r}: seen before, nothing recorded"
    done = f"{len(outcome.created)} job(s) recorded" + _tasks(outcome.created)
    if outcome.duplicates:
        done += f", {len(outcome.duplicates)} within the dedup window" + _tasks(outcome.duplicates)
    return f"{event['item_type']} {event['item']!r}: {done}"


def _tasks(jobs: list[Job]) -> str:
    if not jobs:
        return ""
    return " (" + escape(", ".join(f"{job['taskname']}/{job['arch']}" for job in jobs)) + ")"
