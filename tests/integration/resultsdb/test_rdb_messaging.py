"""Publishing through fedora-messaging to a real RabbitMQ, through a broker outage."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pika
import pytest
import requests
from rdb_server import free_port, start_server, stop_server

BROKER = ("127.0.0.1", 5672)


class TcpProxy:
    """Forwards a local port to the broker; ``stop()`` is an outage, ``start()`` the end of it."""

    def __init__(self, port: int, target: tuple[str, int]) -> None:
        self.port, self.target = port, target
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self) -> None:
        if self.listener is not None:
            try:
                self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            except OSError:
                pass
            self.listener.close()
        for sock in self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            except OSError:
                pass
        self.sockets = []


@pytest.fixture(scope="module")
def broker() -> None:
    try:
        socket.create_connection(BROKER, timeout=3).close()
    except OSError:
        pytest.skip(
            "!!! RabbitMQ is not reachable on 127.0.0.1:5672: the messaging tests DID "
            "NOT RUN (make test starts it: scripts/ensure-rabbitmq.sh) !!!"
        )


class Listener:
    """A queue bound to resultsdb.result.new on amq.topic, read with pika."""

    def __init__(self) -> None:
        params = pika.ConnectionParameters(
            *BROKER, credentials=pika.PlainCredentials("guest", "guest")
        )
        self.connection = pika.BlockingConnection(params)
        self.channel = self.connection.channel()
        self.queue = self.channel.queue_declare("", exclusive=True).method.queue
        self.channel.queue_bind(self.queue, "amq.topic", routing_key="resultsdb.result.new")

    def wait(self, count: int, timeout: float) -> list[dict[str, Any]]:
        bodies: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(bodies) < count and time.monotonic() < deadline:
            method, _props, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                self.connection.sleep(0.1)
                continue
            bodies.append(json.loads(body))
        return bodies


@pytest.fixture
def publishing_server(broker: None, tmp_path: Path) -> Iterator[Any]:
    # The messaging path is the same on both databases: SQLite only.
    proxy = TcpProxy(free_port(), BROKER)
    proxy.start()
    conf = tmp_path / "fedora-messaging.toml"
    conf.write_text(
        f'amqp_url = "amqp://guest:guest@127.0.0.1:{proxy.port}/%2F"\n'
        'publish_exchange = "amq.topic"\ntopic_prefix = ""\n'
        '[client_properties]\napp = "checkline-resultsdb-tests"\n'
    )
    env = {
        **os.environ,
        "FEDORA_MESSAGING_CONF": str(conf),
        "CHECKLINE_RESULTSDB_PUBLISH": "fedora-messaging",
    }
    url = f"sqlite:///{tmp_path / 'published.sqlite'}"
    proc, server = start_server(url, tmp_path / "server.log", env=env, workers=2)
    yield server, proxy
    stop_server(proc)
    proxy.stop()


def post(server: Any, **overrides: Any) -> tuple[dict[str, Any], float]:
    body = {"outcome": "PASSED", "testcase": "dist.rpmlint", "data": {"item": "pkg-1-1.fc40"}}
    body.update(overrides)
    started = time.monotonic()
    response = requests.post(f"{server.api}/results", json=body, timeout=30)
    assert response.status_code == 201, response.text
    return response.json(), time.monotonic() - started


def test_results_reach_the_bus(publishing_server: Any) -> None:
    """Assert every new result is published once on resultsdb.result.new, as its v2 JSON."""
    server, _proxy = publishing_server
    listener = Listener()
    documents = [post(server, note=f"n{i}")[0] for i in range(3)]
    received = listener.wait(3, timeout=30)
    assert sorted(received, key=lambda d: d["id"]) == documents
    assert listener.wait(1, timeout=2) == []  # and nothing twice


def test_broker_outage_fails_and_slows_no_post(publishing_server: Any) -> None:
    """Assert POSTs during an outage answer at once, and their messages arrive once after."""
    server, proxy = publishing_server
    listener = Listener()
    proxy.stop()
    posted = [post(server, note=f"during outage {i}") for i in range(3)]
    assert all(elapsed < 2.0 for _, elapsed in posted), [e for _, e in posted]
    time.sleep(1)
    proxy.start()
    received = listener.wait(3, timeout=90)
    assert sorted(d["id"] for d in received) == [d["id"] for d, _ in posted]
    assert listener.wait(1, timeout=3) == []
