"""The consumer callback: called directly with real messages, as fedora-messaging would."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fedora_messaging.exceptions import Drop, Nack
from fedora_messaging.message import Message
from trigger_factories import FakeBackend, bodhi_update, koji_build

from checkline.trigger import consumer as consumer_module
from checkline.trigger.config import TriggerSettings
from checkline.trigger.consumer import Consumer
from checkline.trigger.ledger import Ledger
from checkline.trigger.rules import parse_rules
from checkline.trigger.service import Trigger

RULES = [
    {"when": {"item_type": "koji_build"}, "do": [{"tasks": ["dummy", "nvr-sanity"]}]},
    {"when": {"item_type": "bodhi_update"}, "do": [{"tasks": ["dummy"], "arches": ["noarch"]}]},
]


@pytest.fixture(autouse=True)
def no_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(consumer_module, "TRANSIENT_PAUSE", 0)


@pytest.fixture(autouse=True)
def process_kept(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Undo what Consumer() does to the process (consumer.harden) after each test."""
    from fedora_messaging.twisted import consumer as fm_consumer

    monkeypatch.setattr(fm_consumer, "get_message", fm_consumer.get_message)
    ours = logging.getLogger("checkline.trigger")
    level = ours.level
    yield
    ours.setLevel(level)


def make_consumer(tmp_path: Path, backend: Any = None, busy_timeout: float = 30) -> Consumer:
    settings = TriggerSettings(db=f"sqlite:///{tmp_path / 'ledger.sqlite'}", backend="none")
    rules = parse_rules(RULES, "rules.yml", settings.checks_dir, ("x86_64",))
    ledger = Ledger(settings.db, busy_timeout=busy_timeout)
    return Consumer(trigger=Trigger(settings, rules=rules, ledger=ledger, backend=backend))


def test_message_to_jobs(tmp_path: Path) -> None:
    """Assert a Koji build message records one job per task, tied to the message id."""
    consumer = make_consumer(tmp_path)
    msg = koji_build()
    consumer(msg)
    jobs = consumer.trigger.ledger.list()
    assert [(j["taskname"], j["arch"], j["msg_id"]) for j in jobs] == [
        ("dummy", "x86_64", msg.id),
        ("nvr-sanity", "x86_64", msg.id),
    ]
    consumer(msg)  # redelivered
    assert len(consumer.trigger.ledger.list()) == 2


def test_malformed_and_unknown_are_dropped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Assert unknown topics and refused bodies raise Drop and are logged with their id."""
    consumer = make_consumer(tmp_path)
    for msg in (
        Message(body={"a": 1}, topic="org.fedoraproject.prod.wiki.edit"),
        Message(body={"update": 5}, topic=bodhi_update().topic),
    ):
        with pytest.raises(Drop):
            consumer(msg)
        assert f"message {msg.id!r} dropped" in caplog.text
    assert consumer.trigger.ledger.list() == []


def test_locked_ledger_nacks(tmp_path: Path) -> None:
    """Assert a locked database nacks the message; once free, the message records its jobs."""
    consumer = make_consumer(tmp_path, busy_timeout=0.1)
    other = sqlite3.connect(tmp_path / "ledger.sqlite", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    msg = koji_build()
    with pytest.raises(Nack):
        consumer(msg)
    other.execute("ROLLBACK")
    other.close()
    consumer(msg)
    assert len(consumer.trigger.ledger.list()) == 2


def test_bug_nacks_then_drops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Assert an unexpected exception never escapes: Nack twice, then Drop, logged with the id."""
    consumer = make_consumer(tmp_path)

    def broken(event: Any) -> list[Any]:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(consumer.trigger.rules, "jobs_for", broken)
    msg = koji_build()
    with pytest.raises(Nack):
        consumer(msg)
    with pytest.raises(Nack):
        consumer(msg)
    with pytest.raises(Drop):
        consumer(msg)
    assert f"message {msg.id!r} failed (1/3)" in caplog.text
    assert "ZeroDivisionError: a bug" in caplog.text
    assert f"message {msg.id!r} dropped after 3 failures" in caplog.text


def test_jobs_reach_the_backend(tmp_path: Path) -> None:
    """Assert with a submitting backend the dispatcher thread submits the recorded jobs."""
    import time

    backend = FakeBackend()
    consumer = make_consumer(tmp_path, backend=backend)
    try:
        consumer(bodhi_update())
        deadline = time.monotonic() + 5
        while not backend.submitted and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        consumer.trigger.close()
    assert [(j["taskname"], j["arch"]) for j in backend.submitted] == [("dummy", "noarch")]


def test_consumer_reads_fedora_messaging_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fixtures_dir: Path
) -> None:
    """Assert Consumer() (as `fedora-messaging consume --callback` makes it) reads its section."""
    from fedora_messaging import config as fm_config

    db = tmp_path / "from-config.sqlite"
    rules = tmp_path / "rules.yml"
    rules.write_text("- {when: {item_type: koji_build}, do: [{tasks: [dummy]}]}\n")
    monkeypatch.setitem(
        fm_config.conf,
        "consumer_config",
        {"checkline": {"db": f"sqlite:///{db}", "rules": str(rules), "valid_arches": ["ppc64le"]}},
    )
    consumer = Consumer()
    consumer(koji_build())
    assert [(j["taskname"], j["arch"]) for j in consumer.trigger.ledger.list()] == [
        ("dummy", "ppc64le")
    ]
    assert db.exists()


