"""SQL for reading: pure functions from filters to SQLAlchemy statements (no I/O here).

Every filter is a condition on ``result``: data and group filters are ``id IN (subquery)``
answered from the (key, value, result_id) and (group_id, result_id) indexes, so adding a
filter never multiplies rows. "Latest per testcase" is chosen by the shape of the filters:
narrow filters (data, groups) rank their few candidates with a window function; otherwise
each testcase's newest result is one backwards step in the (testcase_name, submit_time, id)
index, whatever the table's size.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, FromClause, Select, and_, func, or_, select

from .schema import group, groups_to_results, result, result_data, testcase

#: Past this, an offset is refused by the databases; such a page is empty anyway.
MAX_OFFSET = 2**53
#: The largest id the databases' 64-bit integers hold: a larger one names no row.
MAX_ID = 2**63 - 1

__all__ = ["DataFilter", "ResultFilters", "latest_results", "previous_outcome", "result_page"]


#: Data keys whose values are shared by many results (Fedora's and Greenwave's usual ones).
#: A filter on such a key is checked per candidate row (EXISTS) instead of listing every
#: matching result first (IN), which on SQLite would build a list of most of the table.
BROAD_KEYS = frozenset(
    {
        "type",
        "arch",
        "scenario",
        "system_architecture",
        "system_variant",
        "system_provider",
        "source",
        "meta.conventions",
        "firmware",
        "flavor",
    }
)


@dataclass(frozen=True)
class DataFilter:
    """``key=v1,v2`` (any of the values) or ``key:like=pat*`` (any of the patterns)."""

    key: str
    values: tuple[str, ...]
    like: bool = False

    @property
    def broad(self) -> bool:
        """A key most results share a few values of: filtering on it picks many rows."""
        return self.key in BROAD_KEYS


@dataclass(frozen=True)
class ResultFilters:
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    outcomes: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    testcases: tuple[str, ...] = ()
    testcases_like: tuple[str, ...] = ()
    data: tuple[DataFilter, ...] = field(default_factory=tuple)

    @property
    def narrow(self) -> bool:
        """Filters that pick few results by index (an item, a group; not a type or arch)."""
        return bool(self.groups) or any(not f.broad for f in self.data)


def data_filter(key: str, values: Sequence[str]) -> DataFilter:
    """Read a query parameter as upstream does: ``key:like`` is a pattern filter, another
    ``key:modifier`` an exact filter on ``key``, and two colons a literal key."""
    parts = key.split(":")
    if len(parts) == 2:
        return DataFilter(parts[0], tuple(values), like=parts[1] == "like")
    return DataFilter(key, tuple(values))


def _pattern(value: str) -> str:
    return value.replace("*", "%")


def _testcase_condition(names: Sequence[str], likes: Sequence[str]) -> ColumnElement[bool] | None:
    parts: list[ColumnElement[bool]] = []
    if names:
        parts.append(result.c.testcase_name.in_(names))
    parts.extend(result.c.testcase_name.like(_pattern(like)) for like in likes)
    return or_(*parts) if parts else None


def conditions(filters: ResultFilters, *, with_testcases: bool = True) -> list[ColumnElement[bool]]:
    """The WHERE conditions on ``result`` for ``filters``."""
    where: list[ColumnElement[bool]] = []
    if filters.since is not None:
        where.append(result.c.submit_time >= filters.since)
    if filters.until is not None:
        where.append(result.c.submit_time <= filters.until)
    if filters.outcomes:
        where.append(result.c.outcome.in_(filters.outcomes))
    if filters.groups:
        where.append(
            result.c.id.in_(
                select(groups_to_results.c.result_id)
                .join(group, group.c.id == groups_to_results.c.group_id)
                .where(group.c.uuid.in_(filters.groups))
            )
        )
    if with_testcases:
        by_testcase = _testcase_condition(filters.testcases, filters.testcases_like)
        if by_testcase is not None:
            where.append(by_testcase)
    for wanted in filters.data:
        if wanted.like:
            match = or_(*(result_data.c.value.like(_pattern(v)) for v in wanted.values))
        else:
            match = result_data.c.value.in_(wanted.values)
        if wanted.broad:
            where.append(
                select(result_data.c.id)
                .where(
                    result_data.c.result_id == result.c.id, result_data.c.key == wanted.key, match
                )
                .exists()
            )
        else:
            where.append(
                result.c.id.in_(
                    select(result_data.c.result_id).where(result_data.c.key == wanted.key, match)
                )
            )
    return where


def result_page(
    filters: ResultFilters, *, offset: int, limit: int, sort: str = ""
) -> Select[tuple[object, ...]]:
    """One page of results (``limit`` rows; ask for one more to know if a next page exists).

    ``sort``: ``asc:submit_time``, ``desc:submit_time`` (the default, also for anything else)
    or ``disable_sorting``. Equal times are ordered by id, so pages are stable.
    """
    statement = select(result).where(*conditions(filters))
    if sort == "asc:submit_time":
        statement = statement.order_by(result.c.submit_time.asc(), result.c.id.asc())
    elif sort != "disable_sorting":
        statement = statement.order_by(result.c.submit_time.desc(), result.c.id.desc())
    return statement.offset(offset).limit(limit)


def latest_results(
    filters: ResultFilters, distinct_on: Sequence[str] = ()
) -> Select[tuple[object, ...]]:
    """The newest result per testcase (and per value of each ``distinct_on`` data key, a
    missing key being a group of its own), newest first."""
    if distinct_on or filters.narrow:
        return _latest_ranked(filters, distinct_on)
    return _latest_per_testcase(filters)


def _latest_ranked(
    filters: ResultFilters, distinct_on: Sequence[str]
) -> Select[tuple[object, ...]]:
    partition: list[ColumnElement[object]] = [result.c.testcase_name]
    source: FromClause = result
    for index, key in enumerate(distinct_on):
        alias = result_data.alias(f"distinct_{index}")
        source = source.outerjoin(alias, and_(alias.c.result_id == result.c.id, alias.c.key == key))
        partition.append(alias.c.value)
    rank = (
        func.row_number()
        .over(partition_by=partition, order_by=(result.c.submit_time.desc(), result.c.id.desc()))
        .label("rank")
    )
    ranked = select(result.c.id, rank).select_from(source).where(*conditions(filters)).subquery()
    newest = select(ranked.c.id).where(ranked.c.rank == 1)
    return (
        select(result)
        .where(result.c.id.in_(newest))
        .order_by(result.c.submit_time.desc(), result.c.id.desc())
    )


def _latest_per_testcase(filters: ResultFilters) -> Select[tuple[object, ...]]:
    newest_id = (
        select(result.c.id)
        .where(
            result.c.testcase_name == testcase.c.name, *conditions(filters, with_testcases=False)
        )
        .order_by(result.c.submit_time.desc(), result.c.id.desc())
        .limit(1)
        .scalar_subquery()
        .correlate(testcase)
    )
    # One row per testcase (select_from: the only column is the correlated subquery).
    ids = select(newest_id.label("id")).select_from(testcase)
    if filters.testcases or filters.testcases_like:
        parts: list[ColumnElement[bool]] = []
        if filters.testcases:
            parts.append(testcase.c.name.in_(filters.testcases))
        parts.extend(testcase.c.name.like(_pattern(like)) for like in filters.testcases_like)
        ids = ids.where(or_(*parts))
    newest = ids.subquery()
    return (
        select(result)
        .where(result.c.id.in_(select(newest.c.id)))
        .order_by(result.c.submit_time.desc(), result.c.id.desc())
    )


def previous_outcome(
    testcase_name: str, submit_time: dt.datetime, result_id: int, same: dict[str, str]
) -> Select[tuple[object, ...]]:
    """The outcome of the result just before this one (by submit_time, then id) of the same
    testcase whose data has the same value for each key of ``same`` (item, type, arch)."""
    earlier = or_(
        result.c.submit_time < submit_time,
        and_(result.c.submit_time == submit_time, result.c.id < result_id),
    )
    statement = select(result.c.outcome).where(result.c.testcase_name == testcase_name, earlier)
    for key, value in same.items():
        statement = statement.where(
            result.c.id.in_(
                select(result_data.c.result_id).where(
                    result_data.c.key == key, result_data.c.value == value
                )
            )
        )
    return statement.order_by(result.c.submit_time.desc(), result.c.id.desc()).limit(1)
