"""checkline.retry: the policy's waits, retry_call against a fake clock and sleep, Backoff."""

from __future__ import annotations

import random
from typing import Any

import pytest

from checkline.reporting.client import ResultsDBError, ResultsDBUnavailable
from checkline.resultsdb.publish import PublishError
from checkline.retry import Backoff, RetryPolicy, TransientError, retry_call
from checkline.trigger.errors import BackendUnavailable, LedgerUnavailable, TriggerError


class Down(TransientError):
    """A transient failure of the fake service."""


class Flaky:
    """A callable failing with ``errors`` in turn, then returning ``value``; counts calls."""

    def __init__(self, *errors: BaseException, value: str = "done") -> None:
        self.errors = list(errors)
        self.value = value
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return self.value


class FakeTime:
    """A clock that only moves when slept on (plus ``per_read`` at every read)."""

    def __init__(self, per_read: float = 0.0) -> None:
        self.now = 100.0
        self.per_read = per_read
        self.slept: list[float] = []
        self.reads = 0

    def clock(self) -> float:
        self.reads += 1
        self.now += self.per_read
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def call(fn: Any, policy: RetryPolicy, time: FakeTime, **kw: Any) -> Any:
    return retry_call(fn, policy, sleep=time.sleep, clock=time.clock, **kw)


def seeded(seed: int) -> random.Random:
    """A generator whose jitter repeats."""
    return random.Random(seed)  # noqa: S311 - jitter, not cryptography


EXACT = RetryPolicy(attempts=5, base=1.0, cap=5.0, jitter=False)


class TestPolicy:
    def test_exact_waits_double_up_to_the_cap(self) -> None:
        """Assert waits without jitter are base * 2**n, capped, attempts - 1 of them."""
        assert list(EXACT.waits()) == [1.0, 2.0, 4.0, 5.0]

    def test_no_cap(self) -> None:
        """Assert a policy without a cap keeps doubling."""
        policy = RetryPolicy(attempts=4, base=2.0, cap=None, jitter=False)
        assert list(policy.waits()) == [2.0, 4.0, 8.0]

    def test_jitter_bounds(self) -> None:
        """Assert each jittered wait lies in [d/2, d] and a seeded generator repeats them."""
        policy = RetryPolicy(attempts=10, base=0.5, cap=10.0)
        for seed in range(20):
            waits = list(policy.waits(seeded(seed)))
            assert len(waits) == 9
            for n, wait in enumerate(waits):
                ceiling = min(10.0, 0.5 * 2**n)
                assert ceiling / 2 <= wait <= ceiling
            assert waits == list(policy.waits(seeded(seed)))
        assert policy.wait(3, seeded(7)) == policy.wait(3, seeded(7))

    def test_defaults_cover_a_known_outage(self) -> None:
        """Assert the defaults (reporting's) wait 7.75 s at least and 15.5 s at most in all."""
        lowest = RetryPolicy(jitter=False)
        assert (lowest.attempts, lowest.base, lowest.cap) == (6, 0.5, 10.0)
        assert sum(lowest.waits()) == 15.5
        assert all(sum(RetryPolicy().waits(seeded(s))) >= 7.75 for s in range(20))

    def test_late_waits_do_not_overflow(self) -> None:
        """Assert the wait after thousands of failures is the cap (a loop through a long outage)."""
        assert RetryPolicy(base=1.0, cap=60.0, jitter=False).wait(5000) == 60.0

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"attempts": 0}, "attempts must be at least 1, not 0"),
            ({"base": -1.0}, "base must not be negative, not -1.0"),
            ({"cap": -0.5}, "cap must not be negative, not -0.5"),
            ({"deadline": -2.0}, "deadline must not be negative, not -2.0"),
        ],
    )
    def test_refuses_nonsense(self, kwargs: dict[str, Any], message: str) -> None:
        """Assert a policy that cannot mean anything is refused, naming the field."""
        with pytest.raises(ValueError, match=f"^{message}$"):
            RetryPolicy(**kwargs)


