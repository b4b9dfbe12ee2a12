"""The ledger: every Job the trigger creates, recorded before its message is acked.

Tables (SQLAlchemy Core; SQLite by default, PostgreSQL at scale), created and upgraded by
Alembic (``trigger/migrations``; ``migrate``) when a ``Ledger`` opens its database:

- ``jobs``: one row per Job: ``uuid``, ``item``, ``item_type``, ``taskname``, ``arch``,
  ``status`` (:class:`JobStatus`), ``msg_id``, ``forced``, ``created_at``/``updated_at``/
  ``submitted_at``, the backend's ``token`` and ``info_url``, the last ``error``, ``attempts``.
  ``id`` gives the order jobs were created in, the order they are submitted in.
- ``messages``: the id of every message that created jobs (or none): a redelivered message
  finds its id there and creates nothing.
- ``dedup``: one row per (taskname, item, item_type, arch) with the time it stops blocking.

Deduplication relies on the database's unique keys, never on a read-then-insert: a message
id is inserted with ``ON CONFLICT DO NOTHING RETURNING`` (no row returned: a redelivery), a
dedup slot with ``ON CONFLICT DO UPDATE ... WHERE expires_at <= now RETURNING`` (no row
returned: a duplicate within the window). Two consumers racing on the same message or the
same job therefore create one job, on SQLite (writes are serialised) as on PostgreSQL (the
second insert waits for the first and then sees its row).

Jobs are claimed for submission with a lease (``claimed_until``): a consumer killed while
submitting leaves a job that another pass picks up once the lease ends.
"""

from __future__ import annotations

import enum
import uuid as uuidlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    func,
    inspect,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, OperationalError

from checkline.contracts import Job, JobRequest

from .errors import LedgerUnavailable, UnknownJob

__all__ = ["JobRow", "JobStatus", "Ledger", "RecordOutcome", "migrate"]


class JobStatus(enum.StrEnum):
    SCHEDULED = "SCHEDULED"  # recorded, not yet handed to the backend
    SUBMITTED = "SUBMITTED"  # the backend took it
    RUNNING = "RUNNING"
    FINISHED = "FINISHED"  # the runner ran it to its end (whatever the verdicts)
    ERROR_SUBMITTING = "ERROR_SUBMITTING"  # the backend refused it (retried if transient)
    CRASHED = "CRASHED"  # the run could not finish


metadata = MetaData()
# Text, not String(n), for every value that comes from a message or a user (item, type, check,
# arch, message id): PostgreSQL would refuse a longer value, and a refused message would be
# retried and then dropped instead of recorded.
jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("uuid", String(36), nullable=False, unique=True),
    Column("item", Text, nullable=False),
    Column("item_type", Text, nullable=False),
    Column("taskname", Text, nullable=False),
    Column("arch", Text, nullable=False),
    Column("status", String(32), nullable=False, index=True),
    Column("msg_id", Text, index=True),
    Column("forced", Boolean, nullable=False, default=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("submitted_at", DateTime),
    Column("token", Text),
    Column("info_url", Text),
    Column("error", Text),
    Column("attempts", Integer, nullable=False, default=0),
    # ERROR_SUBMITTING jobs with a next attempt are retried; without one they never are.
    Column("next_attempt_at", DateTime),
    Column("claimed_until", DateTime),
    Column("rerun_of", String(36)),
)
messages = Table(
    "messages",
    metadata,
    Column("msg_id", Text, primary_key=True),
    Column("received_at", DateTime, nullable=False),
)
dedup = Table(
    "dedup",
    metadata,
    Column("taskname", Text, primary_key=True),
    Column("item", Text, primary_key=True),
    Column("item_type", Text, primary_key=True),
    Column("arch", Text, primary_key=True),
    Column("job_uuid", String(36), nullable=False),
    Column("expires_at", DateTime, nullable=False),
)


class JobRow(Job):
    """A row of ``jobs``: the Job (``checkline.contracts.Job``) and what the ledger keeps of
    it (a test holds these keys to the table's columns)."""

    id: int
    status: str  # a JobStatus
    msg_id: str | None
    forced: bool
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    token: str | None
    info_url: str | None
    error: str | None
    attempts: int
    next_attempt_at: datetime | None
    claimed_until: datetime | None
    rerun_of: str | None


def _row(row: Row[Any]) -> JobRow:
    return cast(JobRow, dict(row._mapping))  # every column of ``jobs``: a JobRow


MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: The newest revision in ``migrations/versions`` (a test checks): a ledger already there is
#: opened without importing Alembic (every ``checkline trigger`` command opens it).
HEAD_REVISION = "0001"
#: Alembic's table for the ledger's revision (not "alembic_version": the ledger may share a
#: database with ResultsDB, which keeps its own revision there).
VERSION_TABLE = "ledger_alembic_version"


