"""Adapters: real-shaped messages (schema classes, fixture files) -> Events."""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from typing import Any

import pytest
from fedora_messaging.message import Message
from trigger_factories import bodhi_update, koji_build, koji_tag

from checkline.contracts import Event
from checkline.trigger.adapters import ADAPTERS, adapt, find_adapter, message_from_dict
from checkline.trigger.errors import MalformedMessage


@pytest.mark.parametrize(
    ("fixture", "item", "item_type"),
    [
        ("koji-build-complete", "chromium-80.0.3987.132-1.fc33", "koji_build"),
        ("koji-tag-pending", "f31-updates-pending", "koji_tag"),
        ("bodhi-update-ready", "FEDORA-2019-d64d0caab3", "bodhi_update"),
        (
            "git-push",
            "rpms/python-requests#0123456789abcdef0123456789abcdef01234567",
            "dist_git_commit",
        ),
        ("koji-build-building", None, None),
        ("koji-build-complete-secondary", None, None),
    ],
)
def test_fixture_messages(
    load_message: Callable[[str], dict[str, Any]], fixture: str, item: str, item_type: str
) -> None:
    """Assert each recorded message (prefixed wire topic) gives its item and type, or nothing."""
    data = load_message(fixture)
    event = adapt(message_from_dict(data))
    if item is None:
        assert event is None
        return
    assert event is not None
    assert (event["item"], event["item_type"]) == (item, item_type)
    assert event["msg_id"] == data["id"]
    assert event["topic"] == data["topic"]


def _fits(value: object, hint: Any) -> bool:
    """Whether ``value`` is of the annotation ``hint`` (str, int | None, list[str]...)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, arg) for arg in typing.get_args(hint))
    if origin is list:
        (element,) = typing.get_args(hint)
        return isinstance(value, list) and all(_fits(v, element) for v in value)
    return isinstance(value, hint)


@pytest.mark.parametrize(
    "fixture", ["koji-build-complete", "koji-tag-pending", "bodhi-update-ready", "git-push"]
)
def test_events_are_the_contracts(
    load_message: Callable[[str], dict[str, Any]], fixture: str
) -> None:
    """Assert each message kind's Event has every key checkline.contracts.Event requires, no
    key it does not declare, and each value of the declared type."""
    event = adapt(message_from_dict(load_message(fixture)))
    assert event is not None
    hints = typing.get_type_hints(Event)
    assert Event.__required_keys__ <= set(event)
    assert set(event) <= set(hints)
    wrong = {key: value for key, value in event.items() if not _fits(value, hints[key])}
    assert wrong == {}


def test_koji_build_event_fields() -> None:
    """Assert a COMPLETE primary build gives the NVR without epoch and what rules test."""
    msg = koji_build(epoch=1)
    event = adapt(msg)
    assert event == {
        "item": "python-requests-2.32.3-1.fc42",
        "item_type": "koji_build",
        "nvr": "python-requests-2.32.3-1.fc42",
        "name": "python-requests",
        "package": "python-requests",
        "version": "2.32.3",
        "release": "1.fc42",
        "epoch": 1,
        "owner": "pkgr",
        "instance": "primary",
        "build_id": 26,
        "task_id": 13,
        "target": "f42",
        "topic": "buildsys.build.state.change",
        "msg_id": msg.id,
    }


@pytest.mark.parametrize("state", [0, 2, 3, 4])
def test_koji_build_not_complete_schedules_nothing(state: int) -> None:
    """Assert BUILDING, DELETED, FAILED and CANCELED builds give no Event."""
    assert adapt(koji_build(new=state)) is None


def test_koji_tag_other_instance_schedules_nothing() -> None:
    """Assert a tag on a secondary Koji gives no Event."""
    assert adapt(koji_tag(instance="ppc")) is None
    assert adapt(koji_tag())["tag"] == "f31-updates-pending"  # type: ignore[index]


def test_bodhi_update_keeps_builds() -> None:
    """Assert a Bodhi update's Event carries its builds, packages and release."""
    event = adapt(bodhi_update(nvrs=("a-1-1.fc42", "b-lib-2-3.fc42")))
    assert event is not None
    assert event["builds"] == ["a-1-1.fc42", "b-lib-2-3.fc42"]
    assert event["packages"] == ["a", "b-lib"]
    assert event["release"] == "F42"
    assert event["owner"] == "pkgr"


def test_plain_message_is_typed_and_validated() -> None:
    """Assert a base Message (no schema header) of a known topic is read through its schema."""
    plain = Message(
        body=koji_build().body, topic="org.fedoraproject.stg.buildsys.build.state.change"
    )
    event = adapt(plain)
    assert event is not None
    assert event["item"] == "python-requests-2.32.3-1.fc42"
    assert event["msg_id"] == plain.id


