"""Requests in: POST bodies and list query strings, validated as upstream ResultsDB does.

Pydantic models (lax, as upstream's) so that a bad request gets upstream's
``{"validation_error": [{loc, msg, type, input, url}]}``; the accepted outcomes come in the
validation context (``{"outcomes": (...)}``), not from a global.

Where upstream answers 500 this answers 400: a float ``submit_time`` is taken as milliseconds,
and a group that is neither a uuid string nor an object is a validation error. So is text no
database can store (``storable``), and a request beyond a bound below (deeper than
``MAX_BODY_DEPTH``, longer lists than ``MAX_LIST_VALUES``...) is a ``RequestError``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence, Sized
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from checkline import contracts

__all__ = [
    "BODY_TOO_DEEP",
    "MAX_BODY_DEPTH",
    "MAX_DATA_FILTERS",
    "MAX_DISTINCT_ON",
    "MAX_LIST_VALUES",
    "QUERY_LIMIT",
    "RESULTS_RESERVED",
    "CreateGroupBody",
    "CreateResultBody",
    "CreateTestcaseBody",
    "GroupsQuery",
    "RequestError",
    "ResultsQuery",
    "TestcasesQuery",
    "check_body_depth",
    "check_data_filters",
    "check_list",
    "parse_since",
    "storable",
    "unstorable",
]

QUERY_LIMIT = 20

#: How deep a POST body may nest arrays and objects (the body itself is 1 deep). Python's JSON
#: reader and ``str()`` recurse, so a body nested about 1,000 deep (less the frames of the
#: server's stack, which differ under gunicorn) raised RecursionError: a 500, at a depth that
#: depended on the stack. The deepest body of any use is a bulk POST's list value, 5 deep.
MAX_BODY_DEPTH = 32
BODY_TOO_DEEP = f"Request body nests arrays and objects more than {MAX_BODY_DEPTH} deep"

#: The most values one list filter may hold (``item=a,b``, ``testcases:like=...``, ``outcome``,
#: ``groups``, ``name`` ...). Each value is one term of the statement, and SQLite refuses an
#: expression deeper than 1,000 (SQLITE_MAX_EXPR_DEPTH): it reads ``a OR b OR c`` as a chain,
#: one level per pattern, and counts an expression once more per subquery it sits in (name
#: resolution adds the enclosing expression's height, which holds the subquery's). The deepest
#: is a LIKE of ``/results/latest`` two subqueries down (``type:like``): 327 values failed
#: ("Expression tree is too large"; a page's ``item:like``, one down, 494; the fuzzer's
#: ``testcases:like``, at the top, 992). 250 leaves a quarter of that to spare; lists of
#: equalities (IN) have no such limit, but one bound for every list is one rule to know.
MAX_LIST_VALUES = 250

#: The most result-data filters (``item=``, ``type=``, ``arch:like=`` ...) one request may
#: have: each is a subquery, and PostgreSQL's planning time grows steeply with their number
#: (``/results/latest``: 0.7 s at 64, 20 s at 192; at 250 past gunicorn's 60 s, which kills
#: the worker). Clients send 2 to 4; at 16 both databases answer in milliseconds.
MAX_DATA_FILTERS = 16

#: The most ``_distinct_on`` keys: each is one more table in a join, and SQLite joins at most
#: 64 tables ("at most 64 tables in a join": a 503 at 64 keys; at 1,500, SQLAlchemy's
#: recursion over the nested joins, a 500). Greenwave sends 3.
MAX_DISTINCT_ON = 16

_EPOCH = dt.datetime(1970, 1, 1)
_TIME_FORMATS = (
    "%Y-%m-%dT%H:%M:%S.%fZ",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S.%f%z",
    "%Y-%m-%dT%H:%M:%S.%f+00",
)


class RequestError(ValueError):
    """A request refused with 400 ``{"message": ...}``; the message names what and where."""


def unstorable(value: str) -> str | None:
    """Why ``value`` cannot be stored (``"must not contain ..."``; the rule is
    ``checkline.contracts.unstorable``'s, the ledger's too), or None when it can."""
    found = contracts.unstorable(value)
    if found is None:
        return None
    offset, what = found
    return f"must not contain {what} (U+{ord(value[offset]):04X}) at offset {offset}"


def storable(value: str, what: str = "") -> str:
    """``value``, if no database refuses it; else ValueError (a validation error) saying
    why, after ``what`` (the part of the field it is, when the field has parts)."""
    problem = unstorable(value)
    if problem is not None:
        raise ValueError(f"{what} {problem}" if what else problem)
    return value


def _storable_if_text(value: Any) -> Any:
    """Before a field's own validation: the same message for every text field (pydantic
    refuses a surrogate in a constrained string with its own, naming no character)."""
    return storable(value) if isinstance(value, str) else value


def _storable_data_value(value: Any) -> Any:
    """A ``data`` value: a string, or the strings of a list, are stored as they are (anything
    else as its ``str()``, in which Python escapes NUL and surrogates)."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str):
                storable(item, f"element {index}")
        return value
    return _storable_if_text(value)


