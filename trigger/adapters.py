"""Adapters: a bus message -> an Event dict, or ``None`` when it asks for nothing.

An Event (``checkline.contracts.Event``) always holds ``item``, ``item_type``, ``topic`` and
``msg_id``, plus what rules may test. Adapters read messages through their schema packages
(the classes validate the body) and are chosen from :data:`ADAPTERS`, keyed by the schema's
topic; a wire topic carrying a prefix (``org.fedoraproject.prod.buildsys.build.state.change``)
finds its adapter by suffix.

====================================================  ===============  ====================
topic (schema class)                                  item_type        item
====================================================  ===============  ====================
``buildsys.build.state.change`` (BuildStateChangeV1)  koji_build       name-version-release
``buildsys.tag`` (TagV1)                              koji_tag         the tag
``bodhi.update.status.testing.koji-build-group.       bodhi_update     the update's alias
build.complete`` (UpdateReadyForTestingV3)
``git.receive`` (CommitV1)                            dist_git_commit  namespace/repo#rev
====================================================  ===============  ====================

Koji messages from an instance other than ``primary``, and build state changes to anything
but COMPLETE, give ``None``: the message is fine, it just schedules nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bodhi.messages.schemas.update import UpdateReadyForTestingV3
from fedora_messaging import message as fm_message
from fedora_messaging_git_hook_messages.commit import CommitV1
from jsonschema.exceptions import ValidationError
from jsonschema.validators import validator_for
from koji_fedoramessaging_messages.build import BuildStateChangeV1
from koji_fedoramessaging_messages.tag import TagV1

from checkline.contracts import Event, EventFields, item_problem, unstorable

from .errors import MalformedMessage

__all__ = [
    "ADAPTERS",
    "Adapter",
    "adapt",
    "find_adapter",
    "message_from_dict",
    "schema_refusal",
]

KOJI_COMPLETE = 1  # koji_fedoramessaging_messages.build.BUILD_STATES.COMPLETE
PRIMARY = "primary"


@dataclass(frozen=True)
class Adapter:
    """How to read one topic: its schema class, what it yields and the function doing it."""

    schema: type[Any]
    item_type: str
    to_event: Callable[[Any], EventFields | None]


def _nvr(name: str, version: str, release: str) -> str:
    return f"{name}-{version}-{release}"


def _koji_build(msg: Any) -> EventFields | None:
    body = msg.body
    if body.get("new") != KOJI_COMPLETE or body.get("instance") != PRIMARY:
        return None
    request = body.get("request")
    target = request[1] if isinstance(request, list) and len(request) > 1 else None
    nvr = _nvr(body["name"], body["version"], body["release"])
    return {
        "item": nvr,
        "item_type": "koji_build",
        "nvr": nvr,
        "name": body["name"],
        "package": body["name"],
        "version": body["version"],
        "release": body["release"],
        "epoch": body.get("epoch"),
        "owner": body.get("owner"),
        "instance": body["instance"],
        "build_id": body.get("build_id"),
        "task_id": body.get("task_id"),
        "target": target if isinstance(target, str) else None,
    }


def _koji_tag(msg: Any) -> EventFields | None:
    body = msg.body
    if body.get("instance") != PRIMARY:
        return None
    return {
        "item": body["tag"],
        "item_type": "koji_tag",
        "tag": body["tag"],
        "nvr": _nvr(body["name"], body["version"], body["release"]),
        "name": body["name"],
        "package": body["name"],
        "version": body["version"],
        "release": body["release"],
        "owner": body.get("owner"),
        "user": body.get("user"),
        "instance": body["instance"],
        "build_id": body.get("build_id"),
    }


def _bodhi_ready(msg: Any) -> EventFields | None:
    update = msg.body["update"]
    builds = [build["nvr"] for build in update["builds"]]
    release = update["release"]
    return {
        "item": update["alias"],
        "item_type": "bodhi_update",
        "alias": update["alias"],
        "builds": builds,
        "packages": sorted({nvr.rsplit("-", 2)[0] for nvr in builds}),
        "release": release.get("name"),
        "version": release.get("version"),
        "dist_tag": release.get("dist_tag"),
        "status": update.get("status"),
        "request": update.get("request"),
        "owner": update["user"]["name"],
        "agent": msg.body.get("agent"),
        "re_trigger": bool(msg.body.get("re-trigger", False)),
    }


def _git_push(msg: Any) -> EventFields | None:
    commit = msg.body["commit"]
    namespace, repo, rev = commit["namespace"], commit["repo"], commit["rev"]
    path = f"{namespace}/{repo}" if namespace else repo
    return {
        "item": f"{path}#{rev}",
        "item_type": "dist_git_commit",
        "namespace": namespace,
        "repo": repo,
        "package": repo if namespace == "rpms" else None,
        "branch": commit["branch"],
        "rev": rev,
        "owner": commit["username"],
        "agent": msg.body.get("agent"),
    }


#: schema topic -> adapter. A dict, not an if-chain: one entry per message kind.
ADAPTERS: dict[str, Adapter] = {
    adapter.schema.topic: adapter
    for adapter in (
        Adapter(BuildStateChangeV1, "koji_build", _koji_build),
        Adapter(TagV1, "koji_tag", _koji_tag),
        Adapter(UpdateReadyForTestingV3, "bodhi_update", _bodhi_ready),
        Adapter(CommitV1, "dist_git_commit", _git_push),
    )
}


def find_adapter(topic: str, adapters: Mapping[str, Adapter] = ADAPTERS) -> Adapter | None:
    """The adapter for ``topic``, ignoring any prefix before the schema's topic."""
    parts = topic.split(".")
    for start in range(len(parts)):
        adapter = adapters.get(".".join(parts[start:]))
        if adapter is not None:
            return adapter
    return None


