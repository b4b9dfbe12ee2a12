"""Requests in: POST bodies and list query strings, validated as upstream ResultsDB does.

Pydantic models (lax, as upstream's) so that a bad request gets upstream's
``{"validation_error": [{loc, msg, type, input, url}]}``; the accepted outcomes come in the
validation context (``{"outcomes": (...)}``), not from a global.

Where upstream answers 500 this answers 400: a float ``submit_time`` is taken as milliseconds,
and a group that is neither a uuid string nor an object is a validation error.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

__all__ = [
    "QUERY_LIMIT",
    "RESULTS_RESERVED",
    "CreateGroupBody",
    "CreateResultBody",
    "CreateTestcaseBody",
    "GroupsQuery",
    "ResultsQuery",
    "TestcasesQuery",
    "parse_since",
]

QUERY_LIMIT = 20
_EPOCH = dt.datetime(1970, 1, 1)
_TIME_FORMATS = (
    "%Y-%m-%dT%H:%M:%S.%fZ",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S.%f%z",
    "%Y-%m-%dT%H:%M:%S.%f+00",
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
    note: str | None = None
    data: dict[str, Any] | None = None
    ref_url: str | None = None
    submit_time: Any = None

    @field_validator("testcase", mode="before")
    @classmethod
    def _testcase(cls, value: Any) -> Any:
        if not value or (isinstance(value, dict) and not value.get("name")):
            raise ValueError("testcase name must be non-empty")
        if isinstance(value, str):
            return {"name": value}
        if isinstance(value, dict):
            if not isinstance(value["name"], str):
                raise ValueError("testcase name must be a string")
            if not isinstance(value.get("ref_url", ""), str | None):
                raise ValueError("testcase ref_url must be a string or null")
        return value

    @field_validator("groups")
    @classmethod
    def _groups(cls, value: list[Any] | None) -> list[Any] | None:
        for item in value or ():
            if isinstance(item, dict):
                for key in ("uuid", "description", "ref_url"):
                    if not isinstance(item.get(key, ""), str | None):
                        raise ValueError(f"group {key} must be a string or null")
            elif not isinstance(item, str) or not item:
                raise ValueError("each group must be a uuid string or a group object")
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
    uuid: str | None = None
    ref_url: str | None = None
    description: str | None = None


class CreateTestcaseBody(BaseModel):
    name: Annotated[str, StringConstraints(min_length=1)]
    ref_url: str | None = None


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
