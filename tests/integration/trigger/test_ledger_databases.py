"""The ledger on SQLite and PostgreSQL: dedup holds when many writers race."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from checkline.trigger.ledger import (
    HEAD_REVISION,
    MIGRATIONS,
    VERSION_TABLE,
    JobStatus,
    Ledger,
    metadata,
    utcnow,
)


def job(item: str, arch: str = "x86_64") -> dict[str, str]:
    return {"item": item, "item_type": "koji_build", "taskname": "dummy", "arch": arch}


def fresh(database_url: str) -> Ledger:
    ledger = Ledger(database_url)
    with ledger.engine.begin() as conn:
        for table in ("jobs", "messages", "dedup"):
            conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - fixed names
    return ledger


def test_racing_writers_create_each_job_once(database_url: str) -> None:
    """Assert 6 writers recording the same messages and the same jobs create each job once."""
    fresh(database_url).dispose()
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        ledger = Ledger(database_url)
        try:
            barrier.wait()
            for i in range(40):
                ledger.record(f"m{i}", [job(f"pkg-{i}")])  # same message id everywhere
                ledger.record(f"w{n}-{i}", [job(f"pkg-{i}")])  # same job, other message
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)
        finally:
            ledger.dispose()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    ledger = Ledger(database_url)
    assert sorted(j["item"] for j in ledger.list()) == sorted(f"pkg-{i}" for i in range(40))
    assert ledger.counts() == {"SCHEDULED": 40}
    ledger.dispose()


def test_window_force_and_claims(database_url: str) -> None:
    """Assert window, force and claim order behave the same on every database."""
    ledger = fresh(database_url)
    start = utcnow()
    first = ledger.record("a", [job("x"), job("x", "aarch64")], now=start).created
    assert ledger.record("b", [job("x")], now=start + timedelta(seconds=10)).duplicates
    assert ledger.record(None, [job("x")], force=True).created
    assert ledger.record("c", [job("x")], now=start + timedelta(seconds=901)).created
    claimed = ledger.claim_next()
    assert claimed is not None and claimed["uuid"] == first[0]["uuid"]
    ledger.mark_submitted(claimed["uuid"], str(uuid.uuid4()), None)
    assert ledger.get(claimed["uuid"])["status"] == JobStatus.SUBMITTED
    ledger.dispose()


def test_long_values_are_recorded(database_url: str) -> None:
    """Assert a very long item, arch and message id are recorded (and deduped) everywhere."""
    ledger = fresh(database_url)
    item, msg_id = "x" * 5000, "m" * 600
    created = ledger.record(msg_id, [job(item, arch="a" * 300)]).created
    assert [j["item"] for j in created] == [item]
    assert ledger.record(msg_id, [job(item)]).redelivered
    assert ledger.record("other", [job(item, arch="a" * 300)]).duplicates
    ledger.dispose()


def test_migrated_schema_is_the_ledgers_tables(database_url: str) -> None:
    """Assert Alembic's migrations create exactly the tables the ledger's code declares (no
    difference by Alembic's own comparison), at the revision the ledger expects, in a version
    table of its own (ResultsDB's migrations may share the database)."""
    ledger = Ledger(database_url)
    try:
        with ledger.engine.connect() as conn:
            # Only the ledger's tables: ResultsDB's may share the database.
            context = MigrationContext.configure(
                conn,
                opts={
                    "version_table": VERSION_TABLE,
                    "include_name": lambda name, kind, _parent: (
                        kind != "table" or name in metadata.tables
                    ),
                },
            )
            differences = compare_metadata(context, metadata)
            version = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()  # noqa: S608
    finally:
        ledger.dispose()
    assert differences == []
    assert version == HEAD_REVISION
    script = ScriptDirectory.from_config(_alembic_config())
    assert script.get_current_head() == HEAD_REVISION


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def test_ledger_from_before_migrations_is_stamped_and_kept(tmp_path: Path) -> None:
    """Assert a ledger whose tables were created without Alembic opens with its jobs intact."""
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        metadata.create_all(conn)  # what the ledger did before it had migrations
        conn.execute(
            text(
                "INSERT INTO jobs (uuid, item, item_type, taskname, arch, status, forced, "
                "created_at, updated_at, attempts) VALUES ('u-1', 'x-1-1.fc40', 'koji_build', "
                "'dummy', 'x86_64', 'FINISHED', 0, '2026-12-01', '2026-12-01', 0)"
            )
        )
    engine.dispose()
    ledger = Ledger(url)
    try:
        assert ledger.get("u-1")["status"] == JobStatus.FINISHED
        with ledger.engine.connect() as conn:
            version = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()  # noqa: S608
    finally:
        ledger.dispose()
    assert version == HEAD_REVISION