#: A text field that is stored: refused when it holds what no database can store.
Text = Annotated[str, BeforeValidator(_storable_if_text)]
#: A ``data`` value (any JSON), its text checked as ``Text``'s.
DataValue = Annotated[Any, BeforeValidator(_storable_data_value)]


def check_body_depth(body: Any) -> None:
    """Refuse a body nesting arrays and objects more than ``MAX_BODY_DEPTH`` deep.

    Iterative (a recursive walk would fail where the JSON reader did), and only containers
    are visited: a body of ordinary depth costs one step per object or array.

    Raises:
        RequestError: the body is too deep.
    """
    pending: list[tuple[Any, int]] = [(body, 1)] if isinstance(body, dict | list) else []
    while pending:
        node, depth = pending.pop()
        if depth > MAX_BODY_DEPTH:
            raise RequestError(BODY_TOO_DEEP)
        children = node.values() if isinstance(node, dict) else node
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def check_list(name: str, values: Sized, most: int = MAX_LIST_VALUES) -> None:
    """Refuse the list parameter ``name`` when it has more than ``most`` values.

    Raises:
        RequestError: naming the parameter, its count and the bound.
    """
    if len(values) > most:
        raise RequestError(f"Too many values in {name!r}: {len(values)} (at most {most})")


def check_data_filters(keys: Sequence[str]) -> None:
    """Refuse more than ``MAX_DATA_FILTERS`` result-data filters (their parameter names).

    Raises:
        RequestError: naming their count, the bound and the first few.
    """
    if len(keys) > MAX_DATA_FILTERS:
        first = ", ".join(repr(key) for key in keys[:3])
        raise RequestError(
            f"Too many data filters: {len(keys)} (at most {MAX_DATA_FILTERS}): {first}, ..."
        )


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    """UTC without tzinfo, as stored. An offset is converted (upstream's SQLite drops it)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def _from_milliseconds(value: float) -> dt.datetime:
    return _EPOCH + dt.timedelta(milliseconds=value)


def parse_submit_time(value: Any) -> dt.datetime | None:
    """Milliseconds since the epoch (number or digits) or ``YYYY-MM-DDTHH:MM:SS.ffffff[tz]``."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return _naive_utc(value)
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return _from_milliseconds(value)
        if isinstance(value, str):
            for fmt in _TIME_FORMATS:
                try:
                    return _naive_utc(dt.datetime.strptime(value, fmt))
                except ValueError:
                    pass
            if value.strip().lstrip("-").isdigit():
                return _from_milliseconds(int(value))
    except (OverflowError, ValueError):
        pass
    raise ValueError(
        "Expected timestamp in milliseconds or datetime (in format YYYY-MM-DDTHH:MM:SS.ffffff),"
        f" got {value!r}"
    )


def _check_outcome(value: str, info: ValidationInfo) -> str:
    outcomes = (info.context or {}).get("outcomes", ())
    if value not in outcomes:
        raise ValueError(f"must be one of: {', '.join(outcomes)}")
    return value


