"""pydantic validation errors as short, tmt-style messages with a location.

``must be a list, 'int' found``; ``is required``; ``unknown key; valid keys: a, b``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

__all__ = ["validation_problems"]

_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "a boolean (true or false)",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def _model_at(model: type[BaseModel], location: tuple[Any, ...]) -> type[BaseModel]:
    """The (nested) model holding the key at ``location``: ``input.argz`` is ``input``'s."""
    for part in location[:-1]:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        nested = field.annotation if field is not None else None
        if not (isinstance(nested, type) and issubclass(nested, BaseModel)):
            break
        model = nested
    return model


def _message(error: Any, model: type[BaseModel]) -> str:
    kind = error["type"]
    found = type(error.get("input")).__name__
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        keys = _model_at(model, tuple(error["loc"])).model_fields
        return f"unknown key; valid keys: {', '.join(keys)}"
    if kind in _EXPECTED:
        return f"must be {_EXPECTED[kind]}, {found!r} found"
    message: str = error["msg"]
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    if message.startswith("Input should be "):
        return f"must be {message.removeprefix('Input should be ')}, {error.get('input')!r} found"
    if kind == "string_pattern_mismatch":
        pattern = error.get("ctx", {}).get("pattern", "")
        return f"must match {pattern}, {error.get('input')!r} found"
    return message


def validation_problems(
    err: ValidationError, model: type[BaseModel]
) -> list[tuple[tuple[str | int, ...], str]]:
    """``(location, message)`` for each error of a failed ``model.model_validate``."""
    return [(tuple(e["loc"]), _message(e, model)) for e in err.errors()]