def test_consumer_prunes_now_and_then(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Assert the consumer prunes the ledger every PRUNE_EVERY messages."""
    monkeypatch.setattr(consumer_module, "PRUNE_EVERY", 2)
    consumer = make_consumer(tmp_path)
    calls: list[float] = []
    monkeypatch.setattr(consumer.trigger.ledger, "prune", lambda keep: calls.append(keep) or (0, 0))
    for n in range(5):
        consumer(koji_build(build_id=n, name=f"p{n}"))
    assert calls == [7 * 86400.0, 7 * 86400.0]


def test_each_message_logs_one_line_with_its_jobs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Assert every message handled gets one INFO line: its item and jobs, the jobs the dedup
    window held back, that it was seen before, or that it schedules nothing."""
    caplog.set_level(logging.INFO, logger="checkline.trigger")
    consumer = make_consumer(tmp_path)
    first, again, building = koji_build(), koji_build(), koji_build(new=0)
    for message in (first, again, first, building):
        consumer(message)
    lines = [r.getMessage() for r in caplog.records if r.name == "checkline.trigger.consumer"]
    topic = "'buildsys.build.state.change'"
    item = "koji_build 'python-requests-2.32.3-1.fc42'"
    assert lines == [
        f"message {first.id!r} ({topic}): {item}: "
        "2 job(s) recorded (dummy/x86_64, nvr-sanity/x86_64)",
        f"message {again.id!r} ({topic}): {item}: "
        "0 job(s) recorded, 2 within the dedup window (dummy/x86_64, nvr-sanity/x86_64)",
        f"message {first.id!r} ({topic}): {item}: seen before, nothing recorded",
        f"message {building.id!r} ({topic}): schedules nothing",
    ]


def test_untrusted_values_are_logged_escaped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Assert a newline in a message id, a topic or an item never reaches a log line raw."""
    caplog.set_level(logging.INFO, logger="checkline.trigger")
    consumer = make_consumer(tmp_path)
    refused = koji_build(name="pkg\nFORGED name")
    refused.id = "a\nFORGED id"
    dropped = Message(body={"a": 1}, topic="wiki\nFORGED topic")
    dropped.id = "b\nFORGED id"
    with pytest.raises(Drop):  # a line break in its item: no job could run it
        consumer(refused)
    with pytest.raises(Drop):
        consumer(dropped)
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("checkline.trigger")]
    assert len(lines) == 2
    assert not [line for line in lines if "\n" in line]
    assert "'a\\nFORGED id'" in lines[0] and "'pkg\\nFORGED name-2.32.3-1.fc42'" in lines[0]
    assert "'b\\nFORGED id'" in lines[1] and "'wiki\\nFORGED topic'" in lines[1]


def test_lone_surrogate_is_dropped_at_once_without_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Assert a body string holding a lone surrogate is dropped on its first delivery, with
    one line naming the message and the field, no traceback: it is malformed, not a bug."""
    consumer = make_consumer(tmp_path)
    msg = koji_build(name="pkg\udcff")
    with pytest.raises(Drop):
        consumer(msg)
    assert [r.getMessage() for r in caplog.records] == [
        f"message {msg.id!r} dropped: 'buildsys.build.state.change': "
        "name: 'pkg\\udcff' holds a lone surrogate"
    ]
    assert not [r for r in caplog.records if r.exc_info]
    assert consumer.trigger.ledger.list() == []


def test_consumer_built_by_fedora_messaging_hardens_the_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Assert Consumer() (as `fedora-messaging consume --callback` makes it) makes
    fedora-messaging's consumer decode through trigger.decoding and escape its log lines."""
    from fedora_messaging import config as fm_config
    from fedora_messaging import message as fm_message
    from fedora_messaging.twisted import consumer as fm_consumer

    from checkline.trigger import decoding
    from checkline.trigger.logsafe import EscapingFilter

    handler = logging.StreamHandler()
    monkeypatch.setattr(logging.getLogger(), "handlers", [handler])  # what setup_logging made
    monkeypatch.setattr(fm_consumer, "get_message", fm_message.get_message)
    logging.getLogger("checkline.trigger").setLevel(logging.NOTSET)  # as fedora-messaging leaves it
    rules = tmp_path / "rules.yml"
    rules.write_text("- {when: {item_type: koji_build}, do: [{tasks: [dummy]}]}\n")
    section = {"db": f"sqlite:///{tmp_path / 'l.sqlite'}", "rules": str(rules), "backend": "none"}
    monkeypatch.setitem(fm_config.conf, "consumer_config", {"checkline": section})
    Consumer()
    assert fm_consumer.get_message is decoding.read_message  # type: ignore[attr-defined]
    assert [type(f) for f in handler.filters] == [EscapingFilter]
    assert logging.getLogger("checkline.trigger").level == logging.INFO
