"""The ``none`` backend: jobs are recorded in the ledger and submitted nowhere."""

from __future__ import annotations

from checkline.contracts import Job

from ..errors import BackendError
from ..ledger import JobStatus
from .base import Backend

__all__ = ["NullBackend"]


class NullBackend(Backend):
    """Records only: the jobs stay SCHEDULED (``checkline jobs list`` shows them)."""

    name = "none"
    submits = False

    def submit(self, job: Job) -> str:
        raise BackendError("the 'none' backend submits nothing (choose --backend local)")

    def status(self, token: str) -> JobStatus | None:
        return None

    def cancel(self, token: str) -> None:
        return None

    def info_url(self, token: str) -> str | None:
        return None
