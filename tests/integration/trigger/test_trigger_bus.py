"""A consumer on real RabbitMQ: real messages in, the expected jobs out, through faults."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pika
import publish
from fedora_messaging.message import Message
from trigger_bus import Bus, ConsumerProcess, PrivateRabbit, wait_for

RULES = """
- when: {item_type: koji_build}
  do: [{tasks: [dummy], arches: [x86_64]}]
"""


def koji_build(n: int) -> Any:
    """Build ``pkg<n>``: one job per message under ``RULES``."""
    return publish.koji_build(f"pkg{n}-1.0-1.fc42", n, prefix="")


def job_items(consumer: ConsumerProcess) -> list[str]:
    return [row[0] for row in consumer.query("SELECT item FROM jobs ORDER BY id")]


def test_fixture_messages_make_expected_jobs(
    bus: Bus, make_consumer: Callable[..., ConsumerProcess], fixtures_dir: Path
) -> None:
    """Assert the recorded real messages, published with their headers, give the project's jobs."""
    consumer = make_consumer(bus, (fixtures_dir.parent.parent / "rules.yml").read_text())
    consumer.start()
    for path in sorted((fixtures_dir / "messages").glob("*.json")):
        data = json.loads(path.read_text())
        message = Message(body=data["body"], topic=data["topic"], headers=data["headers"])
        message.id = data["id"]
        bus.publish(message, prefix="")
    # 3 recorded: build complete, tag, bodhi update; 2 builds ignored (not COMPLETE, not
    # primary); the git push never reaches the queue: no rule needs dist_git_commit
    consumer.wait_drained(3)
    time.sleep(0.5)
    assert consumer.count("messages") == 3
    rows = consumer.query("SELECT taskname, item_type, item, arch, status FROM jobs ORDER BY id")
    assert sorted(rows) == [
        ("dummy", "bodhi_update", "FEDORA-2019-d64d0caab3", "noarch", "SCHEDULED"),
        ("dummy", "koji_build", "chromium-80.0.3987.132-1.fc33", "x86_64", "SCHEDULED"),
        ("dummy", "koji_tag", "f31-updates-pending", "noarch", "SCHEDULED"),
        ("python-versions", "koji_build", "chromium-80.0.3987.132-1.fc33", "x86_64", "SCHEDULED"),
        ("rpmlint", "koji_build", "chromium-80.0.3987.132-1.fc33", "x86_64", "SCHEDULED"),
    ]
    assert consumer.alive()


def test_fedora_messaging_cli_runs_the_consumer(
    bus: Bus, make_consumer: Callable[..., ConsumerProcess]
) -> None:
    """Assert `fedora-messaging consume --callback trigger.consumer:Consumer` records the jobs."""
    consumer = make_consumer(bus, RULES)
    consumer.fedora_messaging_cli = True
    consumer.start()
    for n in range(20):
        bus.publish(koji_build(n))
    bus.publish(koji_build(0))  # the same build again, another message: within the window
    consumer.wait_drained(21)
    assert sorted(job_items(consumer)) == sorted(f"pkg{n}-1.0-1.fc42" for n in range(20))
    assert "fedora_messaging" in consumer.logs()


def test_kill_9_mid_stream_loses_and_doubles_nothing(
    bus: Bus, make_consumer: Callable[..., ConsumerProcess]
) -> None:
    """Assert a consumer killed -9 amid 1,000 messages, then restarted, records each once."""
    consumer = make_consumer(bus, RULES)
    consumer.start()  # declares the durable queue and binds it
    consumer.kill9()
    for n in range(1000):
        bus.publish(koji_build(n))
    consumer.start()
    wait_for(lambda: consumer.count("jobs") >= 250, 120, "250 jobs before the kill")
    consumer.kill9()
    at_kill = consumer.count("jobs")
    assert at_kill < 1000, "the kill came too late to test anything"
    consumer.start()
    consumer.wait_drained(1000)
    items = job_items(consumer)
    assert len(items) == 1000
    assert sorted(items) == sorted(f"pkg{n}-1.0-1.fc42" for n in range(1000))


class PacedPublisher(threading.Thread):
    """Publishes messages at a steady pace; through an outage it reconnects and republishes.

    Like any careful publisher it resends a message whose confirm it did not get, with the
    same id: the broker may have stored it, so the consumer may see it twice.
    """

    def __init__(self, port: int, messages: list[Any], per_second: float) -> None:
        super().__init__(daemon=True)
        self.port, self.messages, self.pause = port, messages, 1 / per_second
        self.published = 0
        self.resent = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        bus: Bus | None = None
        try:
            for message in self.messages:
                deadline = time.monotonic() + 120
                while True:
                    try:
                        if bus is None:
                            bus = Bus.attach(self.port, self.exchange)
                        bus.publish(message)
                        break
                    except (pika.exceptions.AMQPError, OSError):
                        bus = None
                        self.resent += 1
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.2)
                self.published += 1
                time.sleep(self.pause)
        except BaseException as err:  # reported by the test
            self.error = err

    exchange = ""


