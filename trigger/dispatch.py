"""Submitting recorded jobs, in order, and keeping their status current.

:meth:`Dispatcher.submit_pending` claims the oldest waiting job, submits it and records the
token; a transient backend error marks the job ERROR_SUBMITTING (retryable) and ends the pass,
so no younger job overtakes it; the next pass (every ``retry_interval``, or sooner when woken
by a new job) starts again from it. A permanent error marks the job ERROR_SUBMITTING for good
and the pass goes on. A backend that is not ``ready()`` (all its slots busy) ends the pass
without touching the jobs: they stay SCHEDULED. :meth:`Dispatcher.reconcile` asks the
backend about every SUBMITTED or RUNNING job and records what changed. :meth:`start` runs
both in one background thread.
"""

from __future__ import annotations

import logging
import threading
import time

from checkline.retry import TransientError

from .backends.base import Backend
from .errors import BackendError
from .ledger import ACTIVE, JobRow, JobStatus, Ledger, public
from .logsafe import escape

__all__ = ["Dispatcher"]

log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(
        self,
        ledger: Ledger,
        backend: Backend,
        retry_interval: float = 10.0,
        lease: float = 300.0,
    ) -> None:
        self.ledger = ledger
        self.backend = backend
        self.retry_interval = retry_interval
        self.lease = lease
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.backend_down = False

    def submit_pending(self, limit: int | None = None) -> int:
        """Submit waiting jobs, oldest first; return how many the backend took.

        Stops at the first transient error (the backend is down: the job waits, and so do
        the ones after it).
        """
        submitted = 0
        with self._lock:
            while limit is None or submitted < limit:
                if not self.backend.ready():
                    return submitted
                try:
                    job = self.ledger.claim_next(self.lease)
                except TransientError as err:
                    log.warning("cannot read the ledger: %s", escape(err))
                    return submitted
                if job is None:
                    self.backend_down = False
                    return submitted
                try:
                    token = self._adopt(job) or self.backend.submit(public(job))
                except TransientError as err:
                    log.warning(
                        "backend %s: job %s waits: %s", self.backend.name, job["uuid"], escape(err)
                    )
                    self.ledger.mark_submit_failed(job["uuid"], str(err), retry=True)
                    self.backend_down = True
                    return submitted
                except BackendError as err:
                    log.error(
                        "backend %s refused job %s: %s", self.backend.name, job["uuid"], escape(err)
                    )
                    self.ledger.mark_submit_failed(job["uuid"], str(err), retry=False)
                    continue
                self.ledger.mark_submitted(job["uuid"], token, self.backend.info_url(token))
                submitted += 1
        return submitted

    def _adopt(self, job: JobRow) -> str | None:
        """The token of an earlier submission of ``job`` that landed, if any.

        A job claimed before (``attempts`` > 1) may have reached the backend just before
        the process that submitted it died, its lease then running out: submitting it again
        would make a second build that the master refuses (duplicate uuid).
        """
        if job["attempts"] <= 1:
            return None
        token = self.backend.find(public(job))
        if token is not None:
            log.warning(
                "backend %s already holds job %s (an earlier submission landed): adopted %r",
                self.backend.name,
                job["uuid"],
                token,
            )
        return token

    def reconcile(self) -> int:
        """Update SUBMITTED/RUNNING jobs from the backend; return how many changed."""
        changed = 0
        active = self.ledger.list(statuses=[s.value for s in ACTIVE])
        jobs = [(job, token) for job in active if (token := job["token"])]
        try:
            statuses = self.backend.status_many([token for _, token in jobs])
        except TransientError as err:
            log.warning("backend %s: no status now: %s", self.backend.name, escape(err))
            return changed
        for job, token in jobs:
            status = statuses.get(token)
            if status is not None and status != JobStatus(job["status"]):
                self.ledger.set_status(job["uuid"], status)
                changed += 1
        return changed

    def wake(self) -> None:
        """A new job was recorded: submit soon (unless the backend is known to be down)."""
        if not self.backend_down:
            self._wake.set()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="dispatcher", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        next_reconcile = 0.0
        while not self._stop.is_set():
            self._wake.wait(self.retry_interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.submit_pending()
                if time.monotonic() >= next_reconcile:
                    self.reconcile()
                    next_reconcile = time.monotonic() + self.retry_interval
            except Exception:  # the loop must outlive any one failure; each is logged
                log.exception("dispatcher pass failed; retrying in %s s", self.retry_interval)
