"""Announcing new results on the message bus, without ever failing or slowing a POST.

The POST only adds a row to the ``outbox`` table, in the same transaction as the results it
announces; an ``OutboxRelay`` thread in each server process publishes those rows through a
``Publisher`` and deletes each one once the broker has confirmed it. A broker outage leaves
the rows waiting (retried with exponential backoff), a crash leaves them claimed for a while
(then another relay takes them), and nothing is lost; a message may, rarely, be sent twice
(a relay that died between the broker's confirm and the delete), never zero times.

``Publisher`` is the one narrow seam: ``FedoraMessagingPublisher`` for real (configured by
fedora-messaging's own ``FEDORA_MESSAGING_CONF``), ``RecordingPublisher`` for tests.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import threading
import uuid
from abc import ABC, abstractmethod
from typing import Any

from sqlalchemy import delete, insert, or_, select, update

from checkline.retry import Backoff, RetryPolicy, TransientError

from .db import Database
from .schema import outbox

__all__ = [
    "FedoraMessagingPublisher",
    "OutboxRelay",
    "PublishError",
    "Publisher",
    "RecordingPublisher",
    "enqueue",
]

log = logging.getLogger(__name__)

TOPIC = "resultsdb.result.new"


class PublishError(TransientError):
    """The message could not be published now (broker down, timeout); retry later."""


class Publisher(ABC):
    @abstractmethod
    def publish(self, topic: str, body: dict[str, Any]) -> None:
        """Send one message and wait for the broker's confirmation.

        Raises:
            PublishError: it was not confirmed; the caller keeps it and retries.
        """


class FedoraMessagingPublisher(Publisher):
    """Publishes through fedora-messaging (its config: ``FEDORA_MESSAGING_CONF``)."""

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout

    def publish(self, topic: str, body: dict[str, Any]) -> None:
        from fedora_messaging import api, exceptions, message

        try:
            api.publish(message.Message(topic=topic, body=body), timeout=int(self.timeout))
        except (exceptions.ConnectionException, exceptions.PublishException) as err:
            raise PublishError(f"{type(err).__name__}: {err}") from err


class RecordingPublisher(Publisher):
    """Keeps what it was asked to publish; ``failing = True`` simulates a broker outage."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.failing = False

    def publish(self, topic: str, body: dict[str, Any]) -> None:
        if self.failing:
            raise PublishError("simulated outage")
        self.sent.append((topic, body))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def enqueue(conn: Any, bodies: list[dict[str, Any]], topic: str = TOPIC) -> None:
    """Add messages to the outbox, inside the caller's transaction."""
    if bodies:
        now = _now()
        conn.execute(
            insert(outbox),
            [{"topic": topic, "body": json.dumps(b), "created": now} for b in bodies],
        )


class OutboxRelay:
    """Publishes the outbox in id order, in batches; one per server process."""

    def __init__(
        self,
        db: Database,
        publisher: Publisher,
        *,
        batch: int = 100,
        stale_after: float = 300.0,
        poll: float = 1.0,
        max_backoff: float = 60.0,
    ) -> None:
        self.db = db
        self.publisher = publisher
        self.batch = batch
        self.stale_after = dt.timedelta(seconds=stale_after)
        self.poll = poll
        #: Waits after a failure: 1 s doubling up to ``max_backoff``, exact (one relay per
        #: process), back to 1 s after a success; never giving up (a :class:`Backoff`).
        self.retry = RetryPolicy(base=1.0, cap=max_backoff, jitter=False)
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def drain_once(self) -> int:
        """Claim a batch, publish it, delete what was confirmed; return how many were.

        Raises:
            PublishError: after releasing the messages it could not publish.
        """
        token = f"{self.name}:{uuid.uuid4().hex}"
        now = _now()
        free = or_(outbox.c.claimed_at.is_(None), outbox.c.claimed_at < now - self.stale_after)
        with self.db.write() as conn:
            batch = select(outbox.c.id).where(free).order_by(outbox.c.id).limit(self.batch)
            conn.execute(
                update(outbox)
                .where(outbox.c.id.in_(batch.scalar_subquery()), free)
                .values(claimed_by=token, claimed_at=now)
            )
        with self.db.read() as conn:
            claimed = conn.execute(
                select(outbox.c.id, outbox.c.topic, outbox.c.body)
                .where(outbox.c.claimed_by == token)
                .order_by(outbox.c.id)
            ).all()
        done: list[Any] = []
        failure: PublishError | None = None
        for message_id, topic, body in claimed:
            try:
                self.publisher.publish(str(topic), json.loads(str(body)))
            except PublishError as err:
                failure = err
                break
            done.append(message_id)
        with self.db.write() as conn:
            if done:
                conn.execute(delete(outbox).where(outbox.c.id.in_(done)))
            if failure is not None:
                conn.execute(
                    update(outbox)
                    .where(outbox.c.claimed_by == token)
                    .values(claimed_by=None, claimed_at=None, attempts=outbox.c.attempts + 1)
                )
        if failure is not None:
            raise failure
        return len(done)

    def notify(self) -> None:
        """A POST in this process queued messages: publish them now, not at the next poll."""
        self._wake.set()

    def run(self) -> None:
        """Publish until :meth:`stop`; a failure waits (a wait :meth:`stop` interrupts)."""
        backoff = Backoff(self.retry)
        while not self._stop.is_set():
            try:
                published = self.drain_once()
            except PublishError as err:
                wait = backoff.next()
                log.warning("publishing failed (%s); retrying in %.0f s", err, wait)
                self._stop.wait(wait)
                continue
            except Exception:  # a database hiccup must not kill the relay
                wait = backoff.next()
                log.exception("outbox relay error; retrying in %.0f s", wait)
                self._stop.wait(wait)
                continue
            backoff.reset()
            if published < self.batch:
                self._wake.wait(self.poll)
                self._wake.clear()

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="outbox-relay", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
