"""A consumer on real RabbitMQ: real messages in, the expected jobs out, through faults."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pika
import publish
import pytest
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
    """Assert `fedora-messaging consume --callback ...trigger.consumer:Consumer` records jobs."""
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
        artifacts_root=str(tmp_path / "artifacts"),
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


# -- undecodable and hostile messages --------------------------------------------------------

TOPIC = "org.fedoraproject.prod.buildsys.build.state.change"


def koji_raw(n: int, **overrides: Any) -> tuple[bytes, dict[str, Any]]:
    """Build ``pkg<n>`` as the bytes and headers fedora-messaging sends; ``overrides`` replace
    body keys."""
    message = koji_build(n)
    body = {**message.body, **overrides}
    return json.dumps(body).encode(), dict(message._properties.headers)


def lines_naming(consumer: ConsumerProcess, msg_id: str, *words: str) -> list[str]:
    """The consumer's log lines naming ``msg_id`` as it is logged (escaped, ``%r``) and every
    one of ``words``."""
    return [
        line
        for line in consumer.logs().splitlines()
        if repr(msg_id) in line and all(word in line for word in words)
    ]


def poison(kind: str) -> tuple[bytes, dict[str, Any], str, str]:
    """A message fedora-messaging cannot turn into a Message: body, headers, content
    encoding, and what the drop line must say about it."""
    body, headers = koji_raw(900)
    if kind == "unknown-encoding":
        return body, headers, "x-bogus", "content_encoding 'x-bogus'"
    if kind == "schema-header-list":
        listed = {**headers, "fedora_messaging_schema": [headers["fedora_messaging_schema"]]}
        return body, listed, "utf-8", "fedora_messaging_schema"
    if kind == "nested-100000-deep":
        return b"[" * 100_000 + b"]" * 100_000, headers, "utf-8", "nested too deep"
    assert kind == "refused-by-schema"
    return koji_raw(900, name=1)[0], headers, "utf-8", "name: 1 is not of type 'string'"


POISONS = ["unknown-encoding", "schema-header-list", "nested-100000-deep", "refused-by-schema"]


def publish_poison(bus: Bus, kind: str) -> tuple[str, str]:
    """Publish one poison message of ``kind``; its id and the reason its drop line names."""
    body, headers, encoding, reason = poison(kind)
    msg_id = bus.publish_raw(
        TOPIC, body, headers, message_id=f"poison-{kind}", content_encoding=encoding
    )
    return msg_id, reason


@pytest.mark.parametrize("kind", POISONS)
def test_undecodable_message_is_dropped_and_the_next_consumed(
    bus: Bus, make_consumer: Callable[..., ConsumerProcess], kind: str
) -> None:
    """Assert a message fedora-messaging cannot decode is dropped with one line naming its id
    and why; the consumer lives on and takes the next message."""
    consumer = make_consumer(bus, RULES)
    consumer.start()
    msg_id, reason = publish_poison(bus, kind)
    bus.publish(koji_build(1))
    consumer.wait_drained(1, timeout=60)
    assert consumer.alive()
    assert job_items(consumer) == ["pkg1-1.0-1.fc42"]
    assert bus.queue_depth()[0] == 0
    assert len(lines_naming(consumer, msg_id, "dropped", reason)) == 1, consumer.logs()[-3000:]


def test_fedora_messaging_cli_drops_undecodable_messages(
    bus: Bus, make_consumer: Callable[..., ConsumerProcess]
) -> None:
    """Assert under `fedora-messaging consume --callback ...consumer:Consumer` too, every
    undecodable message is dropped with a line naming it, and the message after it consumed."""
    consumer = make_consumer(bus, RULES)
    consumer.fedora_messaging_cli = True
    consumer.start()
    dropped = []
    for n, kind in enumerate(POISONS):
        dropped.append(publish_poison(bus, kind))
        bus.publish(koji_build(n))
    consumer.wait_drained(len(POISONS), timeout=60)
    assert consumer.alive()
    assert sorted(job_items(consumer)) == sorted(f"pkg{n}-1.0-1.fc42" for n in range(4))
    assert bus.queue_depth()[0] == 0
    for msg_id, reason in dropped:
        assert len(lines_naming(consumer, msg_id, "dropped", reason)) == 1, msg_id


def test_newlines_in_message_values_forge_no_log_line(
    bus: Bus, make_consumer: Callable[..., ConsumerProcess]
) -> None:
    """Assert newlines in a message id, a topic and a body value are logged escaped: no line
    of the log is one the sender wrote."""
    consumer = make_consumer(bus, RULES)
    consumer.start()
    by_id = koji_build(1)
    by_id.id = "abc\nFORGED line from an id"
    bus.publish(by_id, prefix="org.fedoraproject.prod.x\nFORGED line from a topic.")
    body, headers = koji_raw(2, name="pkg2\nFORGED line from a name")
    bus.publish_raw(TOPIC, body, headers, message_id="by-name")
    bad, headers = koji_raw(3, name=3)
    bus.publish_raw(TOPIC, bad, headers, message_id="def\nFORGED line from a dropped id")
    bus.publish(koji_build(4))
    consumer.wait_drained(2, timeout=60)  # by-name is dropped: no job can run its item
    assert len(job_items(consumer)) == 2
    logs = consumer.logs()
    assert not [line for line in logs.splitlines() if line.lstrip().startswith("FORGED")]
    assert lines_naming(consumer, "abc\nFORGED line from an id", "1 job(s) recorded")
    assert lines_naming(consumer, "by-name", "dropped", "pkg2\\nFORGED line from a name")
    assert lines_naming(consumer, "def\nFORGED line from a dropped id", "dropped")


def test_lone_surrogate_is_dropped_with_one_line_no_traceback(
    bus: Bus, make_consumer: Callable[..., ConsumerProcess]
) -> None:
    """Assert a body holding a lone surrogate (valid JSON, not storable text) is dropped at
    once, with one line naming its id and the field, no traceback and no retries."""
    consumer = make_consumer(bus, RULES)
    consumer.start()
    body, headers = koji_raw(1, name="pkg\udcff")  # json.dumps writes it as "\udcff"
    assert b'"pkg\\udcff"' in body
    bus.publish_raw(TOPIC, body, headers, message_id="surrogate-1")
    bus.publish(koji_build(2))
    consumer.wait_drained(1, timeout=60)
    assert consumer.alive()
    assert job_items(consumer) == ["pkg2-1.0-1.fc42"]
    assert bus.queue_depth()[0] == 0
    assert len(lines_naming(consumer, "surrogate-1")) == 1, consumer.logs()[-3000:]
    assert len(lines_naming(consumer, "surrogate-1", "dropped", "name")) == 1
    assert "Traceback" not in consumer.logs()


def test_each_message_logs_one_line_with_its_jobs(
    bus: Bus, make_consumer: Callable[..., ConsumerProcess]
) -> None:
    """Assert the consumer logs, for each message, the jobs it recorded, the ones the dedup
    window held back, or that it saw the message before."""
    consumer = make_consumer(bus, RULES)
    consumer.start()
    first = koji_build(1)
    first.id = "jobs-first"
    again = koji_build(1)  # the same build, another message: within the dedup window
    again.id = "jobs-again"
    for message in (first, again, first):
        bus.publish(message)
    consumer.wait_drained(2, timeout=60)
    wait_for(lambda: len(lines_naming(consumer, "jobs-first")) >= 2, 10, "two lines")
    assert lines_naming(
        consumer, "jobs-first", "'pkg1-1.0-1.fc42'", "1 job(s) recorded (dummy/x86_64)"
    )
    assert lines_naming(consumer, "jobs-again", "0 job(s) recorded", "1 within the dedup window")
    assert lines_naming(consumer, "jobs-first", "seen before")


def test_dropped_messages_kept_by_a_dead_letter_policy(
    bus: Bus, make_consumer: Callable[..., ConsumerProcess]
) -> None:
    """Assert the README's recipe: with a dead-letter policy on the trigger's queue, every
    message the consumer drops (undecodable, or refused by its schema) is kept, whole, in the
    dead-letter queue for an operator to inspect, and the valid one is consumed."""
    if not shutil.which("rabbitmqctl"):
        pytest.skip("!!! rabbitmqctl is not installed: the dead-letter test DID NOT RUN !!!")
    policy, dead = f"{bus.queue}-dlx", f"{bus.exchange}.dead"
    channel = bus.channel()
    channel.exchange_declare(dead, exchange_type="fanout", durable=False, auto_delete=True)
    channel.queue_declare(dead, durable=False, auto_delete=False)
    channel.queue_bind(dead, dead)
    subprocess.run(
        ["rabbitmqctl", "-q", "set_policy", policy, f"^{bus.queue}$",
         json.dumps({"dead-letter-exchange": dead}), "--apply-to", "queues"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    try:
        consumer = make_consumer(bus, RULES)
        consumer.start()
        dropped = [
            publish_poison(bus, kind)[0] for kind in ("unknown-encoding", "refused-by-schema")
        ]
        bus.publish(koji_build(1))
        consumer.wait_drained(1, timeout=60)
        assert job_items(consumer) == ["pkg1-1.0-1.fc42"]
        kept = []
        for _ in dropped:
            method, properties, _body = bus.channel().basic_get(dead, auto_ack=True)
            assert method is not None, "a dropped message is not in the dead-letter queue"
            assert properties.headers["x-death"][0]["reason"] == "rejected"
            kept.append(properties.message_id)
        assert sorted(kept) == sorted(dropped)
    finally:
        subprocess.run(["rabbitmqctl", "-q", "clear_policy", policy], check=False,
                       capture_output=True, timeout=60)  # fmt: skip
        bus.channel().queue_delete(dead)
