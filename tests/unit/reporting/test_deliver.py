"""deliver() and the spool against a fake of the client seam that records what it stored.

The fake keeps results the way a server does (by group, with their keys), and fails on cue:
``fail=[...]`` is a queue of exceptions raised by the next POSTs, ``fail_after_store`` makes a
POST store its results and then lose the answer (the ambiguous failure).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from checkline.reporting.client import BulkUnsupported, PermanentError, ResultsDBUnavailable
from checkline.reporting.deliver import CHUNK, DeliveryFailed, deliver
from checkline.reporting.mapping import REPORT_KEY, ReportedRun, result_bodies, status_bodies
from checkline.reporting.spool import Spool, SpooledReport
from checkline.retry import RetryPolicy

JOB = ReportedRun(uuid="g-1", testcase="dist.rpmlint", item="x-1-1", item_type="koji_build")
FAST = RetryPolicy(attempts=4, base=0.0, cap=0.0)


def bodies(n: int, outcome: str = "PASSED") -> list[dict[str, Any]]:
    verdicts = [{"item": f"x-{i}", "type": "koji_build", "outcome": outcome} for i in range(n)]
    return result_bodies(verdicts, JOB, lambda v: None)


class FakeResultsDB:
    api = "http://fake/api/v2.0"

    def __init__(
        self,
        *,
        bulk: bool = True,
        outcomes: tuple[str, ...] = ("PASSED", "INFO", "FAILED", "NEEDS_INSPECTION", "CRASHED"),
    ) -> None:
        self.bulk = bulk
        self.outcomes = outcomes
        self.stored: list[dict[str, Any]] = []
        self.fail: list[Exception | None] = []  # None: that request succeeds
        self.fail_after_store = 0
        self.down = False
        self.requests: list[str] = []

    def _maybe_fail(self) -> None:
        if self.down:
            raise ResultsDBUnavailable("connection refused", maybe_landed=False)
        if self.fail and (error := self.fail.pop(0)) is not None:
            raise error

    def accepted_outcomes(self) -> tuple[str, ...]:
        self.requests.append("GET landing")
        if self.down:
            raise ResultsDBUnavailable("connection refused", maybe_landed=False)
        return self.outcomes

    def _store(self, chunk: list[dict[str, Any]]) -> None:
        self.stored.extend(chunk)
        if self.fail_after_store:
            self.fail_after_store -= 1
            raise ResultsDBUnavailable("connection reset after the answer", maybe_landed=True)

    def post_bulk(self, chunk: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.requests.append(f"POST bulk {len(chunk)}")
        if not self.bulk:
            raise BulkUnsupported("POST /results/bulk")
        self._maybe_fail()
        self._store(chunk)
        return chunk

    def post_result(self, body: dict[str, Any]) -> dict[str, Any]:
        self.requests.append("POST one")
        self._maybe_fail()
        self._store([body])
        return body

    def reported_keys(self, group: str, key: str) -> set[str]:
        self.requests.append("GET keys")
        if self.down:
            raise ResultsDBUnavailable("connection refused", maybe_landed=False)
        return {b["data"][key] for b in self.stored if any(g["uuid"] == group for g in b["groups"])}

    def keys(self) -> list[str]:
        return [b["data"][REPORT_KEY] for b in self.stored]


def run(fake: FakeResultsDB, sent: list[dict[str, Any]], **kw: Any) -> Any:
    return deliver(fake, JOB.uuid, sent, policy=FAST, sleep=lambda _s: None, **kw)  # type: ignore[arg-type]


def test_assert_chunks_in_order() -> None:
    fake, sent = FakeResultsDB(), bodies(CHUNK * 2 + 5)
    done = run(fake, sent)
    assert (done.posted, done.already) == (len(sent), 0)
    assert fake.requests == [
        "GET keys",
        "GET landing",
        f"POST bulk {CHUNK}",
        f"POST bulk {CHUNK}",
        "POST bulk 5",
    ]
    assert fake.stored == sent


def test_assert_second_report_posts_nothing() -> None:
    fake, sent = FakeResultsDB(), bodies(3)
    run(fake, sent)
    done = run(fake, sent)
    assert (done.posted, done.already) == (0, 3)
    assert len(fake.stored) == 3


def test_assert_answer_lost_after_commit_no_duplicate() -> None:
    fake, sent = FakeResultsDB(), bodies(CHUNK + 10)
    fake.fail_after_store = 1  # the first chunk lands, its answer is lost
    done = run(fake, sent)
    assert sorted(fake.keys()) == sorted(b["data"][REPORT_KEY] for b in sent)
    assert (done.posted, done.already) == (10, CHUNK)
    assert fake.requests.count("GET keys") == 2  # before the first attempt, and after the loss


def test_assert_refused_connection_retried_without_check() -> None:
    fake, sent = FakeResultsDB(), bodies(2)
    fake.fail = [ResultsDBUnavailable("refused", maybe_landed=False)] * 2
    done = run(fake, sent)
    assert done.posted == 2
    assert fake.requests.count("GET keys") == 1


def test_assert_gives_up_after_policy_with_pending() -> None:
    fake, sent = FakeResultsDB(), bodies(5)
    fake.down = True
    with pytest.raises(DeliveryFailed) as failed:
        run(fake, sent)
    assert failed.value.pending == sent
    assert fake.stored == []
    assert len(fake.requests) == FAST.attempts  # one refused read per attempt


def test_assert_backoff_waits_grow_and_are_bounded() -> None:
    waits = list(RetryPolicy(attempts=8, base=1.0, cap=5.0).waits())
    assert len(waits) == 7
    assert all(min(5.0, 2**n) / 2 <= w <= min(5.0, 2**n) for n, w in enumerate(waits))
    assert sum(waits) >= (1 + 2 + 4 + 5 + 5 + 5 + 5) / 2  # the outage it covers at least


def test_assert_upstream_without_bulk_posts_one_by_one() -> None:
    fake, sent = FakeResultsDB(bulk=False), bodies(3)
    assert run(fake, sent).posted == 3
    assert fake.requests.count("POST one") == 3
    assert fake.stored == sent


def test_assert_permanent_error_propagates() -> None:
    fake = FakeResultsDB()
    fake.fail = [PermanentError("HTTP 400: bad")]
    with pytest.raises(PermanentError, match="HTTP 400: bad"):
        run(fake, bodies(1))


def test_assert_unaccepted_outcomes_mapped_and_early_status_held_back() -> None:
    fake = FakeResultsDB(outcomes=("PASSED", "INFO", "FAILED", "NEEDS_INSPECTION"))
    sent = bodies(1, "CRASHED") + status_bodies(JOB, ["rpmlint"], "QUEUED")
    done = run(fake, sent)
    assert (done.posted, done.unsendable) == (1, 1)
    assert fake.stored[0]["outcome"] == "NEEDS_INSPECTION"
    assert fake.stored[0]["data"]["checkline.outcome"] == "CRASHED"


class TestSpool:
    def test_assert_spooled_then_flushed_once(self, tmp_path: Path) -> None:
        spool, fake, sent = Spool(tmp_path / "spool"), FakeResultsDB(), bodies(4)
        path = spool.add(SpooledReport("http://fake", JOB.uuid, sent))
        assert spool.entries() == [path]
        fake.stored = sent[:2]  # an earlier attempt landed half before the answer was lost
        summary = spool.flush(lambda url: fake, FAST)  # type: ignore[arg-type,return-value]
        assert (summary.posted, summary.already) == (2, 2)
        assert fake.stored == sent
        assert spool.entries() == []
        assert spool.flush(lambda url: fake, FAST).posted == 0  # type: ignore[arg-type,return-value]

    def test_assert_add_merges_same_group(self, tmp_path: Path) -> None:
        spool = Spool(tmp_path)
        queued = status_bodies(JOB, ["rpmlint"], "QUEUED")
        final = bodies(2)
        spool.add(SpooledReport("http://fake", JOB.uuid, queued))
        path = spool.add(SpooledReport("http://fake", JOB.uuid, final))
        assert spool.load(path).bodies == queued + final
        spool.add(SpooledReport("http://fake", JOB.uuid, final))  # again: still once each
        assert spool.load(path).bodies == queued + final

    def test_assert_still_down_keeps_file_and_reduces_it(self, tmp_path: Path) -> None:
        spool, fake, sent = Spool(tmp_path), FakeResultsDB(), bodies(CHUNK + 1)
        path = spool.add(SpooledReport("http://fake", JOB.uuid, sent))
        fake.fail = [None] + [ResultsDBUnavailable("down", maybe_landed=False)] * 10
        summary = spool.flush(lambda url: fake, FAST)  # type: ignore[arg-type,return-value]
        assert summary.remaining == [path]
        assert summary.posted == CHUNK
        assert spool.load(path).bodies == sent[CHUNK:]

    def test_assert_unreadable_file_reported_and_kept(self, tmp_path: Path) -> None:
        (tmp_path / "broken.json").write_text("{not json")
        summary = Spool(tmp_path).flush(lambda url: FakeResultsDB(), FAST)  # type: ignore[arg-type,return-value]
        assert [p.name for p in summary.remaining] == ["broken.json"]
        assert "unreadable spool file" in summary.errors[0]

    def test_assert_second_flush_skips_while_locked(self, tmp_path: Path) -> None:
        spool = Spool(tmp_path)
        spool.add(SpooledReport("http://fake", JOB.uuid, bodies(1)))
        with spool.locked() as mine:
            assert mine
            summary = Spool(tmp_path).flush(lambda url: FakeResultsDB(), FAST)  # type: ignore[arg-type,return-value]
        assert summary.errors == [f"{tmp_path}: another flush is running"]
        assert len(spool.entries()) == 1

    def test_assert_file_names_safe(self, tmp_path: Path) -> None:
        path = Spool(tmp_path).add(SpooledReport("http://fake", "../../etc/x;rm", bodies(1)))
        assert path.parent == tmp_path
        assert "/" not in path.name and ";" not in path.name


def test_deadline_gives_up_before_the_attempts_run_out() -> None:
    """Assert a policy with a deadline starts no attempt past it, however many remain."""
    server = FakeResultsDB()
    server.down = True
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    def clock() -> float:
        now[0] += 1.5  # every attempt (a refused connection, a timeout) costs time too
        return now[0]

    policy = RetryPolicy(attempts=50, base=1.0, cap=1.0, deadline=5.0)
    with pytest.raises(DeliveryFailed) as failed:
        deliver(server, "g-1", bodies(2), policy=policy, sleep=sleep, clock=clock)  # type: ignore[arg-type]
    assert len(failed.value.pending) == 2
    assert 1 <= len(slept) <= 3  # 50 attempts allowed; the deadline stopped them
    assert now[0] - 1.5 <= 5.0 + 1.5  # no attempt started after the deadline


def test_no_deadline_uses_every_attempt() -> None:
    """Assert without a deadline every attempt of the policy is made."""
    server = FakeResultsDB()
    server.down = True
    slept: list[float] = []
    with pytest.raises(DeliveryFailed):
        deliver(server, "g-1", bodies(1), policy=FAST, sleep=slept.append)  # type: ignore[arg-type]
    assert len(slept) == FAST.attempts - 1
