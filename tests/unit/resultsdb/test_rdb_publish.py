"""Announcing results: the outbox, the relay, outages, and the low-noise variant."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from checkline.resultsdb.app import create_app
from checkline.resultsdb.config import ResultsDBSettings
from checkline.resultsdb.db import Database
from checkline.resultsdb.migrate import upgrade
from checkline.resultsdb.publish import OutboxRelay, PublishError, RecordingPublisher
from checkline.resultsdb.schema import outbox


class Server:
    def __init__(self, tmp_path: Path, **settings: Any) -> None:
        url = f"sqlite:///{tmp_path / 'r.sqlite'}"
        upgrade(url)
        self.db = Database(url)
        self.publisher = RecordingPublisher()
        app = create_app(
            ResultsDBSettings(db=url, **settings),
            database=self.db,
            publisher=self.publisher,
            start_relay=False,
        )
        self.relay: OutboxRelay | None = app.extensions.get("outbox_relay")
        self.client: FlaskClient = app.test_client()

    def post(self, **overrides: Any) -> dict[str, Any]:
        body = {
            "outcome": "PASSED",
            "testcase": "dist.rpmlint",
            "data": {"item": "pkg-1-1.fc40", "type": "koji_build", "arch": "x86_64"},
        }
        body.update(overrides)
        response = self.client.post("/api/v2.0/results", json=body)
        assert response.status_code == 201
        return dict(response.get_json())

    def waiting(self) -> int:
        with self.db.read() as conn:
            return int(conn.execute(select(func.count()).select_from(outbox)).scalar() or 0)


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Any]:
    servers: list[Server] = []

    def make(**settings: Any) -> Server:
        server = Server(tmp_path, **settings)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.db.dispose()


def test_publishing_off_queues_nothing(make_server: Any) -> None:
    """Assert no outbox row and no relay when publishing is off (the default)."""
    server = make_server()
    server.post()
    assert server.relay is None
    assert server.waiting() == 0


def test_each_result_is_announced_once_with_its_v2_document(make_server: Any) -> None:
    """Assert the message is the POST's response body, published once, then removed."""
    server = make_server(publish="fedora-messaging")
    document = server.post()
    assert server.waiting() == 1
    assert server.relay.drain_once() == 1
    assert server.publisher.sent == [("resultsdb.result.new", document)]
    assert server.waiting() == 0
    assert server.relay.drain_once() == 0
    assert len(server.publisher.sent) == 1


def test_bulk_announces_every_result_in_order(make_server: Any) -> None:
    """Assert a bulk POST queues one message per result, published in order."""
    server = make_server(publish="fedora-messaging")
    bodies = [{"outcome": "PASSED", "testcase": f"t{i}"} for i in range(5)]
    response = server.client.post("/api/v2.0/results/bulk", json={"results": bodies})
    assert response.status_code == 201
    server.relay.drain_once()
    assert [body for _, body in server.publisher.sent] == response.get_json()["data"]


def test_outage_keeps_messages_and_retries(make_server: Any) -> None:
    """Assert a broker outage fails no POST, loses no message, and sends each once later."""
    server = make_server(publish="fedora-messaging")
    server.publisher.failing = True
    first, second = server.post(), server.post(outcome="FAILED")
    with pytest.raises(PublishError, match="simulated outage"):
        server.relay.drain_once()
    with server.db.read() as conn:
        rows = conn.execute(select(outbox.c.claimed_by, outbox.c.attempts)).all()
    assert [tuple(row) for row in rows] == [(None, 1), (None, 1)]
    server.publisher.failing = False
    assert server.relay.drain_once() == 2
    assert [body for _, body in server.publisher.sent] == [first, second]
    assert server.waiting() == 0


def test_stale_claims_are_taken_again(make_server: Any) -> None:
    """Assert messages claimed by a relay that died are published by another one."""
    server = make_server(publish="fedora-messaging")
    server.post()
    with server.db.write() as conn:
        conn.execute(
            outbox.update().values(claimed_by="dead", claimed_at=func.datetime("now", "-1 hour"))
        )
    assert server.relay.drain_once() == 1


def test_changed_only_announces_outcome_changes(make_server: Any) -> None:
    """Assert the low-noise variant announces only a change of outcome for the same subject."""
    server = make_server(publish="fedora-messaging", publish_changed_only=True)
    item = {"item": "pkg-1-1.fc40", "type": "koji_build", "arch": "x86_64"}
    times = iter(f"2026-01-01T00:00:0{i}.000000" for i in range(10))
    server.post(data=item, submit_time=next(times))  # first: announced
    server.post(data=item, submit_time=next(times))  # same outcome: silent
    server.post(data=item, submit_time=next(times), outcome="FAILED")  # changed: announced
    server.post(data={**item, "arch": "aarch64"}, submit_time=next(times), outcome="FAILED")
    server.post(data={**item, "item": "pkg-2-1.fc40"}, submit_time=next(times), outcome="FAILED")
    server.post(data=item, submit_time=next(times), outcome="FAILED")  # same as before: silent
    server.post(data=item, testcase="dist.other", submit_time=next(times), outcome="FAILED")
    server.relay.drain_once()
    announced = [
        (b["testcase"]["name"], b["data"]["item"][0], b["data"]["arch"][0], b["outcome"])
        for _, b in server.publisher.sent
    ]
    assert announced == [
        ("dist.rpmlint", "pkg-1-1.fc40", "x86_64", "PASSED"),
        ("dist.rpmlint", "pkg-1-1.fc40", "x86_64", "FAILED"),
        ("dist.rpmlint", "pkg-1-1.fc40", "aarch64", "FAILED"),
        ("dist.rpmlint", "pkg-2-1.fc40", "x86_64", "FAILED"),
        ("dist.other", "pkg-1-1.fc40", "x86_64", "FAILED"),
    ]


class ScriptedRelay(OutboxRelay):
    """A relay whose drains follow a script (a count published, or an error raised), and
    whose stop event records the waits instead of taking them, stopping with the script."""

    def __init__(self, script: list[int | Exception], **kwargs: Any) -> None:
        super().__init__(None, RecordingPublisher(), **kwargs)  # type: ignore[arg-type]
        self.script = script
        self.waits: list[float] = []
        relay = self

        class Stop:
            def is_set(self) -> bool:
                return not relay.script

            def wait(self, seconds: float) -> bool:
                relay.waits.append(seconds)
                return False

        self._stop = Stop()  # type: ignore[assignment]

    def drain_once(self) -> int:
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


def test_relay_backs_off_until_a_success_then_starts_over() -> None:
    """Assert the relay waits 1 s doubling up to max_backoff after each failure (a broker or a
    database one), and 1 s again after a failure that follows a success."""
    outage = PublishError("simulated outage")
    relay = ScriptedRelay(
        [outage, outage, RuntimeError("database hiccup"), outage, 5, outage, 5],
        batch=5,
        max_backoff=5.0,
    )
    relay.run()
    assert relay.waits == [1.0, 2.0, 4.0, 5.0, 1.0]
