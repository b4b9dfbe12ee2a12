"""Bytes from the broker -> a fedora-messaging ``Message``, whatever the bytes.

fedora-messaging's Twisted consumer (3.9) turns each delivery into a ``Message`` with
``fedora_messaging.message.get_message`` before it calls our callback, and catches only its
own ``ValidationError`` there (it nacks the message without requeue: dropped). Anything else
escapes: an unknown ``content_encoding`` (``LookupError``), a ``fedora_messaging_schema``
header that is a list (``TypeError``), a body nested 100,000 deep (``RecursionError``). The
consumer then nacks every unacked message with requeue and halts; restarted, it takes the
same message first and halts again, and the queue behind it waits for a person.

fedora-messaging offers no hook for this step, so :func:`install` replaces the name its
consumer module calls with :func:`read_message`: the same decoding, with every failure
turned into that ``ValidationError`` after one log line naming the message id and why.
"""

from __future__ import annotations

import logging
from typing import Any

from fedora_messaging import message as fm_message
from fedora_messaging.exceptions import ValidationError
from jsonschema.exceptions import ValidationError as SchemaError

from .adapters import schema_refusal
from .logsafe import escape

__all__ = ["install", "read_message"]

log = logging.getLogger(__name__)

#: fedora-messaging's own decoding, which :func:`read_message` wraps.
_get_message = fm_message.get_message


class _Refused(Exception):
    """Properties that fedora-messaging would stumble on; the message says which."""


def read_message(routing_key: str, properties: Any, body: bytes) -> Any:
    """``fedora_messaging.message.get_message``, raising only its ``ValidationError``.

    Raises:
        ValidationError: the message cannot be decoded or its schema refuses it (logged).
    """
    try:
        _check_properties(properties)
        return _get_message(routing_key, properties, body)
    except Exception as err:  # whatever the bytes: the consumer must go on
        reason = why(err)
        log.warning("message %r dropped: %s", properties.message_id, escape(reason))
        raise ValidationError(reason) from err


def _check_properties(properties: Any) -> None:
    """Refuse, with a reason naming it, what ``get_message`` would fail on obscurely."""
    encoding = properties.content_encoding
    if encoding is not None:
        try:  # not b"": decoding nothing looks no codec up
            b"x".decode(encoding)  # LookupError: unknown, or not bytes -> text (base64, rot13)
        except UnicodeDecodeError:  # a text encoding (utf-16 wants two bytes)
            pass
        except (LookupError, TypeError) as err:
            raise _Refused(f"content_encoding {encoding!r} is not a text encoding") from err
    headers = properties.headers
    if headers is None:
        return
    schema = headers.get("fedora_messaging_schema")
    if schema is not None and not isinstance(schema, str):
        raise _Refused(f"header fedora_messaging_schema is a {type(schema).__name__}: {schema!r}")


def why(err: BaseException) -> str:
    """The reason a drop line gives for ``err``, naming the field a schema refused."""
    if isinstance(err, _Refused):
        return str(err)
    if isinstance(err, RecursionError):
        return "body nested too deep to decode"
    cause = err.__cause__ if isinstance(err, ValidationError) else err
    if isinstance(cause, SchemaError):
        return f"refused by its schema: {schema_refusal(cause)}"
    if isinstance(cause, UnicodeDecodeError):
        return f"body is not {cause.encoding}: {cause.reason} at byte {cause.start}"
    if isinstance(cause, ValueError):
        return f"body is not JSON: {cause}"
    return f"{type(cause).__name__}: {cause}"


def install() -> None:
    """Make fedora-messaging's consumer decode messages with :func:`read_message`.

    Done by ``checkline trigger consume`` and by :class:`~trigger.consumer.Consumer` when
    fedora-messaging's own ``consume`` command builds it; repeating it changes nothing.
    """
    from fedora_messaging.twisted import consumer as fm_consumer

    if getattr(fm_consumer, "get_message", None) not in (_get_message, read_message):
        # A fedora-messaging that no longer reads messages this way: say so, go on.
        log.warning("fedora-messaging's consumer changed: undecodable messages may halt it")
        return
    fm_consumer.get_message = read_message  # type: ignore[attr-defined]  # imported, not exported