class TestRetryCall:
    def test_returns_the_value_after_transient_failures(self) -> None:
        """Assert transient failures are retried, with the policy's waits, until a success."""
        time, fn = FakeTime(), Flaky(Down("a"), Down("b"))
        assert call(fn, EXACT, time) == "done"
        assert fn.calls == 3
        assert time.slept == [1.0, 2.0]

    def test_attempts_bound_the_calls_and_the_last_error_is_raised(self) -> None:
        """Assert at most `attempts` calls, then the last error itself propagates."""
        errors = [Down(f"down {i}") for i in range(10)]
        time, fn = FakeTime(), Flaky(*errors)
        with pytest.raises(Down) as caught:
            call(fn, EXACT, time)
        assert caught.value is errors[4]
        assert fn.calls == 5
        assert time.slept == [1.0, 2.0, 4.0, 5.0]

    def test_one_attempt_never_waits(self) -> None:
        """Assert a policy of one attempt raises the first failure without sleeping."""
        time, fn = FakeTime(), Flaky(Down("down"))
        with pytest.raises(Down, match=r"^down$"):
            call(fn, RetryPolicy(attempts=1), time)
        assert (fn.calls, time.slept) == (1, [])

    def test_other_errors_are_not_retried(self) -> None:
        """Assert an error outside retry_on propagates at the first attempt."""
        time, fn = FakeTime(), Flaky(ValueError("bad request"))
        with pytest.raises(ValueError, match=r"^bad request$"):
            call(fn, EXACT, time)
        assert (fn.calls, time.slept) == (1, [])

    def test_retry_on_names_what_is_retried(self) -> None:
        """Assert retry_on replaces the default: a TransientError outside it is not retried."""
        time = FakeTime()
        assert call(Flaky(OSError("reset")), EXACT, time, retry_on=(OSError,)) == "done"
        fn = Flaky(Down("down"))
        with pytest.raises(Down):
            call(fn, EXACT, time, retry_on=(OSError,))
        assert fn.calls == 1

    def test_on_retry_is_told_attempt_wait_and_error(self) -> None:
        """Assert on_retry gets each failed attempt's number, the wait after it, and its error."""
        errors = [Down("a"), Down("b"), Down("c")]
        seen: list[tuple[int, float, BaseException]] = []
        time = FakeTime()
        call(Flaky(*errors), EXACT, time, on_retry=lambda *args: seen.append(args))
        assert seen == [(1, 1.0, errors[0]), (2, 2.0, errors[1]), (3, 4.0, errors[2])]

    def test_on_retry_is_not_called_when_giving_up(self) -> None:
        """Assert no retry is announced after the last attempt."""
        seen: list[int] = []
        with pytest.raises(Down):
            call(
                Flaky(*[Down("x")] * 5),
                EXACT,
                FakeTime(),
                on_retry=lambda attempt, *_: seen.append(attempt),
            )
        assert seen == [1, 2, 3, 4]

    def test_no_attempt_starts_past_the_deadline(self) -> None:
        """Assert the deadline stops the retries before the attempts run out: no attempt
        starts later than the deadline after the first (each read of the clock costs 0.5 s
        here, as a refused connection or a timeout costs time)."""
        policy = RetryPolicy(attempts=50, base=1.0, cap=1.0, deadline=5.0, jitter=False)
        time = FakeTime(per_read=0.5)
        starts: list[float] = []

        def down() -> None:
            starts.append(time.now)
            raise Down("x")

        with pytest.raises(Down):
            call(down, policy, time)
        assert time.slept == [1.0, 1.0, 1.0]
        assert starts == [100.5, 102.0, 103.5, 105.0]
        assert starts[-1] - 100.5 <= 5.0  # the fifth would have started at 106.5

    def test_deadline_checked_against_the_wait(self) -> None:
        """Assert a wait that would start the next attempt past the deadline is not taken."""
        policy = RetryPolicy(attempts=5, base=4.0, cap=None, deadline=10.0, jitter=False)
        time, fn = FakeTime(), Flaky(*[Down("x")] * 5)
        with pytest.raises(Down):
            call(fn, policy, time)
        assert time.slept == [4.0]  # then 8 s more would start an attempt at 12 s
        assert fn.calls == 2

    def test_clock_unread_without_deadline(self) -> None:
        """Assert the clock is only read when the policy has a deadline."""
        time = FakeTime()
        call(Flaky(Down("a")), EXACT, time)
        assert time.reads == 0

    def test_a_raising_sleep_stops_the_retries(self) -> None:
        """Assert an error from sleep (a cancelled run) propagates and ends the retries."""

        def cancelled(_seconds: float) -> None:
            raise KeyboardInterrupt

        fn = Flaky(Down("a"), Down("b"))
        with pytest.raises(KeyboardInterrupt):
            retry_call(fn, EXACT, sleep=cancelled)
        assert fn.calls == 1

    def test_jittered_waits_come_from_rng(self) -> None:
        """Assert the waits slept are the policy's, drawn from the given generator."""
        policy = RetryPolicy(attempts=4, base=1.0, cap=10.0)
        time = FakeTime()
        call(Flaky(*[Down("x")] * 3), policy, time, rng=seeded(3))
        assert time.slept == list(policy.waits(seeded(3)))


class TestBackoff:
    def test_doubles_to_the_cap_then_stays(self) -> None:
        """Assert a Backoff never gives up: past the policy's attempts it keeps the cap."""
        backoff = Backoff(RetryPolicy(attempts=2, base=1.0, cap=8.0, jitter=False))
        assert [backoff.next() for _ in range(7)] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0, 8.0]

    def test_reset_after_success(self) -> None:
        """Assert a reset starts again from the first wait."""
        backoff = Backoff(RetryPolicy(base=1.0, cap=60.0, jitter=False))
        assert [backoff.next() for _ in range(3)] == [1.0, 2.0, 4.0]
        backoff.reset()
        assert [backoff.next() for _ in range(2)] == [1.0, 2.0]


@pytest.mark.parametrize(
    ("error", "base"),
    [
        (BackendUnavailable("Buildbot at http://x did not answer"), TriggerError),
        (LedgerUnavailable("ledger 'sqlite://': database is locked"), TriggerError),
        (ResultsDBUnavailable("GET http://x: HTTP 503", maybe_landed=True), ResultsDBError),
        (PublishError("simulated outage"), Exception),
    ],
)
def test_each_part_names_its_transient_error(error: Exception, base: type[Exception]) -> None:
    """Assert every part's "try again later" is a TransientError and its own package's error."""
    assert isinstance(error, TransientError)
    assert isinstance(error, base)
