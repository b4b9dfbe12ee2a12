"""The backend interface (after LUCI Deployment Manager's distributors).

``submit(job) -> token`` hands a Job (item, item_type, taskname: the check, arch, uuid) to
the backend and returns what identifies it there; ``status(token)`` says where it is
(a :class:`~trigger.ledger.JobStatus`, or ``None`` when the backend cannot tell);
``cancel(token)`` stops it; ``info_url(token)`` is where a person can watch it.

Errors: :class:`~trigger.errors.BackendUnavailable` (unreachable, busy, 5xx: the job stays
in the ledger and is retried) versus :class:`~trigger.errors.BackendError` (refused for good).
"""

from __future__ import annotations

import abc

from checkline.contracts import Job

from ..ledger import JobStatus

__all__ = ["Backend"]


class Backend(abc.ABC):
    #: the name ``--backend`` and the config use.
    name: str = ""
    #: False for a backend that only records (``none``): no submission loop runs for it.
    submits: bool = True

    def ready(self) -> bool:
        """False while the backend cannot take another job (a full local slot count): the
        waiting jobs then stay SCHEDULED, which is not an error."""
        return True

    @abc.abstractmethod
    def submit(self, job: Job) -> str:
        """Hand ``job`` to the backend; return its token.

        Raises:
            BackendUnavailable: try again later.
            BackendError: this job can never be submitted.
        """

    def find(self, job: Job) -> str | None:
        """The token of what the backend already holds for ``job`` (same uuid), or None.

        The dispatcher asks before it submits a job again whose earlier claim ran out: the
        earlier submission may have landed before the process that made it died, and a
        second one would be refused as a duplicate uuid. A backend that cannot tell answers
        None (the job is submitted again).

        Raises:
            BackendUnavailable: the backend cannot answer now (the job waits).
        """
        return None

    @abc.abstractmethod
    def status(self, token: str) -> JobStatus | None:
        """Where the job is, or None when the backend does not know."""

    def status_many(self, tokens: list[str]) -> dict[str, JobStatus | None]:
        """The status of each of ``tokens``; a backend that can ask for many at once (one
        request for all the active jobs) overrides this."""
        return {token: self.status(token) for token in tokens}

    @abc.abstractmethod
    def cancel(self, token: str) -> None:
        """Stop the job (nothing when it already ended)."""

    @abc.abstractmethod
    def info_url(self, token: str) -> str | None:
        """Where a person can follow the job."""
