"""Trying again what may succeed later: one error base, one policy, one loop, one backoff.

Four places retry: reporting's delivery to ResultsDB (``checkline.reporting.deliver``), the
runner's downloads and Bodhi requests (``runner/directives/download.py``, ``bodhi.py``), and
ResultsDB's outbox relay (``checkline.resultsdb.publish``). They differ only in their numbers
(attempts, waits, a deadline, jitter or none), in what counts as worth retrying, in what they
log and in how they sleep (a cancel or a stop must cut a wait short); so those are the
parameters here, and the loop itself is written once.

- :class:`TransientError`: the base of every failure worth retrying. Each part names its own
  (``checkline.trigger.errors.BackendUnavailable``, ``LedgerUnavailable``,
  ``checkline.reporting.client.ResultsDBUnavailable``,
  ``checkline.resultsdb.publish.PublishError``), so ``except TransientError`` means "it may
  work later" everywhere.
- :class:`RetryPolicy`: how many attempts, how long between them, for how long in all.
- :func:`retry_call`: run a callable under a policy; its value, or its last error.
- :class:`Backoff`: the waits of a loop that never gives up (the relay), reset by a success.

Time is injected (``sleep``, ``clock``, ``rng``): tests record the waits instead of taking
them, and nothing here reads the time of day.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["Backoff", "RetryPolicy", "TransientError", "retry_call"]

T = TypeVar("T")

#: Doublings beyond this cannot matter (2**64 times any base worth waiting reaches any cap)
#: and would overflow a float in a loop that runs for days (the relay through an outage).
_MAX_DOUBLINGS = 64

_RNG = random.Random()  # noqa: S311 - jitter, not cryptography


class TransientError(Exception):
    """A failure worth retrying: the other side is down, busy, or the connection broke.

    Only a base: raise the subclass of the part that failed, which says what was unavailable.
    """


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff, optionally with "equal" jitter, bounded in attempts and in time.

    The n-th wait (``n = 0`` before the second attempt) is ``d = min(cap, base * 2**n)``; with
    ``jitter`` it is uniform in ``[d/2, d]`` instead. Half of each wait is fixed so that the
    policy covers a known outage (at least half the sum of the ``d``: the defaults' 6 attempts
    wait 7.75-15.5 s in all, 10 attempts 27.75-55.5 s); the other half is random so that many
    clients do not retry in step. Without jitter the waits are exact (a single runner
    downloading, the single relay of a process: nobody to fall in step with).

    Args:
        attempts: attempts in all, the first included (a :class:`Backoff` has no bound).
        base: seconds of the first wait.
        cap: no wait is longer (seconds); None: none.
        deadline: seconds from the first attempt after which no attempt starts (a Buildbot
            build reports within it and spools the rest rather than keep a worker slot
            through an outage); None: none.
        jitter: equal jitter, as above.

    The defaults are reporting's (``checkline report --attempts``): 6 attempts, 0.5 s
    doubling, capped at 10 s, with jitter.
    """

    attempts: int = 6
    base: float = 0.5
    cap: float | None = 10.0
    deadline: float | None = None
    jitter: bool = True

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be at least 1, not {self.attempts}")
        for name in ("base", "cap", "deadline"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must not be negative, not {value}")

    def wait(self, n: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after the ``n + 1``-th failed attempt (``n = 0`` after the first).

        Pure but for ``rng`` (the module's generator when None): pass a seeded one to test.
        """
        ceiling = self.base * 2.0 ** min(n, _MAX_DOUBLINGS)
        if self.cap is not None:
            ceiling = min(self.cap, ceiling)
        if not self.jitter:
            return ceiling
        return (rng or _RNG).uniform(ceiling / 2, ceiling)

    def waits(self, rng: random.Random | None = None) -> Iterator[float]:
        """Every wait of the policy in order: ``attempts - 1`` of them."""
        for n in range(self.attempts - 1):
            yield self.wait(n, rng)


def retry_call(
    fn: Callable[[], T],
    policy: RetryPolicy,
    *,
    retry_on: tuple[type[BaseException], ...] = (TransientError,),
    sleep: Callable[[float], object] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    on_retry: Callable[[int, float, BaseException], object] | None = None,
    rng: random.Random | None = None,
) -> T:
    """``fn()``, called again after each ``retry_on`` failure as ``policy`` allows.

    Anything else ``fn`` raises propagates at once (retrying cannot help). Before each wait
    ``on_retry(attempt, wait, error)`` is called (``attempt``: the number of the attempt that
    failed, from 1), which is where a caller logs. ``sleep`` may raise to stop the retries (a
    cancelled run); ``clock`` is only read when the policy has a deadline.

    Returns:
        What ``fn`` returned.

    Raises:
        The last ``retry_on`` error, once the attempts are spent or the next one would start
        past the deadline (no wait is taken then).
    """
    started = clock() if policy.deadline is not None else 0.0
    waits = policy.waits(rng)
    attempt = 0
    while True:
        attempt += 1
        try:
            return fn()
        except retry_on as error:
            wait = next(waits, None)
            if wait is None:
                raise
            if policy.deadline is not None and clock() - started + wait > policy.deadline:
                raise
            if on_retry is not None:
                on_retry(attempt, wait, error)
            sleep(wait)


class Backoff:
    """The waits of a loop that keeps trying for as long as it runs (the outbox relay).

    :meth:`next` gives the next wait of ``policy`` (its ``attempts`` and ``deadline`` are not
    consulted: such a loop never gives up), :meth:`reset` starts again from the first wait
    after a success. The loop sleeps itself, so its sleep may be one a stop interrupts.
    """

    def __init__(self, policy: RetryPolicy, rng: random.Random | None = None) -> None:
        self.policy = policy
        self.rng = rng
        self.failures = 0

    def next(self) -> float:
        """The wait after one more failure."""
        wait = self.policy.wait(self.failures, self.rng)
        self.failures += 1
        return wait

    def reset(self) -> None:
        """A success: the next failure waits the first wait again."""
        self.failures = 0
