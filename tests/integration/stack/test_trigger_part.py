"""The stack's trigger part on the machine's RabbitMQ: ``up`` reports a consumer only once it
consumes, ``down`` removes the durable queue it declared unless told to keep it.

The part alone (``trigger_up`` and ``checkline stack down``), not a whole stack: the other
parts take a minute to start and play no role here.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pika
import pytest
from click.testing import CliRunner
from rdb_server import free_port

from checkline.stack.cli import stack_group
from checkline.stack.parts import (
    PartError,
    PartState,
    StackContext,
    alive,
    stop_pid,
    trigger_queue,
    trigger_up,
)
from checkline.stack.settings import StackSettings

AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
GOOD_RULES = "- {when: {item_type: koji_build}, do: [{tasks: [dummy]}]}\n"
#: A task the checks repo lacks: `checkline trigger consume` exits before it reads anything.
DEADLY_RULES = "- {when: {item_type: koji_build}, do: [{tasks: [no-such-task]}]}\n"


@pytest.fixture
def broker() -> Iterator[pika.adapters.blocking_connection.BlockingChannel]:
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=2).close()
    except OSError:
        pytest.skip("!!! RabbitMQ is not reachable on 127.0.0.1:5672: the stack's trigger "
                    "part tests DID NOT RUN (scripts/ensure-rabbitmq.sh) !!!")  # fmt: skip
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    yield connection.channel()
    if connection.is_open:
        connection.close()


def queue_state(queue: str) -> tuple[int, int] | None:
    """(messages, consumers) of ``queue``, or None when it does not exist."""
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    try:
        frame = connection.channel().queue_declare(queue, passive=True)
        return frame.method.message_count, frame.method.consumer_count
    except pika.exceptions.ChannelClosedByBroker:
        return None
    finally:
        if connection.is_open:
            connection.close()


def stack_context(tmp_path: Path, rules: str) -> StackContext:
    """A state dir whose rabbitmq part found the machine's broker, as `up` records it."""
    state = tmp_path / "state"
    state.mkdir()
    rabbit = PartState("amqp://127.0.0.1:5672/", None, started=False)
    (state / "stack.json").write_text(json.dumps({"rabbitmq": rabbit.to_json()}))
    (tmp_path / "rules.yml").write_text(rules)
    settings = StackSettings(
        amqp_url=AMQP_URL,
        rules=str(tmp_path / "rules.yml"),
        buildbot_port=free_port(),  # nothing there: the consumer does not need it to start
        valid_arches=("x86_64",),
    )
    return StackContext(state, settings)


def record(ctx: StackContext, trigger: PartState) -> None:
    """Write the trigger part into stack.json, as `up` does, for `stack down` to find it."""
    path = ctx.path("stack.json")
    parts: dict[str, Any] = json.loads(path.read_text())
    path.write_text(json.dumps({**parts, "trigger": trigger.to_json()}))


def gone(pid: int, within: float = 30) -> bool:
    """True once ``pid`` exited (a zombie counts: this process started it, and reaps late)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def cleanup(
    broker: pika.adapters.blocking_connection.BlockingChannel,
) -> Iterator[list[tuple[StackContext, PartState | None]]]:
    """Parts to stop and queues to delete at the end, whatever the test did."""
    made: list[tuple[StackContext, PartState | None]] = []
    yield made
    for ctx, part in made:
        if part is not None:
            stop_pid(part.pid)
        broker.queue_delete(trigger_queue(ctx))


def test_up_reports_a_consumer_that_died_though_its_queue_exists(
    tmp_path: Path,
    broker: pika.adapters.blocking_connection.BlockingChannel,
    cleanup: list[tuple[StackContext, PartState | None]],
) -> None:
    """Assert `up` fails, naming the trigger's log, when the consumer exits at once while its
    durable queue is there already (left by an earlier stack on the shared broker)."""
    ctx = stack_context(tmp_path, DEADLY_RULES)
    cleanup.append((ctx, None))
    broker.queue_declare(trigger_queue(ctx), durable=True)
    with pytest.raises(PartError, match="the trigger consumer exited"):
        cleanup.append((ctx, trigger_up(ctx)))


def test_up_returns_once_the_consumer_consumes_and_down_deletes_its_queue(
    tmp_path: Path, cleanup: list[tuple[StackContext, PartState | None]]
) -> None:
    """Assert `up` returns with the consumer attached to its queue, and `stack down` stops it
    and deletes the queue it declared."""
    ctx = stack_context(tmp_path, GOOD_RULES)
    part = trigger_up(ctx)
    cleanup.append((ctx, part))
    queue = trigger_queue(ctx)
    assert queue_state(queue) == (0, 1)
    record(ctx, part)
    down = CliRunner().invoke(stack_group, ["down", "--state-dir", str(ctx.state_dir)])
    assert down.exit_code == 0, down.output
    assert part.pid is not None and gone(part.pid)
    assert queue_state(queue) is None


def test_down_keeps_the_queue_when_told(
    tmp_path: Path, cleanup: list[tuple[StackContext, PartState | None]]
) -> None:
    """Assert `stack down --keep-queue` stops the consumer and leaves its queue, which keeps
    the messages published meanwhile for the next `up`."""
    ctx = stack_context(tmp_path, GOOD_RULES)
    part = trigger_up(ctx)
    cleanup.append((ctx, part))
    record(ctx, part)
    args = ["down", "--keep-queue", "--state-dir", str(ctx.state_dir)]
    down = CliRunner().invoke(stack_group, args)
    assert down.exit_code == 0, down.output
    assert part.pid is not None and gone(part.pid)
    deadline = time.monotonic() + 10  # the broker notices the closed connection soon after
    while queue_state(trigger_queue(ctx)) != (0, 0) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert queue_state(trigger_queue(ctx)) == (0, 0)
