"""Shared by the ResultsDB unit tests: counting the SQL statements a request costs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sql_capture import statements_sent

from checkline.resultsdb.db import Database

StatementCounter = Callable[..., int]


def _count_statements(
    database: Database,
    client: FlaskClient,
    url: str,
    ok: bool = True,
    post: dict[str, Any] | None = None,
) -> int:
    """The SQL statements (BEGIN and PRAGMA aside) that ``GET url`` runs (``POST url`` of the
    JSON ``post``, when given); asserts a 200 or 201 (a 404 when not ``ok``)."""
    with statements_sent(database.engine) as sent:
        response = client.get(url) if post is None else client.post(url, json=post)
    expected = (200 if post is None else 201) if ok else 404
    assert response.status_code == expected, response.get_data(as_text=True)
    return len([s for s, _ in sent if not s.startswith(("BEGIN", "PRAGMA"))])


@pytest.fixture
def count_statements() -> StatementCounter:
    return _count_statements
