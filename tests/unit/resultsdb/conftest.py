"""Shared by the ResultsDB unit tests: counting the SQL statements a request costs."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event

from resultsdb.db import Database

StatementCounter = Callable[[Database, FlaskClient, str], int]


def _count_statements(database: Database, client: FlaskClient, url: str, ok: bool = True) -> int:
    """The SQL statements (BEGIN and PRAGMA aside) that ``GET url`` runs; asserts a 200
    (a 404 when not ``ok``)."""
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        response = client.get(url)
    finally:
        event.remove(database.engine, "before_cursor_execute", record)
    assert response.status_code == (200 if ok else 404), response.get_data(as_text=True)
    return len([s for s in statements if not s.startswith(("BEGIN", "PRAGMA"))])


@pytest.fixture
def count_statements() -> StatementCounter:
    return _count_statements
