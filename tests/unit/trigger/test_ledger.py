"""The ledger: recording, dedup by message id and by window, claims, races on a real SQLite."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from trigger_factories import make_job

from checkline.contracts import JOB_KEYS
from checkline.trigger.errors import LedgerUnavailable, UnknownJob
from checkline.trigger.ledger import JobRow, JobStatus, Ledger, public, utcnow


def test_record_creates_scheduled_jobs(ledger: Ledger) -> None:
    """Assert each job gets a uuid and status SCHEDULED, in the order given."""
    outcome = ledger.record("m1", [make_job(arch="x86_64"), make_job(arch="aarch64")])
    assert [j["arch"] for j in outcome.created] == ["x86_64", "aarch64"]
    rows = ledger.list()
    assert [r["uuid"] for r in rows] == [j["uuid"] for j in outcome.created]
    for row in rows:
        uuid.UUID(row["uuid"])
        assert row["status"] == JobStatus.SCHEDULED
        assert row["msg_id"] == "m1"
        assert row["created_at"] is not None


def test_rows_are_job_rows(ledger: Ledger) -> None:
    """Assert a job's row holds exactly JobRow's keys, the job handed to a backend exactly the
    Job's, and the created job (the Job) its row's values."""
    (created,) = ledger.record("m1", [make_job()]).created
    row = ledger.get(created["uuid"])
    assert set(row) == set(JobRow.__annotations__)
    assert tuple(created) == tuple(public(row)) == JOB_KEYS
    assert public(row) == created


def test_redelivered_message_creates_nothing(ledger: Ledger) -> None:
    """Assert the same message id twice records its jobs once."""
    assert len(ledger.record("m1", [make_job()]).created) == 1
    again = ledger.record("m1", [make_job(taskname="nvr-sanity")])
    assert again.redelivered and again.created == []
    assert len(ledger.list()) == 1
    assert ledger.message_seen("m1")


def test_message_asking_nothing_is_remembered(ledger: Ledger) -> None:
    """Assert a message with no jobs is recorded too, so its redelivery is recognised."""
    assert not ledger.record("m0", []).redelivered
    assert ledger.record("m0", []).redelivered


def test_window_dedups_same_job(ledger: Ledger) -> None:
    """Assert the same (task, item, type, arch) within the window creates nothing new."""
    ledger.record("m1", [make_job()])
    outcome = ledger.record("m2", [make_job(), make_job(arch="aarch64")])
    assert [j["arch"] for j in outcome.created] == ["aarch64"]
    assert [j["arch"] for j in outcome.duplicates] == ["x86_64"]
    assert len(ledger.list()) == 2


def test_window_expires(ledger: Ledger) -> None:
    """Assert the same job is created again once the window has passed."""
    start = utcnow()
    ledger.record("m1", [make_job()], now=start)
    assert ledger.record("m2", [make_job()], now=start + timedelta(seconds=899)).duplicates
    later = ledger.record("m3", [make_job()], now=start + timedelta(seconds=901))
    assert len(later.created) == 1
    # and the window restarts from that job
    assert ledger.record("m4", [make_job()], now=start + timedelta(seconds=1000)).duplicates


def test_force_ignores_window(ledger: Ledger) -> None:
    """Assert a forced job is created within the window, and marked forced."""
    ledger.record("m1", [make_job()])
    forced = ledger.record(None, [make_job()], force=True, rerun_of="x")
    assert len(forced.created) == 1
    row = ledger.get(forced.created[0]["uuid"])
    assert row["forced"] and row["rerun_of"] == "x"


def test_window_zero_turns_dedup_off(tmp_path: Path) -> None:
    """Assert dedup_window = 0 records every job (message ids still dedup)."""
    led = Ledger(f"sqlite:///{tmp_path / 'l.sqlite'}", dedup_window=0)
    led.record("m1", [make_job()])
    assert len(led.record("m2", [make_job()]).created) == 1
    assert led.record("m2", [make_job()]).redelivered
    led.dispose()


def test_claims_go_oldest_first_and_once(ledger: Ledger) -> None:
    """Assert claims return jobs in creation order, each once while its lease lasts."""
    created = ledger.record("m1", [make_job(arch=a) for a in ("a1", "a2", "a3")]).created
    first = ledger.claim_next()
    second = ledger.claim_next()
    assert first is not None and second is not None
    assert [first["uuid"], second["uuid"]] == [created[0]["uuid"], created[1]["uuid"]]
    ledger.mark_submitted(first["uuid"], "tok", "http://x/1")
    ledger.mark_submit_failed(second["uuid"], "down", retry=True)
    # the failed one is due again and older than the third
    again = ledger.claim_next()
    assert again is not None and again["uuid"] == created[1]["uuid"]
    assert again["attempts"] == 2
    ledger.mark_submit_failed(again["uuid"], "refused", retry=False)
    third = ledger.claim_next()
    assert third is not None and third["uuid"] == created[2]["uuid"]
    assert ledger.claim_next() is None  # third is claimed, second will never be retried
    row = ledger.get(first["uuid"])
    assert (row["status"], row["token"], row["info_url"]) == ("SUBMITTED", "tok", "http://x/1")
    assert ledger.get(created[1]["uuid"])["error"] == "refused"


def test_expired_lease_is_claimed_again(ledger: Ledger) -> None:
    """Assert a job claimed by a consumer that died is claimed again after its lease."""
    (job,) = ledger.record("m1", [make_job()]).created
    assert ledger.claim_next(lease=60) is not None
    assert ledger.claim_next() is None
    later = ledger.claim_next(now=utcnow() + timedelta(seconds=61))
    assert later is not None and later["uuid"] == job["uuid"]


def test_unknown_job(ledger: Ledger) -> None:
    """Assert an unknown uuid raises UnknownJob naming it."""
    with pytest.raises(UnknownJob, match="no job nope"):
        ledger.get("nope")
    with pytest.raises(UnknownJob, match="no job nope"):
        ledger.set_status("nope", JobStatus.RUNNING)


def test_locked_database_is_transient(tmp_path: Path) -> None:
    """Assert a SQLite file locked by another writer raises LedgerUnavailable, recording nothing."""
    path = tmp_path / "locked.sqlite"
    led = Ledger(f"sqlite:///{path}", busy_timeout=0.2)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(LedgerUnavailable, match="database is locked"):
            led.record("m1", [make_job()])
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert led.list() == []
    assert len(led.record("m1", [make_job()]).created) == 1
    led.dispose()


def test_concurrent_recorders_create_each_job_once(tmp_path: Path) -> None:
    """Assert 8 ledgers (8 connections) racing on the same messages create each job once."""
    url = f"sqlite:///{tmp_path / 'race.sqlite'}"
    Ledger(url).dispose()
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        led = Ledger(url)
        try:
            barrier.wait()
            for i in range(30):
                # same message ids across workers, and the same job under other ids
                led.record(f"m{i}", [make_job(item=f"pkg-{i}-1.fc42")])
                led.record(f"w{n}-{i}", [make_job(item=f"pkg-{i}-1.fc42")])
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)
        finally:
            led.dispose()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    led = Ledger(url)
    items = sorted(job["item"] for job in led.list())
    assert items == sorted(f"pkg-{i}-1.fc42" for i in range(30))
    led.dispose()


def test_prune_forgets_old_ids_and_expired_slots(ledger: Ledger) -> None:
    """Assert prune drops expired slots and old message ids, and only those."""
    start = utcnow()
    ledger.record("old", [make_job(item="a")], now=start)
    ledger.record("new", [make_job(item="b")], now=start + timedelta(seconds=3000))
    assert ledger.prune(keep_messages=3600, now=start + timedelta(seconds=3700)) == (1, 1)
    assert not ledger.message_seen("old") and ledger.message_seen("new")
    # the job of a pruned slot can be created again; the live one still blocks
    later = start + timedelta(seconds=3700)
    assert ledger.record("again", [make_job(item="a")], now=later).created
    assert ledger.record("again2", [make_job(item="b")], now=later).duplicates
    assert len(ledger.list()) == 3
