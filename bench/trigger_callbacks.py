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

from trigger.consumer import Consumer


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
