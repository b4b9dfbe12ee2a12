"""The fedora-messaging consumer: ``fedora-messaging consume --callback trigger.consumer:Consumer``.

fedora-messaging instantiates the class once and calls it for every message. Its settings
come from the ``[consumer_config.checkline]`` table of the fedora-messaging TOML file
(see :mod:`trigger.config`). A message is acked (the callback returns) only once its jobs are
committed to the ledger. The callback never lets an exception escape: fedora-messaging would
nack every unacked message with requeue and stop, so a poison message would loop forever
under a supervisor. Instead:

- malformed or unknown message: logged with its id, ``Drop``;
- transient fault (ledger locked or unreachable): ``Nack`` (redelivered) after a short pause;
- anything else (a bug): logged with its id and traceback; ``Nack`` for the first
  ``MAX_FAILURES - 1`` times the same message fails, ``Drop`` after that.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Any

from fedora_messaging import config as fm_config
from fedora_messaging.exceptions import Drop, Nack

from .config import Settings, settings_from_mapping
from .errors import MalformedMessage, TransientError
from .service import Trigger

__all__ = ["Consumer"]

log = logging.getLogger(__name__)
MAX_FAILURES = 3
PRUNE_EVERY = 10000  # messages between two prunings of old message ids and dedup slots
TRANSIENT_PAUSE = 0.5  # s: a locked database or a backend restart is not over at once


class Consumer:
    """Adapt -> match -> record; the dispatcher thread submits the recorded jobs."""

    def __init__(self, settings: Settings | None = None, trigger: Trigger | None = None) -> None:
        if trigger is None:
            if settings is None:
                section = fm_config.conf["consumer_config"].get("checkline", {})
                settings = settings_from_mapping(section, "consumer_config.checkline")
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
            log.warning("message %s dropped: %s", msg_id, err)
            raise Drop() from err
        except TransientError as err:
            log.warning("message %s not recorded, will come again: %s", msg_id, err)
            time.sleep(TRANSIENT_PAUSE)
            raise Nack() from err
        except Exception as err:
            failures = self._failed(str(msg_id))
            log.exception("message %s failed (%d/%d)", msg_id, failures, MAX_FAILURES)
            if failures >= MAX_FAILURES:
                log.error("message %s dropped after %d failures", msg_id, failures)
                raise Drop() from err
            time.sleep(TRANSIENT_PAUSE)
            raise Nack() from err
        self._handled += 1
        if self._handled % PRUNE_EVERY == 0:
            self._prune()
        if handled.outcome.created:
            log.info(
                "message %s: %d job(s) recorded (%s)",
                msg_id,
                len(handled.outcome.created),
                ", ".join(f"{j['taskname']}/{j['arch']}" for j in handled.outcome.created),
            )

    def _prune(self) -> None:
        try:
            slots, ids = self.trigger.ledger.prune(self.trigger.settings.message_retention)
        except TransientError as err:  # the next pruning will do it
            log.warning("ledger not pruned: %s", err)
            return
        log.info("ledger pruned: %d expired dedup slots, %d old message ids", slots, ids)

    def _failed(self, msg_id: str) -> int:
        count = self._failures.pop(msg_id, 0) + 1
        self._failures[msg_id] = count
        while len(self._failures) > 10000:  # bounded: only recent failures matter
            self._failures.popitem(last=False)
        return count
