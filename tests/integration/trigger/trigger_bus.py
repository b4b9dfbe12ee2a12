"""Helpers for the trigger's integration tests: a private RabbitMQ node, a bus, a consumer.

``PrivateRabbit``: a RabbitMQ node of our own (own node name, ports, data and log folders),
which a test may stop and start. ``Bus``: a fresh topic exchange and queue name on a broker,
publishing real messages like fedora-messaging does. ``ConsumerProcess``: writes the
fedora-messaging TOML and rules, runs ``checkline trigger consume`` and reads its ledger.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pika

REPO = Path(__file__).resolve().parents[3]
MAIN_PORT = 5672


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


class PrivateRabbit:
    """A RabbitMQ node of our own; ``stop()`` and ``start()`` are a real broker restart."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.port = free_port()
        self.node = f"checkline-{uuid.uuid4().hex[:8]}@localhost"
        for sub in ("mnesia", "log"):
            (base / sub).mkdir(parents=True)
        (base / "enabled_plugins").write_text("[].\n")  # no management port to clash
        (base / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.port}\nloopback_users = none\n"
        )
        if os.geteuid() == 0:  # the rabbitmq-server wrapper runs the node as 'rabbitmq'
            base.parent.chmod(0o755)
            base.chmod(0o755)
            shutil.chown(base, "rabbitmq", "rabbitmq")
            for path in base.rglob("*"):
                shutil.chown(path, "rabbitmq", "rabbitmq")
        self.env = {
            **os.environ,
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(base / "log"),
            "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(base / "rabbit.pid"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }
        self.pid: int | None = None

    def start(self) -> None:
        subprocess.run(["rabbitmq-server", "-detached"], env=self.env, check=True, timeout=30)
        wait_for(lambda: port_open(self.port), 60, f"RabbitMQ node {self.node}")
        pid_file = self.base / "rabbit.pid"
        wait_for(lambda: pid_file.is_file() and pid_file.read_text().strip() != "", 10, "pid")
        self.pid = int(pid_file.read_text().strip())

    def stop(self) -> None:
        subprocess.run(
            ["rabbitmqctl", "-n", self.node, "-q", "stop"],
            env=self.env,
            check=False,
            timeout=60,
            capture_output=True,
        )
        if self.pid is not None:
            pid = self.pid
            wait_for(lambda: not _alive(pid), 60, f"RabbitMQ node {self.node} to exit")
        self.pid = None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


class Bus:
    """A fresh durable topic exchange on one broker; publishes like fedora-messaging does."""

    def __init__(self, port: int, declare: bool = True) -> None:
        self.port = port
        suffix = uuid.uuid4().hex[:12]
        self.exchange = f"checkline-test-{suffix}"
        self.queue = f"checkline-trigger-test-{suffix}"
        self._connection: pika.BlockingConnection | None = None
        self._channel: Any = None
        if declare:
            channel = self.channel()
            channel.exchange_declare(self.exchange, exchange_type="topic", durable=True)

    @classmethod
    def attach(cls, port: int, exchange: str) -> Bus:
        """Another connection publishing to an existing exchange."""
        bus = cls(port, declare=False)
        bus.exchange = exchange
        bus.channel()
        return bus

    def channel(self) -> Any:
        if self._connection is not None and self._connection.is_open and self._channel.is_closed:
            self._channel = self._connection.channel()
            self._channel.confirm_delivery()
        if self._connection is None or self._connection.is_closed:
            params = pika.ConnectionParameters(
                "127.0.0.1", self.port, credentials=pika.PlainCredentials("guest", "guest")
            )
            self._connection = pika.BlockingConnection(params)
            self._channel = self._connection.channel()
            self._channel.confirm_delivery()
        return self._channel

    def publish(self, message: Any, prefix: str = "org.fedoraproject.prod.") -> None:
        """Publish a fedora-messaging Message: its headers, id, persistent delivery."""
        self.channel().basic_publish(
            self.exchange,
            prefix + message.topic,
            message._encoded_body,
            message._properties,
        )

    def publish_raw(
        self,
        topic: str,
        body: bytes,
        headers: dict[str, Any] | None = None,
        *,
        message_id: str | None = None,
        content_encoding: str = "utf-8",
    ) -> str:
        """Publish bytes as they are, with the AMQP properties given; the message id."""
        message_id = message_id or str(uuid.uuid4())
        properties = pika.BasicProperties(
            content_type="application/json",
            content_encoding=content_encoding,
            delivery_mode=2,
            headers=headers,
            message_id=message_id,
        )
        self.channel().basic_publish(self.exchange, topic, body, properties)
        return message_id

    def queue_depth(self) -> tuple[int, int]:
        """(ready messages, consumers) of the test's queue; (-1, 0) when it cannot tell."""
        try:
            frame = self.channel().queue_declare(self.queue, passive=True)
        except (pika.exceptions.AMQPError, OSError):
            self._connection = None  # e.g. the broker restarted: reconnect next time
            return -1, 0
        return frame.method.message_count, frame.method.consumer_count

    def close(self) -> None:
        try:
            channel = self.channel()
            channel.queue_delete(self.queue)
            channel.exchange_delete(self.exchange)
            if self._connection is not None:
                self._connection.close()
        except (pika.exceptions.AMQPError, OSError):
            pass


@dataclass
class ConsumerProcess:
    """``checkline trigger consume`` on a fedora-messaging TOML written for one test."""

    workdir: Path
    bus: Bus
    rules: str
    settings: dict[str, Any] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    #: run under fedora-messaging's own command instead of `checkline trigger consume`
    fedora_messaging_cli: bool = False

    @property
    def db_path(self) -> Path:
        return self.workdir / "ledger.sqlite"

    def write_config(self) -> Path:
        (self.workdir / "rules.yml").write_text(self.rules)
        section = {
            "db": f"sqlite:///{self.db_path}",
            "rules": str(self.workdir / "rules.yml"),
            "queue": self.bus.queue,
            "exchange": self.bus.exchange,
            "backend": "none",
            **self.settings,
        }
        lines = [
            f'amqp_url = "amqp://guest:guest@127.0.0.1:{self.bus.port}/%2F"',
            "[qos]",
            "prefetch_size = 0",
            "prefetch_count = 25",
            "[client_properties]",
            'app = "checkline-trigger-tests"',
            *(self._queue_and_bindings() if self.fedora_messaging_cli else []),
            "[consumer_config.checkline]",
            *(f"{key} = {json.dumps(value)}" for key, value in section.items()),
        ]
        conf = self.workdir / "fedora-messaging.toml"
        conf.write_text("\n".join(lines) + "\n")
        return conf

    def _queue_and_bindings(self) -> list[str]:
        """What `checkline trigger consume` computes, written out for fedora-messaging."""
        return [
            f'[queues."{self.bus.queue}"]',
            "durable = true",
            "auto_delete = false",
            "exclusive = false",
            "arguments = {}",
            "[[bindings]]",
            f'queue = "{self.bus.queue}"',
            f'exchange = "{self.bus.exchange}"',
            'routing_keys = ["#.buildsys.build.state.change"]',
        ]

    def start(self) -> None:
        conf = self.write_config()
        self.starts += 1
        log = open(self.workdir / f"consumer-{self.starts}.log", "wb")
        bin_dir = Path(sys.executable).parent
        argv = [str(bin_dir / "checkline"), "trigger", "consume", "--config", str(conf)]
        if self.fedora_messaging_cli:
            argv = [str(bin_dir / "fedora-messaging"), "--conf", str(conf), "consume"]
            argv += ["--callback", "checkline.trigger.consumer:Consumer"]
        self.proc = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
        )
        log.close()
        wait_for(self._consuming, 60, "the consumer to attach to its queue")

    def _consuming(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"consumer exited {self.proc.returncode}:\n{self.logs()}")
        return self.bus.queue_depth()[1] >= 1

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.alive():
            assert self.proc is not None
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def logs(self) -> str:
        return "\n".join(
            p.read_text(errors="replace") for p in sorted(self.workdir.glob("consumer-*.log"))
        )

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if not self.db_path.exists():
            return []
        with sqlite3.connect(self.db_path, timeout=30) as conn:
            return list(conn.execute(sql))

    def count(self, table: str) -> int:
        rows = self.query(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
        return int(rows[0][0]) if rows else 0

    def wait_drained(self, messages: int, timeout: float = 180) -> None:
        """Until ``messages`` message ids are in the ledger and the queue is empty."""

        def drained() -> bool:
            if not self.alive():  # fail now, not at the timeout
                code = self.proc.returncode if self.proc else None
                raise AssertionError(f"consumer exited {code}")
            ready, _ = self.bus.queue_depth()
            return ready == 0 and self.count("messages") >= messages

        try:
            wait_for(drained, timeout, f"{messages} messages recorded")
        except AssertionError as err:
            raise AssertionError(
                f"{err}; recorded {self.count('messages')}; logs:\n{self.logs()[-3000:]}"
            ) from None