def migrate(conn: Connection) -> None:
    """Create the ledger's tables, or upgrade them to the newest revision.

    A ledger created before the migrations existed (its tables, no version table) is
    stamped with the first revision, whose schema it has, and then upgraded.
    """
    tables = inspect(conn)
    if tables.has_table(VERSION_TABLE):
        query = f"SELECT version_num FROM {VERSION_TABLE}"  # noqa: S608 - a constant
        if conn.exec_driver_sql(query).scalar() == HEAD_REVISION:
            return
    from alembic import command  # only when there is something to do
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    if tables.has_table("jobs") and not tables.has_table(VERSION_TABLE):
        command.stamp(config, "0001")
    command.upgrade(config, "head")


ACTIVE = (JobStatus.SUBMITTED, JobStatus.RUNNING)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class RecordOutcome:
    """What :meth:`Ledger.record` did with a message's jobs."""

    created: list[Job] = field(default_factory=list)
    duplicates: list[Job] = field(default_factory=list)  # blocked by the dedup window
    redelivered: bool = False  # the message id was seen before: nothing created


def _is_transient(err: DBAPIError) -> bool:
    # OperationalError covers "database is locked" and lost connections on both drivers.
    return isinstance(err, OperationalError) or bool(err.connection_invalidated)


class Ledger:
    """The job table of one database.

    Args:
        url: SQLAlchemy URL (``sqlite:///trigger.sqlite``, ``postgresql+psycopg://...``).
        dedup_window: seconds during which the same (check, item, type, arch) is not created
            again; 0 turns it off.
        busy_timeout: SQLite: seconds to wait for another writer before giving up (then
            :class:`LedgerUnavailable`).
    """

    def __init__(self, url: str, dedup_window: float = 900.0, busy_timeout: float = 30.0) -> None:
        self.url = url
        self.dedup_window = timedelta(seconds=dedup_window)
        self.engine = _engine(url, busy_timeout)
        with self._begin() as conn:
            migrate(conn)

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except DBAPIError as err:
            if _is_transient(err):
                raise LedgerUnavailable(f"ledger {self.engine.url!r}: {err.orig}") from err
            raise

    def _upsert(self, table: Table) -> Any:
        if self.engine.dialect.name == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    # -- recording --------------------------------------------------------------------------

    def record(
        self,
        msg_id: str | None,
        new_jobs: Sequence[JobRequest],
        force: bool = False,
        rerun_of: str | None = None,
        now: datetime | None = None,
    ) -> RecordOutcome:
        """Record ``new_jobs`` (dicts with item, item_type, taskname, arch) in one transaction.

        Each created job gets a fresh ``uuid`` and status SCHEDULED. A ``msg_id`` already
        recorded creates nothing. A job whose (check, item, type, arch) was created less than
        ``dedup_window`` ago is a duplicate unless ``force``.

        Raises:
            LedgerUnavailable: the database is locked or unreachable (nothing was recorded).
        """
        now = now or utcnow()
        outcome = RecordOutcome()
        with self._begin() as conn:
            if msg_id:
                stmt = self._upsert(messages).values(msg_id=msg_id, received_at=now)
                stmt = stmt.on_conflict_do_nothing().returning(messages.c.msg_id)
                if conn.execute(stmt).first() is None:
                    outcome.redelivered = True
                    return outcome
            rows = []
            for spec in new_jobs:
                job: Job = {
                    "item": spec["item"],
                    "item_type": spec["item_type"],
                    "taskname": spec["taskname"],
                    "arch": spec["arch"],
                    "uuid": str(uuidlib.uuid4()),
                }
                if self.dedup_window and not self._take_slot(conn, job, force, now):
                    outcome.duplicates.append(job)
                    continue
                outcome.created.append(job)
                rows.append(
                    {
                        **job,
                        "status": JobStatus.SCHEDULED.value,
                        "msg_id": msg_id,
                        "forced": force,
                        "created_at": now,
                        "updated_at": now,
                        "attempts": 0,
                        "rerun_of": rerun_of,
                    }
                )
            if rows:
                conn.execute(jobs.insert(), rows)
        return outcome

    def _take_slot(self, conn: Connection, job: Job, force: bool, now: datetime) -> bool:
        key = {
            "taskname": job["taskname"],
            "item": job["item"],
            "item_type": job["item_type"],
            "arch": job["arch"],
        }
        stmt = self._upsert(dedup).values(
            **key, job_uuid=job["uuid"], expires_at=now + self.dedup_window
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=list(key),
            set_={"job_uuid": stmt.excluded.job_uuid, "expires_at": stmt.excluded.expires_at},
            where=None if force else dedup.c.expires_at <= now,
        )
        # RETURNING, not rowcount: through SQLAlchemy 2.1, psycopg 3 gives rowcount -1
        # (unknown) for INSERT ... ON CONFLICT, whether a row was written or not.
        return conn.execute(stmt.returning(dedup.c.job_uuid)).first() is not None

    def prune(self, keep_messages: float, now: datetime | None = None) -> tuple[int, int]:
        """Forget expired dedup slots and message ids older than ``keep_messages`` seconds.

        Both tables would otherwise grow with every message. A message redelivered after
        ``keep_messages`` would create its jobs again (the window still applies).

        Returns:
            (slots deleted, message ids deleted).
        """
        now = now or utcnow()
        with self._begin() as conn:
            slots = conn.execute(delete(dedup).where(dedup.c.expires_at <= now)).rowcount
            old = now - timedelta(seconds=keep_messages)
            ids = conn.execute(delete(messages).where(messages.c.received_at < old)).rowcount
        return int(slots), int(ids)

    # -- submitting -------------------------------------------------------------------------

    def claim_next(self, lease: float = 300.0, now: datetime | None = None) -> JobRow | None:
        """Claim the oldest job waiting for submission; None when there is none.

        "Oldest" is by creation order, so jobs reach the backend in the order they came.
        """
        now = now or utcnow()
        waiting = or_(
            jobs.c.status == JobStatus.SCHEDULED.value,
            (jobs.c.status == JobStatus.ERROR_SUBMITTING.value)
            & jobs.c.next_attempt_at.is_not(None),
        )
        free = or_(jobs.c.claimed_until.is_(None), jobs.c.claimed_until < now)
        with self._begin() as conn:
            for _ in range(20):  # another consumer may claim the same row first
                row = conn.execute(
                    select(jobs).where(waiting, free).order_by(jobs.c.id).limit(1)
                ).first()
                if row is None:
                    return None
                job = _row(row)
                job["claimed_until"] = now + timedelta(seconds=lease)
                job["attempts"] += 1
                claimed = conn.execute(
                    update(jobs)
                    .where(jobs.c.id == row.id, free)
                    .values(claimed_until=job["claimed_until"], attempts=job["attempts"])
                    .returning(jobs.c.id)
                ).first()
                if claimed is not None:
                    return job
        return None

    def mark_submitted(self, job_uuid: str, token: str, info_url: str | None) -> None:
        now = utcnow()
        self._set(
            job_uuid,
            status=JobStatus.SUBMITTED.value,
            token=token,
            info_url=info_url,
            submitted_at=now,
            error=None,
            next_attempt_at=None,
            claimed_until=None,
        )

    def mark_submit_failed(self, job_uuid: str, error: str, retry: bool) -> None:
        """ERROR_SUBMITTING; retried by the next pass when ``retry`` (a transient error)."""
        self._set(
            job_uuid,
            status=JobStatus.ERROR_SUBMITTING.value,
            error=error,
            next_attempt_at=utcnow() if retry else None,
            claimed_until=None,
        )

    def set_status(self, job_uuid: str, status: JobStatus, error: str | None = None) -> None:
        values: dict[str, Any] = {"status": status.value}
        if error is not None:
            values["error"] = error
        self._set(job_uuid, **values)

    def _set(self, job_uuid: str, **values: Any) -> None:
        values["updated_at"] = utcnow()
        with self._begin() as conn:
            changed = conn.execute(update(jobs).where(jobs.c.uuid == job_uuid).values(**values))
            if not changed.rowcount:
                raise UnknownJob(f"no job {job_uuid}")

    # -- reading ----------------------------------------------------------------------------

    def get(self, job_uuid: str) -> JobRow:
        """The job with this uuid. Raises: UnknownJob."""
        with self._begin() as conn:
            row = conn.execute(select(jobs).where(jobs.c.uuid == job_uuid)).first()
        if row is None:
            raise UnknownJob(f"no job {job_uuid}")
        return _row(row)

    def list(
        self,
        status: str | None = None,
        limit: int | None = None,
        statuses: Sequence[str] | None = None,
    ) -> list[JobRow]:
        """Jobs in creation order, optionally of one status (or of several)."""
        query = select(jobs).order_by(jobs.c.id)
        if status:
            query = query.where(jobs.c.status == status)
        if statuses:
            query = query.where(jobs.c.status.in_(list(statuses)))
        if limit:
            query = query.limit(limit)
        with self._begin() as conn:
            return [_row(row) for row in conn.execute(query)]

    def counts(self) -> dict[str, int]:
        with self._begin() as conn:
            rows = conn.execute(select(jobs.c.status, func.count()).group_by(jobs.c.status))
            return {str(row[0]): int(row[1]) for row in rows}

    def message_seen(self, msg_id: str) -> bool:
        with self._begin() as conn:
            found = conn.execute(select(messages.c.msg_id).where(messages.c.msg_id == msg_id))
            return found.first() is not None


def public(row: JobRow) -> Job:
    """The Job contract dict (docs/architecture.md) of a ledger row."""
    return {
        "item": row["item"],
        "item_type": row["item_type"],
        "taskname": row["taskname"],
        "arch": row["arch"],
        "uuid": row["uuid"],
    }


def _engine(url: str, busy_timeout: float) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": busy_timeout})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # WAL: readers never block the consumer; synchronous=NORMAL: a commit survives the
        # process being killed (the WAL is in the OS cache), not a power cut before the next
        # checkpoint. busy_timeout: concurrent consumers wait instead of failing at once.
        cursor = dbapi_connection.cursor()
        if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.close()

    return engine