@pytest.mark.parametrize(
    ("topic", "body", "error"),
    [
        ("org.fedoraproject.prod.wiki.article.edit", {"x": 1}, "no adapter for topic"),
        ("", {}, "no adapter for topic ''"),
        ("buildsys.build.state.change", {"name": "x"}, "BuildStateChangeV1 refuses the body"),
        ("buildsys.tag", {**koji_tag().body, "tag": 5}, "TagV1 cannot read the body"),
        ("bodhi.update.status.testing.koji-build-group.build.complete", {"agent": "x"}, "refuses"),
        ("git.receive", {"agent": "x", "commit": {}}, "CommitV1 refuses the body"),
    ],
)
def test_malformed_messages(topic: str, body: dict[str, Any], error: str) -> None:
    """Assert unknown topics and bodies their schema refuses raise MalformedMessage."""
    with pytest.raises(MalformedMessage, match=error):
        adapt(Message(body=body, topic=topic))


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"body": {}}, "needs a 'topic' string"),
        ({"topic": "buildsys.tag", "body": [1]}, "'body' must be an object"),
        ({"topic": 3, "body": {}}, "needs a 'topic' string"),
    ],
)
def test_message_from_dict_refuses(data: dict[str, Any], error: str) -> None:
    """Assert dicts without a topic or an object body are refused."""
    with pytest.raises(MalformedMessage, match=error):
        message_from_dict(data)


@pytest.mark.parametrize(
    ("topic", "schema_topic"),
    [
        ("buildsys.tag", "buildsys.tag"),
        ("org.fedoraproject.prod.buildsys.tag", "buildsys.tag"),
        ("org.fedoraproject.prod.buildsys.untag", None),
        ("io.pagure.prod.git.receive", "git.receive"),
        ("tag", None),
    ],
)
def test_find_adapter_by_suffix(topic: str, schema_topic: str | None) -> None:
    """Assert the adapter is found by the schema's topic with any prefix, and only then."""
    adapter = find_adapter(topic)
    assert (adapter.schema.topic if adapter else None) == schema_topic
    if schema_topic:
        assert ADAPTERS[schema_topic] is adapter


BODHI_TOPIC = "bodhi.update.status.testing.koji-build-group.build.complete"


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


@pytest.mark.parametrize(
    ("topic", "body", "error"),
    [
        (
            BODHI_TOPIC,
            {**bodhi_update().body, "update": {**bodhi_update().body["update"], "builds": [1]}},
            "update.builds[0]: 1 is not of type 'object'",
        ),
        ("buildsys.build.state.change", koji_build(name=1).body, "name: 1 is not of type 'string'"),
        (
            "buildsys.build.state.change",
            _without(koji_build().body, "name"),
            "body: 'name' is a required property",
        ),
    ],
)
def test_schema_refusal_names_the_field(topic: str, body: dict[str, Any], error: str) -> None:
    """Assert a body its schema refuses is reported with where in the body and why."""
    with pytest.raises(MalformedMessage) as raised:
        adapt(Message(body=body, topic=topic))
    assert str(raised.value).endswith(f"refuses the body: {error}")


@pytest.mark.parametrize(
    ("message", "error"),
    [
        (koji_build(name="pkg\udcff"), r"name: 'pkg\\udcff' holds a lone surrogate"),
        (
            Message(body=koji_build(owner="\udcff").body, topic="buildsys.build.state.change"),
            r"owner: '\\udcff' holds a lone surrogate",
        ),
        (koji_build(name="pkg\x00"), r"name: 'pkg\\x00' holds a NUL character"),
        (
            bodhi_update(nvrs=("a-1-1.fc42", "b\udcff-1-1.fc42")),
            r"update.builds\[1\].nvr: 'b\\udcff-1-1.fc42' holds a lone surrogate",
        ),
    ],
)
def test_text_no_ledger_stores_is_malformed(message: Any, error: str) -> None:
    """Assert a body string holding a lone surrogate or a NUL is refused, naming its field:
    the ledger could not store it and would fail on it again at every delivery."""
    with pytest.raises(MalformedMessage, match=error):
        adapt(message)


def test_message_id_no_ledger_stores_is_malformed() -> None:
    """Assert a message id holding a NUL, or bytes (not UTF-8 on the wire), is refused."""
    for msg_id, error in ((b"\xff", "bytes that are not UTF-8"), ("a\x00b", "a NUL character")):
        message = koji_build()
        message.id = msg_id
        with pytest.raises(MalformedMessage, match=error):
            adapt(message)


@pytest.mark.parametrize("name", ["pkg\nFORGED", "pkg\r", "pkg\n"])
def test_item_no_job_can_run_is_malformed(name: str) -> None:
    """Assert an item with a line break is refused by the trigger, as the master and the
    runner would refuse every job of it (a build that crashed, recorded FINISHED before)."""
    with pytest.raises(MalformedMessage, match="contains a NUL or line break: no job can run it"):
        adapt(koji_build(name=name))
