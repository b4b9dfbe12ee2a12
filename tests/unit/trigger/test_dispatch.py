"""Submitting in order through a backend that goes down and comes back; reconciling status."""

from __future__ import annotations

from trigger_factories import FakeBackend, make_job

from checkline.trigger.dispatch import Dispatcher
from checkline.trigger.ledger import JobStatus, Ledger


def items(jobs: list[dict[str, object]]) -> list[object]:
    return [job["item"] for job in jobs]


def test_backend_down_then_back_submits_all_in_order(
    ledger: Ledger, fake_backend: FakeBackend
) -> None:
    """Assert jobs recorded while the backend is down wait, then go in order, none twice."""
    dispatcher = Dispatcher(ledger, fake_backend)
    ledger.record("m0", [make_job(item="i0")])
    assert dispatcher.submit_pending() == 1
    fake_backend.down = True
    for n in range(1, 6):
        ledger.record(f"m{n}", [make_job(item=f"i{n}")])
        assert dispatcher.submit_pending() == 0
    assert dispatcher.backend_down
    waiting = ledger.list(status=JobStatus.ERROR_SUBMITTING)
    assert items(waiting) == ["i1"]  # the pass stopped at the first: no younger job overtook
    assert "backend is down" in waiting[0]["error"]
    fake_backend.down = False
    assert dispatcher.submit_pending() == 5
    assert items(fake_backend.submitted) == [f"i{n}" for n in range(6)]
    assert {j["status"] for j in ledger.list()} == {"SUBMITTED"}
    assert dispatcher.submit_pending() == 0
    assert len(fake_backend.submitted) == 6


def test_submitted_job_is_the_contract(ledger: Ledger, fake_backend: FakeBackend) -> None:
    """Assert the backend receives exactly the Job dict (docs/architecture.md)."""
    (job,) = ledger.record("m", [make_job()]).created
    Dispatcher(ledger, fake_backend).submit_pending()
    assert fake_backend.submitted == [job]
    row = ledger.get(job["uuid"])
    assert (row["token"], row["info_url"]) == ("token-1", "http://backend.example/token-1")


def test_refused_job_is_not_retried(ledger: Ledger, fake_backend: FakeBackend) -> None:
    """Assert a permanent refusal marks the job and the pass goes on to the next."""
    fake_backend.refuse = {"nvr-sanity"}
    ledger.record("m", [make_job(taskname="nvr-sanity"), make_job(taskname="dummy")])
    dispatcher = Dispatcher(ledger, fake_backend)
    assert dispatcher.submit_pending() == 1
    assert dispatcher.submit_pending() == 0
    refused = ledger.list(status=JobStatus.ERROR_SUBMITTING)
    assert [j["taskname"] for j in refused] == ["nvr-sanity"]
    assert refused[0]["error"] == "no such builder for nvr-sanity"


def test_reconcile_updates_status(ledger: Ledger, fake_backend: FakeBackend) -> None:
    """Assert reconcile records what the backend says, and only changes."""
    ledger.record("m", [make_job(arch="a"), make_job(arch="b")])
    dispatcher = Dispatcher(ledger, fake_backend)
    dispatcher.submit_pending()
    fake_backend.statuses = {"token-1": JobStatus.RUNNING}
    assert dispatcher.reconcile() == 1
    fake_backend.statuses = {"token-1": JobStatus.FINISHED, "token-2": JobStatus.CRASHED}
    assert dispatcher.reconcile() == 2
    assert [j["status"] for j in ledger.list()] == ["FINISHED", "CRASHED"]
    assert dispatcher.reconcile() == 0


def test_background_loop_submits_when_woken(ledger: Ledger, fake_backend: FakeBackend) -> None:
    """Assert the dispatcher thread submits a job recorded after it started."""
    import time

    dispatcher = Dispatcher(ledger, fake_backend, retry_interval=30)
    dispatcher.start()
    try:
        ledger.record("m", [make_job()])
        dispatcher.wake()
        deadline = time.monotonic() + 5
        while not fake_backend.submitted and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        dispatcher.stop()
    assert len(fake_backend.submitted) == 1