def test_broker_restart_mid_stream(
    private_rabbit: PrivateRabbit, make_consumer: Callable[..., ConsumerProcess]
) -> None:
    """Assert restarting RabbitMQ amid a stream of 1,000 messages gives each job exactly once."""
    bus = Bus(private_rabbit.port)
    consumer = make_consumer(bus, RULES)
    consumer.start()
    publisher = PacedPublisher(private_rabbit.port, [koji_build(n) for n in range(1000)], 250)
    publisher.exchange = bus.exchange
    publisher.start()
    wait_for(lambda: publisher.published >= 300, 60, "300 messages published")
    private_rabbit.stop()
    assert publisher.published < 1000, "the restart came too late to test anything"
    at_stop = consumer.count("jobs")
    time.sleep(1)
    private_rabbit.start()
    publisher.join(180)
    assert publisher.error is None and publisher.published == 1000
    assert publisher.resent > 0  # the publisher did meet the outage
    # the consumer reconnects by itself; persistent messages in the durable queue survived
    consumer.wait_drained(1000, timeout=240)
    assert consumer.alive()
    items = job_items(consumer)
    assert at_stop < len(items) == 1000
    assert sorted(items) == sorted(f"pkg{n}-1.0-1.fc42" for n in range(1000))
    bus.close()


def test_malformed_messages_never_stop_the_consumer(
    bus: Bus, make_consumer: Callable[..., ConsumerProcess]
) -> None:
    """Assert 1,000 malformed messages mixed with 200 good ones: 200 jobs, consumer alive."""
    consumer = make_consumer(bus, RULES)
    consumer.start()
    good = 0
    schema = {"fedora_messaging_schema": "koji_fedoramessaging.build.BuildStateChangeV1"}
    for n in range(1000):
        kind = n % 5
        if kind == 0:  # not JSON at all
            bus.publish_raw("org.fedoraproject.prod.buildsys.build.state.change", b"\xff{oops")
        elif kind == 1:  # its schema refuses it (fedora-messaging drops it before us)
            bus.publish_raw("buildsys.build.state.change", json.dumps({"name": n}).encode(), schema)
        elif kind == 2:  # no schema header: a base Message that our adapter refuses
            bus.publish_raw("buildsys.build.state.change", json.dumps({"new": 1}).encode())
        elif kind == 3:  # a JSON array body
            bus.publish_raw("buildsys.build.state.change", b"[1, 2, 3]")
        else:  # a topic bound by the wildcard but with a body of another kind
            bus.publish_raw("x.buildsys.build.state.change", json.dumps({"tag": n}).encode())
        if n % 5 == 4:
            bus.publish(koji_build(n))
            good += 1
    assert good == 200
    consumer.wait_drained(200)
    time.sleep(1)
    assert consumer.alive()
    assert bus.queue_depth()[0] == 0
    assert len(set(job_items(consumer))) == 200 == consumer.count("jobs")
    assert "dropped" in consumer.logs()


def test_backend_down_for_a_while(
    bus: Bus, make_consumer: Callable[..., ConsumerProcess], tmp_path: Path
) -> None:
    """Assert jobs recorded while the local backend cannot start runs are all run later, in order.

    The backend is "down" because the runner it starts is missing; it comes back when the
    runner appears. Every job then runs once (real runs of checks/dummy) and FINISHES.
    """
    import sys

    runner = tmp_path / "bin" / "checkline"
    consumer = make_consumer(
        bus,
        RULES,
        backend="local",
        local_command=[str(runner)],
        local_max_running=2,
        retry_interval=0.5,
        artifacts=str(tmp_path / "artifacts"),
    )
    consumer.start()
    for n in range(30):
        bus.publish(koji_build(n))
    consumer.wait_drained(30)
    time.sleep(2)  # several retry passes fail meanwhile
    statuses = {row[0] for row in consumer.query("SELECT status FROM jobs")}
    assert statuses <= {"SCHEDULED", "ERROR_SUBMITTING"}
    assert "ERROR_SUBMITTING" in statuses
    runner.parent.mkdir()
    runner.symlink_to(Path(sys.executable).parent / "checkline")  # the backend is back

    def all_finished() -> bool:
        rows = consumer.query("SELECT status FROM jobs")
        return len(rows) == 30 and all(row[0] == "FINISHED" for row in rows)

    wait_for(all_finished, 240, "30 FINISHED jobs")
    rows = consumer.query("SELECT item, uuid, attempts FROM jobs ORDER BY submitted_at, id")
    assert [row[0] for row in rows] == [f"pkg{n}-1.0-1.fc42" for n in range(30)]
    artifacts = sorted(p.name for p in (tmp_path / "artifacts").iterdir())
    assert artifacts == sorted(row[1] for row in rows)  # each job ran exactly once
    assert consumer.alive()


def test_two_consumers_share_queue_and_ledger(
    bus: Bus, make_consumer: Callable[..., ConsumerProcess]
) -> None:
    """Assert two consumers on one queue and one SQLite ledger record each job once."""
    first = make_consumer(bus, RULES)
    first.start()
    second = make_consumer(bus, RULES, db=f"sqlite:///{first.db_path}")  # same ledger
    second.start()
    for n in range(300):
        message = koji_build(n % 150)  # every job asked twice, by two different messages
        bus.publish(message)
    first.wait_drained(300)
    items = job_items(first)
    assert len(items) == 150 == len(set(items))
    for consumer in (first, second):  # both did part of the work
        assert consumer.logs().count("Successfully consumed message") > 10
