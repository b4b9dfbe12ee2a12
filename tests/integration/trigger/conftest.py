"""Real RabbitMQ for the trigger's integration tests, and real consumer processes.

``amqp_port``: the machine's RabbitMQ on 127.0.0.1:5672 (started by scripts/ensure-rabbitmq.sh
when it is not answering), shared with other tests: every test uses its own exchange and
queue (uuid suffix) and never stops it. ``private_rabbit``: a node of our own to restart.
``bus``: a fresh exchange on the machine's broker. ``make_consumer(bus, rules, **settings)``:
a ``checkline trigger consume`` process (stopped at the end).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from trigger_bus import MAIN_PORT, REPO, Bus, ConsumerProcess, PrivateRabbit, port_open


@pytest.fixture(scope="session")
def amqp_port() -> int:
    if not port_open(MAIN_PORT):
        subprocess.run(["bash", str(REPO / "scripts" / "ensure-rabbitmq.sh")], check=False)
    if not port_open(MAIN_PORT):
        pytest.skip(
            "!!! RabbitMQ is not reachable on 127.0.0.1:5672 and could not be started: the "
            "trigger's messaging tests DID NOT RUN (scripts/ensure-rabbitmq.sh) !!!"
        )
    return MAIN_PORT


@pytest.fixture
def private_rabbit() -> Iterator[PrivateRabbit]:
    if not shutil.which("rabbitmq-server"):
        pytest.skip("!!! rabbitmq-server is not installed: the broker-restart test DID NOT RUN !!!")
    # Not under pytest's tmp: its folders are private to root, and the node runs as 'rabbitmq'.
    base = Path(tempfile.mkdtemp(prefix="checkline-rabbit-")) / "node"
    rabbit = PrivateRabbit(base)
    try:
        rabbit.start()
        yield rabbit
    finally:
        rabbit.stop()
        shutil.rmtree(base.parent, ignore_errors=True)


@pytest.fixture
def bus(amqp_port: int) -> Iterator[Bus]:
    the_bus = Bus(amqp_port)
    yield the_bus
    the_bus.close()


@pytest.fixture
def make_consumer(tmp_path: Path) -> Iterator[Callable[..., ConsumerProcess]]:
    made: list[ConsumerProcess] = []

    def make(bus: Bus, rules: str, **settings: Any) -> ConsumerProcess:
        workdir = tmp_path / f"consumer{len(made)}"
        workdir.mkdir()
        consumer = ConsumerProcess(workdir, bus, rules, settings)
        made.append(consumer)
        return consumer

    yield make
    for consumer in made:
        consumer.stop()
