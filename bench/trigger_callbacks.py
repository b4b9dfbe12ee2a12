"""Callbacks timed by ``trigger_bench.py``, run by ``fedora-messaging consume --callback-file``.

Both time from the first message they see to the end of the ``BENCH_COUNT``-th, write
``{"messages": N, "seconds": S}`` to ``BENCH_RESULT`` and stop the consumer (HaltConsumer
acks the last message, then the process exits 0).
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from fedora_messaging.exceptions import HaltConsumer

from checkline.trigger.backends.base import Backend
from checkline.trigger.config import settings_from_mapping
from checkline.trigger.consumer import Consumer
from checkline.trigger.ledger import JobStatus
from checkline.trigger.service import Trigger


class _Clock:
    def __init__(self) -> None:
        self.count = 0
        self.started = 0.0
        self.expected = int(os.environ["BENCH_COUNT"])

    def tick(self) -> None:
        if self.count == 0:
            self.started = time.perf_counter()
        self.count += 1
        if self.count >= self.expected:
            seconds = time.perf_counter() - self.started
            with open(os.environ["BENCH_RESULT"], "w") as out:
                json.dump({"messages": self.count, "seconds": seconds}, out)
            raise HaltConsumer(exit_code=0, reason="benchmark done", requeue=False)


class EmptyCallback:
    """The baseline: fedora-messaging with a callback that does nothing."""

    def __init__(self) -> None:
        self.clock = _Clock()

    def __call__(self, message: Any) -> None:
        self.clock.tick()


class TimedTrigger(Consumer):
    """The real trigger consumer (settings from [consumer_config.checkline]), timed."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = _Clock()

    def __call__(self, message: Any) -> None:
        if self.clock.count == 0:
            self.clock.started = time.perf_counter()
        super().__call__(message)
        self.clock.tick()


class NoopBackend(Backend):
    """Takes every job and does nothing with it: the dispatcher's own cost, nothing more."""

    name = "noop"

    def submit(self, job: Any) -> str:
        return str(job["uuid"])

    def status(self, token: str) -> JobStatus | None:
        return None

    def cancel(self, token: str) -> None:
        return None

    def info_url(self, token: str) -> str | None:
        return None


class TimedTriggerNoop(TimedTrigger):
    """The trigger with a submitting no-op backend: the dispatcher thread claims and marks
    every job SUBMITTED in the same SQLite ledger while the consumer records new ones."""

    def __init__(self) -> None:
        from fedora_messaging import config as fm_config

        section = fm_config.conf["consumer_config"].get("checkline", {})
        settings = settings_from_mapping(section, "consumer_config.checkline")
        Consumer.__init__(self, trigger=Trigger(settings, backend=NoopBackend()))
        self.clock = _Clock()
