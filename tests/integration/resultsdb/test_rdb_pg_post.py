"""POST /results on PostgreSQL: one statement outside any transaction (``store.store_one``).

In-process (Flask's test client) on the session's PostgreSQL database, emptied per test: what
a POST sends to the server, the rows it leaves alone, and the race it can lose.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest
from flask.testing import FlaskClient
from sqlalchemy import Connection, event, text

from checkline.resultsdb.app import create_app
from checkline.resultsdb.config import ResultsDBSettings
from checkline.resultsdb.db import Database

API = "/api/v2.0"


def _dsn(database: Database) -> str:
    """``database``'s URL for psycopg itself (another session than the app's)."""
    return database.url.replace("postgresql+psycopg://", "postgresql://", 1)


def make_client(database: Database, **settings: Any) -> FlaskClient:
    app = create_app(
        ResultsDBSettings(db=database.url, **settings), database=database, start_relay=False
    )
    return app.test_client()


def body(**overrides: Any) -> dict[str, Any]:
    return {
        "outcome": "PASSED",
        "testcase": {"name": "dist.rpmlint", "ref_url": "https://docs/rpmlint"},
        "groups": ["g1"],
        "data": {"item": "xchat-0.5-1.fc20", "type": "koji_build", "arch": ["x86_64", "noarch"]},
        **overrides,
    }


def sent(database: Database, client: FlaskClient, payload: dict[str, Any]) -> list[bool]:
    """POST ``payload``; per statement sent, whether its connection was in autocommit (no
    BEGIN before it, no COMMIT after it)."""
    autocommit: list[bool] = []

    def record(conn: Connection, *_args: object) -> None:
        autocommit.append(bool(conn.connection.dbapi_connection.autocommit))  # type: ignore[union-attr]

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        response = client.post(f"{API}/results", json=payload)
    finally:
        event.remove(database.engine, "before_cursor_execute", record)
    assert response.status_code == 201, response.get_data(as_text=True)
    return autocommit


@pytest.mark.parametrize(
    "payload",
    [
        body(),  # known testcase and group
        body(groups=["new-group"]),
        body(testcase={"name": "new.testcase"}, groups=[{"description": "a new uuid1 group"}]),
        body(testcase={"name": "dist.rpmlint", "ref_url": None}),  # a testcase change
        body(groups=[{"uuid": "g1", "description": "changed"}, "g2", "g1"]),
        body(groups=None, data=None),
    ],
)
def test_a_post_is_one_statement_outside_a_transaction(
    database: Database, payload: dict[str, Any]
) -> None:
    """Assert a POST sends one statement in autocommit: one round trip, no BEGIN or COMMIT."""
    client = make_client(database)
    assert client.post(f"{API}/results", json=body()).status_code == 201  # g1, dist.rpmlint
    assert sent(database, client, payload) == [True]


def test_with_publishing_a_post_is_two_statements_in_a_transaction(database: Database) -> None:
    """Assert a POST that queues its announcement is the result's statement and the outbox
    insert, in one transaction (so neither is ever stored without the other)."""
    client = make_client(database, publish="fedora-messaging")
    assert sent(database, client, body()) == [False, False]
    with database.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM outbox")).scalar() == 1


def versions(database: Database) -> list[tuple[str, str]]:
    """Each testcase's and group's row version (a rewrite makes a new one)."""
    with database.read() as conn:
        rows = conn.execute(
            text(
                "SELECT name, xmin::text || ctid::text FROM testcase"
                ' UNION ALL SELECT uuid, xmin::text || ctid::text FROM "group" ORDER BY 1'
            )
        )
        return [(str(key), str(version)) for key, version in rows]


def test_unchanged_testcase_and_group_are_not_rewritten(database: Database) -> None:
    """Assert a POST naming a testcase and a group as they are writes neither row (no new
    row version, no lock), and one changing them rewrites only the one that changes."""
    client = make_client(database)
    group = {"uuid": "g1", "description": "Job", "ref_url": "https://job"}
    assert client.post(f"{API}/results", json=body(groups=[group])).status_code == 201
    before = versions(database)
    for payload in (body(groups=[group]), body(groups=["g1"]), body(testcase="dist.rpmlint")):
        assert client.post(f"{API}/results", json=payload).status_code == 201
    assert versions(database) == before
    changed = body(groups=[{**group, "description": "Job 2"}])
    assert client.post(f"{API}/results", json=changed).status_code == 201
    after = dict(versions(database))
    assert after["dist.rpmlint"] == dict(before)["dist.rpmlint"]
    assert after["g1"] != dict(before)["g1"]
    assert client.get(f"{API}/groups/g1").get_json()["description"] == "Job 2"


def test_a_group_created_meanwhile_is_read_by_the_general_path(database: Database) -> None:
    """Assert a POST whose new group another transaction inserts first (and commits while
    the POST's statement waits on it) stores nothing in its statement, then its result once,
    linked to that group, in a transaction that reads the group."""
    client = make_client(database)
    assert client.post(f"{API}/results", json=body()).status_code == 201
    dsn = _dsn(database)
    with psycopg.connect(dsn) as other:
        other.execute("""INSERT INTO "group" (uuid, description) VALUES ('late', 'theirs')""")
        statements: list[list[bool]] = []
        thread = threading.Thread(
            target=lambda: statements.append(sent(database, client, body(groups=["late"])))
        )
        thread.start()
        _wait_for_a_lock_wait(other)
        other.commit()
        thread.join(30)
    # Its one statement (which answered no row), then the same statement in a transaction.
    assert statements == [[True, False]]
    group = client.get(f"{API}/groups/late").get_json()
    assert (group["description"], group["results_count"]) == ("theirs", 1)
    results = client.get(f"{API}/results", query_string={"groups": "late"}).get_json()
    assert [r["data"]["arch"] for r in results["data"]] == [["x86_64", "noarch"]]
    assert len(client.get(f"{API}/results").get_json()["data"]) == 2


def _wait_for_a_lock_wait(
    conn: psycopg.Connection[Any], within: float = 10.0, waiting: int = 1
) -> None:
    """Until ``waiting`` sessions of this database wait for a lock (POSTs, on our insert)."""
    deadline = time.monotonic() + within
    with psycopg.connect(conn.info.dsn, autocommit=True) as watcher:
        while time.monotonic() < deadline:
            found = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()
            if found and found[0] >= waiting:
                return
            time.sleep(0.01)
    raise AssertionError("the POST never waited on the other transaction's insert")


@pytest.mark.parametrize("publish", [False, "fedora-messaging"], ids=["one-statement", "general"])
def test_posts_creating_the_same_new_groups_in_opposite_orders_both_store(
    database: Database, publish: str | bool
) -> None:
    """Assert two POSTs that create the same two new groups, named in opposite orders, both
    answer 201 when PostgreSQL breaks their deadlock by failing one (it is run again), in
    ``store_one``'s statement and in ``create_results``' transaction (taken when publishing).

    Another transaction holds the first new group while both POSTs queue behind it; when it
    rolls back they race for it, and in about half the rounds each then holds one group and
    waits for the other: a deadlock, found after ``deadlock_timeout`` (1 s). Rounds go on
    until one deadlocked.
    """
    client = make_client(database)
    assert client.post(f"{API}/results", json=body()).status_code == 201
    dsn = _dsn(database)
    deadlocks: list[BaseException] = []

    def seen(context: Any) -> None:
        if isinstance(context.original_exception, psycopg.errors.DeadlockDetected):
            deadlocks.append(context.original_exception)

    event.listen(database.engine, "handle_error", seen)
    try:
        for round_ in range(12):
            first, second = f"first-{round_}", f"second-{round_}"
            statuses: list[int] = []

            def post(groups: list[str], statuses: list[int] = statuses) -> None:
                poster = make_client(database, publish=publish)
                response = poster.post(f"{API}/results", json=body(groups=groups))
                statuses.append(response.status_code)

            with psycopg.connect(dsn) as other:
                other.execute("""INSERT INTO "group" (uuid) VALUES (%s)""", (first,))
                threads = [
                    threading.Thread(target=post, args=([first, second],)),
                    threading.Thread(target=post, args=([second, first],)),
                ]
                for count, thread in enumerate(threads, start=1):
                    thread.start()
                    _wait_for_a_lock_wait(other, waiting=count)
                other.rollback()
                for thread in threads:
                    thread.join(30)
            assert statuses == [201, 201]
            for uuid in (first, second):
                assert client.get(f"{API}/groups/{uuid}").get_json()["results_count"] == 2
            if deadlocks:
                break
    finally:
        event.remove(database.engine, "handle_error", seen)
    assert deadlocks, "no round deadlocked: the retry was not exercised"
    assert len(client.get(f"{API}/results").get_json()["data"]) == 1 + 2 * (round_ + 1)