def adapt(message: Any, adapters: Mapping[str, Adapter] = ADAPTERS) -> Event | None:
    """Turn a fedora-messaging ``Message`` into an Event.

    A message already of the adapter's schema class was validated by fedora-messaging when it
    was received; any other (a base ``Message`` when the sender set no schema header, or one
    built from a file) is rebuilt as that class and validated here.

    Returns:
        The Event, or ``None`` for a valid message that schedules nothing.

    Raises:
        MalformedMessage: no adapter for its topic, or a body its schema refuses.
    """
    topic = message.topic or ""
    adapter = find_adapter(topic, adapters)
    if adapter is None:
        raise MalformedMessage(f"no adapter for topic {topic!r}")
    if not isinstance(message, adapter.schema):
        message = _typed(adapter.schema, topic, message.body, message.id)
    _check_text(topic, message.id, message.body)
    try:
        fields = adapter.to_event(message)
    except (KeyError, TypeError, AttributeError, IndexError) as err:
        # Only reachable for bodies that passed a lenient schema but miss what we read.
        raise MalformedMessage(f"{topic!r}: body lacks {err!r}") from err
    if fields is None:
        return None
    if problem := item_problem(str(fields.get("item", ""))):
        # The master would refuse every job of it (as a build that crashed): refuse it here.
        raise MalformedMessage(f"{topic!r}: {problem}: no job can run it")
    return {**fields, "topic": topic, "msg_id": message.id}


def _typed(schema: type[Any], topic: str, body: Any, msg_id: str | None) -> Any:
    if not isinstance(body, dict):
        raise MalformedMessage(f"{topic!r}: body must be an object, got {type(body).__name__}")
    try:
        # Some schema classes read the body while building their headers (TagV1 matches
        # the tag against a regex), so a bad body can fail here, before validate().
        typed = schema(body=body, topic=topic)
    except (TypeError, KeyError, ValueError, AttributeError) as err:
        raise MalformedMessage(
            f"{topic!r}: {schema.__name__} cannot read the body: {err!r}"
        ) from err
    if msg_id:
        typed.id = msg_id
    try:
        _validator(schema).validate(body)
    except ValidationError as err:
        refused = f"{topic!r}: {schema.__name__} refuses the body: {schema_refusal(err)}"
        raise MalformedMessage(refused) from err
    return typed


#: How much of a schema's complaint a drop reason quotes: it holds the refused value's repr,
#: which may be a whole sub-object of the body.
REFUSAL_CHARS = 300