class CreateResultBody(BaseModel):
    # Unknown fields are ignored: resultsdb-api sends "_auth_token".
    model_config = ConfigDict(extra="ignore")

    outcome: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1)]
    testcase: dict[str, Any]
    groups: list[Any] | None = None
    note: Text | None = None
    data: dict[Text, DataValue] | None = None
    ref_url: Text | None = None
    submit_time: Any = None

    @field_validator("testcase", mode="before")
    @classmethod
    def _testcase(cls, value: Any) -> Any:
        if not value or (isinstance(value, dict) and not value.get("name")):
            raise ValueError("testcase name must be non-empty")
        if isinstance(value, str):
            value = {"name": value}
        if isinstance(value, dict):
            if not isinstance(value["name"], str):
                raise ValueError("testcase name must be a string")
            storable(value["name"], "testcase name")
            ref_url = value.get("ref_url")
            if not isinstance(ref_url, str | None):
                raise ValueError("testcase ref_url must be a string or null")
            if ref_url is not None:
                storable(ref_url, "testcase ref_url")
        return value

    @field_validator("groups")
    @classmethod
    def _groups(cls, value: list[Any] | None) -> list[Any] | None:
        for index, item in enumerate(value or ()):
            if isinstance(item, dict):
                for key in ("uuid", "description", "ref_url"):
                    text = item.get(key)
                    if not isinstance(text, str | None):
                        raise ValueError(f"group {key} must be a string or null")
                    if text is not None:
                        storable(text, f"groups[{index}].{key}")
            elif not isinstance(item, str) or not item:
                raise ValueError("each group must be a uuid string or a group object")
            else:
                storable(item, f"groups[{index}]")
        return value

    @field_validator("submit_time", mode="before")
    @classmethod
    def _submit_time(cls, value: Any) -> Any:
        return parse_submit_time(value)

    @field_validator("outcome")
    @classmethod
    def _outcome(cls, value: str, info: ValidationInfo) -> str:
        return _check_outcome(value, info)


class CreateGroupBody(BaseModel):
    uuid: Text | None = None
    ref_url: Text | None = None
    description: Text | None = None


class CreateTestcaseBody(BaseModel):
    # The constraint before the check, so that an empty name keeps upstream's message.
    name: Annotated[str, StringConstraints(min_length=1), BeforeValidator(_storable_if_text)]
    ref_url: Text | None = None


class _ListQuery(BaseModel):
    page: int = 0
    limit: int = QUERY_LIMIT


class GroupsQuery(_ListQuery):
    uuid: str | None = None
    description: str | None = None
    description_like: str | None = Field(None, alias="description:like")


class TestcasesQuery(_ListQuery):
    name: str | None = None
    name_like: str | None = Field(None, alias="name:like")


def _split(value: Any) -> Any:
    """``"a, b,,c"`` (or a repeated parameter) -> ``["a", "b", "c"]``."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [part.strip() for v in value for part in v.split(",") if part.strip()]
    return value


def _parse_moment(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text.strip())
    return moment.replace(tzinfo=None)  # upstream strips the offset without converting


def parse_since(value: str) -> tuple[dt.datetime | None, dt.datetime | None]:
    """``START`` or ``START,END`` (ISO 8601; a date alone is allowed)."""
    start, _, end = value.partition(",")
    try:
        return _parse_moment(start), (_parse_moment(end.split(",")[0]) if _ else None)
    except ValueError:
        raise ValueError("must be in ISO8601 format") from None


#: Query parameters of result lists that are not result-data filters.
RESULTS_RESERVED = frozenset(
    {
        "page",
        "limit",
        "_sort",
        "since",
        "outcome",
        "groups",
        "testcases",
        "testcases:like",
        "_distinct_on",
    }
)


class ResultsQuery(_ListQuery):
    sort: str = Field("", alias="_sort")
    since: tuple[dt.datetime | None, dt.datetime | None] = (None, None)
    outcome: list[str] | None = None
    groups: list[str] | None = None
    testcases: list[str] | None = None
    testcases_like: list[str] | None = Field(None, alias="testcases:like")
    distinct_on: list[str] | None = Field(None, alias="_distinct_on")

    @field_validator(
        "outcome", "groups", "testcases", "testcases_like", "distinct_on", mode="before"
    )
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _split(value)

    @field_validator("since", mode="before")
    @classmethod
    def _since(cls, value: Any) -> Any:
        if isinstance(value, list):
            value = value[0] if value else ""
        if not isinstance(value, str):
            return value
        return parse_since(value)

    @field_validator("outcome")
    @classmethod
    def _outcomes(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if value is None:
            return None
        upper = [v.upper() for v in value]
        for outcome in upper:
            _check_outcome(outcome, info)
        return upper
