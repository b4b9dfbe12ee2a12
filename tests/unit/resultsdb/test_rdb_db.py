"""``checkline.resultsdb.db``: SQLite writers queue on a lock file, readers never do."""

from __future__ import annotations

import fcntl
from pathlib import Path

import pytest
from sqlalchemy import text

from checkline.resultsdb.db import Database


def lock_is_free(path: Path) -> bool:
    """Whether another holder (another open file, as another process would be) can take it."""
    with open(path, "ab") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def test_a_write_holds_the_lock_file_and_a_read_does_not(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'r.sqlite'}")
    lock = tmp_path / "r.sqlite.write-lock"
    try:
        with db.write() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            assert not lock_is_free(lock)
        assert lock_is_free(lock)
        with db.read() as conn:
            conn.execute(text("SELECT count(*) FROM t")).scalar()
            assert lock_is_free(lock)
    finally:
        db.dispose()


def test_a_failed_write_releases_the_lock(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'r.sqlite'}")
    try:
        with pytest.raises(RuntimeError), db.write():
            raise RuntimeError("the request failed")
        assert lock_is_free(tmp_path / "r.sqlite.write-lock")
        with db.write() as conn:  # and the next writer gets it
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
    finally:
        db.dispose()


def test_an_in_memory_database_has_no_lock_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    db = Database("sqlite://")
    try:
        with db.write() as conn:
            conn.execute(text("SELECT 1"))
    finally:
        db.dispose()
    assert list(tmp_path.iterdir()) == []
