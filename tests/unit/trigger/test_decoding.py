"""trigger.decoding: fedora-messaging's decoding, whatever the bytes, failing only one way."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pika
import pytest
from fedora_messaging import message as fm_message
from fedora_messaging.exceptions import ValidationError
from fedora_messaging.twisted import consumer as fm_consumer
from koji_fedoramessaging_messages.build import BuildStateChangeV1
from trigger_factories import koji_build

from checkline.trigger import decoding

TOPIC = "org.fedoraproject.prod.buildsys.build.state.change"


def properties(**overrides: Any) -> Any:
    """The properties fedora-messaging sends with a Koji build message."""
    values: dict[str, Any] = {
        "content_type": "application/json",
        "content_encoding": "utf-8",
        "headers": dict(koji_build()._properties.headers),
        "message_id": "m-1",
        **overrides,
    }
    return pika.BasicProperties(**values)


def koji_body(**overrides: Any) -> bytes:
    return json.dumps({**koji_build().body, **overrides}).encode()


def test_a_good_message_is_read_as_fedora_messaging_reads_it() -> None:
    """Assert a valid delivery gives its schema's class, body and id, as before."""
    message = decoding.read_message(TOPIC, properties(), koji_body())
    assert isinstance(message, BuildStateChangeV1)
    assert (message.id, message.topic, message.body) == ("m-1", TOPIC, koji_build().body)


@pytest.mark.parametrize(
    ("props", "body", "reason"),
    [
        ({"content_encoding": "x-bogus"}, koji_body(), "content_encoding 'x-bogus' is not a text"),
        ({"content_encoding": "base64"}, koji_body(), "content_encoding 'base64' is not a text"),
        (
            {"headers": {"fedora_messaging_schema": ["a"]}},
            koji_body(),
            "header fedora_messaging_schema is a list: ['a']",
        ),
        ({}, b"[" * 100_000 + b"]" * 100_000, "body nested too deep to decode"),
        ({}, b"\xff{", "body is not utf-8: invalid start byte at byte 0"),
        ({}, b"{oops", "body is not JSON: Expecting property name"),
        ({}, koji_body(name=1), "refused by its schema: name: 1 is not of type 'string'"),
        (
            {"headers": {**koji_build()._properties.headers, "fedora_messaging_severity": "x"}},
            koji_body(),
            "refused by its schema: fedora_messaging_severity: 'x' is not of type 'number'",
        ),
    ],
)
def test_any_failure_is_a_validation_error_logged_once(
    props: dict[str, Any], body: bytes, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Assert whatever fails while decoding raises fedora-messaging's ValidationError (which
    its consumer drops), after one line naming the message id and why."""
    with pytest.raises(ValidationError) as raised:
        decoding.read_message(TOPIC, properties(**props), body)
    assert str(raised.value).startswith(reason)
    ours = [r.getMessage() for r in caplog.records if r.name == "checkline.trigger.decoding"]
    assert len(ours) == 1
    assert ours[0].startswith(f"message 'm-1' dropped: {reason}")


def test_the_drop_line_escapes_what_the_sender_wrote(caplog: pytest.LogCaptureFixture) -> None:
    """Assert the id and the reason (an encoding name) are logged escaped, on one line."""
    with pytest.raises(ValidationError):
        decoding.read_message(
            TOPIC, properties(message_id="a\nFORGED", content_encoding="x\nFORGED"), b"{}"
        )
    line = next(r.getMessage() for r in caplog.records if r.name == "checkline.trigger.decoding")
    assert (
        line == r"message 'a\nFORGED' dropped: content_encoding 'x\nFORGED' is not a text encoding"
    )


@pytest.fixture
def fedora_messaging_as_shipped(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(fm_consumer, "get_message", fm_message.get_message)
    yield


@pytest.mark.usefixtures("fedora_messaging_as_shipped")
def test_install_replaces_what_the_consumer_calls_once() -> None:
    """Assert install() points fedora-messaging's consumer at read_message; again is a no-op."""
    decoding.install()
    decoding.install()
    assert fm_consumer.get_message is decoding.read_message
    assert fm_message.get_message is not decoding.read_message  # the original, still wrapped


@pytest.mark.usefixtures("fedora_messaging_as_shipped")
def test_install_leaves_an_unknown_fedora_messaging_alone(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Assert a consumer module that no longer calls get_message is not patched blindly."""

    def other(*args: Any) -> None:
        return None

    monkeypatch.setattr(fm_consumer, "get_message", other)
    decoding.install()
    assert fm_consumer.get_message is other
    assert "undecodable messages may halt it" in caplog.text
