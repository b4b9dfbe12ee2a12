"""Fixtures shared by the master's integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rdb_server import ResultsDBServer, start_server, stop_server


@pytest.fixture(scope="module")
def rdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ResultsDBServer]:
    """A ResultsDB server on SQLite for the module's master (test_master_faults restarts its
    own per test, and test_master_reports serves one with a write token)."""
    folder = tmp_path_factory.mktemp("master-rdb")
    proc, server = start_server(f"sqlite:///{folder / 'r.sqlite'}", folder / "log")
    yield server
    stop_server(proc)