def schema_refusal(err: ValidationError) -> str:
    """Where in the body and why a JSON schema refused it: ``builds[0]: 1 is not of type
    'string'``; ``body`` when the body itself is refused (a required key missing)."""
    where = ""
    for step in err.absolute_path:
        if isinstance(step, int):
            where += f"[{step}]"
        else:
            where += f".{step}" if where else str(step)
    message = err.message
    if len(message) > REFUSAL_CHARS:
        message = message[:REFUSAL_CHARS] + "..."
    return f"{where or 'body'}: {message}"


def _check_text(topic: str, msg_id: Any, body: Any) -> None:
    """Refuse a message id or body string that no ledger can store.

    JSON may carry a lone surrogate (``"\\udcff"``), which is no Unicode text: encoding it
    fails inside the ledger, which would retry the message, with a traceback each time,
    before dropping it. PostgreSQL stores no NUL character either. An AMQP message id that
    is not UTF-8 reaches us as bytes.
    """
    if msg_id is not None:
        what = _unstorable(msg_id) if isinstance(msg_id, str) else "bytes that are not UTF-8"
        if what:
            raise MalformedMessage(f"{topic!r}: the message id {msg_id!r} holds {what}")
    try:  # the quick test: a body that encodes as UTF-8 JSON holds no lone surrogate
        encoded = json.dumps(body, ensure_ascii=False).encode()
    except (UnicodeEncodeError, TypeError, ValueError):
        encoded = b"\\u0000"  # look closer
    except RecursionError as err:  # read by json.loads with fewer frames on the stack
        raise MalformedMessage(f"{topic!r}: body nested too deep") from err
    if b"\\u0000" not in encoded:  # NUL is written as \u0000 (a false alarm costs a walk)
        return
    try:
        found = _first_unstorable(body, "")
    except RecursionError as err:
        raise MalformedMessage(f"{topic!r}: body nested too deep") from err
    if found is not None:
        where, value = found
        raise MalformedMessage(
            f"{topic!r}: {where or 'body'}: {value!r} holds {_unstorable(value)}"
        )


def _unstorable(text: str) -> str | None:
    """What in ``text`` a ledger cannot store (``checkline.contracts.unstorable``), if anything."""
    found = unstorable(text)
    return None if found is None else found[1]


def _first_unstorable(value: Any, where: str) -> tuple[str, str] | None:
    """The path and value of the first string in ``value`` (keys too) that
    :func:`_unstorable` refuses."""
    if isinstance(value, str):
        return (where, value) if _unstorable(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            if isinstance(key, str) and _unstorable(key):
                return path, key
            found = _first_unstorable(item, path)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _first_unstorable(item, f"{where}[{index}]")
            if found is not None:
                return found
    return None


_VALIDATORS: dict[str, Any] = {}


def _validator(schema: type[Any]) -> Any:
    """A compiled validator of the class's body schema.

    ``Message.validate()`` calls ``jsonschema.validate``, which checks the schema itself
    against its meta-schema on every call: 10 ms per Koji message here, against 0.1 ms for a
    validator built once.
    """
    key = f"{schema.__module__}.{schema.__qualname__}"
    if key not in _VALIDATORS:
        _VALIDATORS[key] = validator_for(schema.body_schema)(schema.body_schema)
    return _VALIDATORS[key]


def message_from_dict(data: Mapping[str, Any]) -> Any:
    """A ``Message`` from a dict: ``{"topic", "body"}``, optionally ``"id"``/``"headers"``.

    ``fedora-messaging record`` writes one such dict per line (with ``id``, ``headers``,
    ``queue``). The result is a plain ``Message``; :func:`adapt` types and validates it.

    Raises:
        MalformedMessage: no topic, or a body that is not an object.
    """
    topic, body = data.get("topic"), data.get("body")
    if not isinstance(topic, str) or not topic:
        raise MalformedMessage("a message needs a 'topic' string")
    if not isinstance(body, dict):
        raise MalformedMessage(f"{topic!r}: 'body' must be an object")
    msg = fm_message.Message(body=body, topic=topic)
    msg_id = data.get("id")
    if isinstance(msg_id, str) and msg_id:
        msg.id = msg_id
    return msg
