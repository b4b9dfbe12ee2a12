"""SQL for reading: pure functions from filter shapes to SQLAlchemy statements (no I/O here).

A statement depends only on the filters' shape (``FilterShape``: which filters, how many
values); the values themselves are bind parameters (``parameters``). Building a statement
costs more than running it, so ``reads`` builds each shape's once and reuses it.

Candidate results come from ``result``, or, when the filters name an item (an exact value of
a data key that is not a broad one, ``Candidates``), from that item's ``result_data`` rows,
which carry their result's testcase and time: an item's newest results are then read from
one index, however many results it has. Every other filter is a condition on the candidates:
data and group filters are ``id IN (subquery)`` (the (key, value, ...) and (group_id,
result_id) indexes) or, for broad keys, ``EXISTS`` (one entry of the (result_id, key, value)
index), so adding a filter never multiplies rows.
"Latest per testcase" is chosen by the shape of the filters: for an item, each of its
testcases' newest result is one backwards step in the item's index; for a group, its few
results are ranked with a window function; otherwise each testcase's newest result is one
backwards step in the (testcase_name, submit_time, id) index, whatever the table's size.
``with_details`` makes any of these ONE statement that also brings the results' data, groups
and testcases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    FromClause,
    Integer,
    Select,
    and_,
    bindparam,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)

from .schema import group, groups_to_results, result, result_data, testcase

#: Past this, an offset is refused by the databases; such a page is empty anyway.
MAX_OFFSET = 2**53
#: The largest id the databases' 64-bit integers hold: a larger one names no row.
MAX_ID = 2**63 - 1

__all__ = [
    "DataFilter",
    "FilterShape",
    "ResultFilters",
    "groups_with_counts",
    "latest_results",
    "one_group",
    "one_result",
    "parameters",
    "result_page",
    "shape_of",
    "with_details",
]


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


def data_filter(key: str, values: Sequence[str]) -> DataFilter:
    """Read a query parameter as upstream does: ``key:like`` is a pattern filter, another
    ``key:modifier`` an exact filter on ``key``, and two colons a literal key."""
    parts = key.split(":")
    if len(parts) == 2:
        return DataFilter(parts[0], tuple(values), like=parts[1] == "like")
    return DataFilter(key, tuple(values))


def _pattern(value: str) -> str:
    return value.replace("*", "%")


@dataclass(frozen=True)
class DataShape:
    """What the statement of one data filter depends on: not its key or its values."""

    broad: bool
    like: bool
    count: int


@dataclass(frozen=True)
class FilterShape:
    """Which filters are present and how many values each has: all a statement depends on.

    Requests of the same shape share one statement (built once, compiled once: see
    ``reads``); their values travel as bind parameters, named by ``_name``.
    """

    since: bool = False
    until: bool = False
    outcomes: int = 0
    groups: int = 0
    testcases: int = 0
    testcases_like: int = 0
    data: tuple[DataShape, ...] = ()

    @property
    def narrow(self) -> bool:
        """Filters that pick few results by index (an item, a group; not a type or arch).
        Unlike ``pinned``, a pattern on an item counts: it is answered from the data index,
        but it may match any number of results, so it does not fix the plan."""
        return self.groups > 0 or any(not d.broad for d in self.data)

    @property
    def broad_anchor(self) -> int | None:
        """The first filter on one value of a broad key (``type=koji_build``), if any."""
        for index, wanted in enumerate(self.data):
            if wanted.broad and not wanted.like and wanted.count == 1:
                return index
        return None

    @property
    def pinned(self) -> bool:
        """Exact values pick the candidates (an item, a group): then one plan suits all."""
        return self.groups > 0 or self.anchor is not None

    @property
    def plan_per_values(self) -> bool:
        """Whether the best plan depends on the values: a broad or pattern data filter that
        no item or group pins (``type=koji_build`` matches 90 % of the results, while
        ``type=bodhi_update`` 10 %: check each candidate for the first, join the few for the
        second; ``item:like=P`` may match any number). Such statements are planned at each
        execution (see ``reads``)."""
        return not self.pinned and any(d.broad or d.like for d in self.data)

    @property
    def page_plan_per_values(self) -> bool:
        """Whether a page's best plan depends on the values: besides ``plan_per_values``, an
        outcome or a testcase pattern that no item or group pins. Newest first,
        ``outcome=FAILED`` (15 %) turns up among the first results and ``outcome=CRASHED``
        (none) after all of them: one plan for both took 460 ms for the second at 1,000,000
        results (a testcase pattern that matches nothing: 510 ms), where a plan for the value
        reads the outcome's index (1 ms). ``/results/latest`` reads a pattern's testcases from
        their table and ignores outcomes: not there."""
        return self.plan_per_values or (
            not self.pinned and (self.outcomes > 0 or self.testcases_like > 0)
        )

    @property
    def anchor(self) -> int | None:
        """The data filter candidates are read from (see ``Candidates``): the first with
        exact values of a key that is not broad (an item), if any."""
        for index, wanted in enumerate(self.data):
            if not wanted.broad and not wanted.like and wanted.count:
                return index
        return None

    @property
    def values(self) -> int:
        """How many values in all: a statement has a parameter for each (see ``reads``)."""
        fixed = self.outcomes + self.groups + self.testcases + self.testcases_like
        return fixed + sum(d.count for d in self.data)


#: LIMIT 1 written as such: SQLAlchemy makes a plain 1 a bind parameter (see ``page_bound``).
ONE: ColumnElement[int] = literal_column("1")


def page_bound(name: str) -> BindParameter[int]:
    """A page's OFFSET or LIMIT: a value in the SQL text, not a parameter. PostgreSQL plans a
    prepared statement once for any values after a few executions (a generic plan) when that
    plan looks no worse; with LIMIT a parameter it must guess the limit (10 % of the rows)
    and a first page became a sort of the whole table (140 ms), so it planned every
    execution instead (0.3 ms of a 1 ms read). Distinct pages are distinct statements then,
    which psycopg prepares and evicts as any other."""
    return bindparam(name, type_=Integer, literal_execute=True)


def _name(kind: str, index: int, sub: int | None = None) -> str:
    """The bind parameter of one value: the statement and ``parameters`` agree on these."""
    return f"{kind}_{index}" if sub is None else f"{kind}_{index}_{sub}"


def _binds(kind: str, count: int, index: int | None = None) -> list[BindParameter[Any]]:
    if index is None:
        return [bindparam(_name(kind, i)) for i in range(count)]
    return [bindparam(_name(kind, index, i)) for i in range(count)]


def shape_of(filters: ResultFilters) -> FilterShape:
    return FilterShape(
        since=filters.since is not None,
        until=filters.until is not None,
        outcomes=len(filters.outcomes),
        groups=len(filters.groups),
        testcases=len(filters.testcases),
        testcases_like=len(filters.testcases_like),
        data=tuple(DataShape(f.broad, f.like, len(f.values)) for f in filters.data),
    )


def parameters(filters: ResultFilters, distinct_on: Sequence[str] = ()) -> dict[str, Any]:
    """The values of ``filters`` by bind parameter name (see ``_name``)."""
    values: dict[str, Any] = {}
    if filters.since is not None:
        values["since"] = filters.since
    if filters.until is not None:
        values["until"] = filters.until
    for kind, items in (
        ("outcome", filters.outcomes),
        ("group", filters.groups),
        ("testcase", filters.testcases),
    ):
        values.update((_name(kind, i), v) for i, v in enumerate(items))
    values.update(
        (_name("testcase_like", i), _pattern(v)) for i, v in enumerate(filters.testcases_like)
    )
    for index, wanted in enumerate(filters.data):
        values[_name("key", index)] = wanted.key
        for i, value in enumerate(wanted.values):
            values[_name("value", index, i)] = _pattern(value) if wanted.like else value
    values.update((_name("distinct", i), key) for i, key in enumerate(distinct_on))
    return values


def _testcase_condition(
    column: ColumnElement[str], shape: FilterShape
) -> ColumnElement[bool] | None:
    parts: list[ColumnElement[bool]] = []
    if shape.testcases:
        parts.append(column.in_(_binds("testcase", shape.testcases)))
    parts.extend(column.like(b) for b in _binds("testcase_like", shape.testcases_like))
    return or_(*parts) if parts else None


@dataclass(frozen=True)
class Candidates:
    """Where a statement's candidate results come from: their id, time and testcase.

    ``result`` itself, or the ``result_data`` rows of the shape's anchor filter (an item):
    those carry their result's testcase_name and submit_time, and the (key, value,
    testcase_name, submit_time, result_id) index lists an item's results with both, so the
    newest of them are found without reading ``result`` (an item with 270 results cost 270
    lookups there, and grew with the table).
    """

    source: FromClause
    id: ColumnElement[int]
    submit_time: ColumnElement[dt.datetime]
    testcase_name: ColumnElement[str]
    #: The index of the data filter these rows are; None for ``result``.
    anchor: int | None = None


RESULTS = Candidates(result, result.c.id, result.c.submit_time, result.c.testcase_name)


def candidates(shape: FilterShape, name: str = "anchor") -> Candidates:
    """The candidates for ``shape``: its anchor's data rows (as ``name``), or ``result``."""
    return RESULTS if shape.anchor is None else data_candidates(shape.anchor, name)


def data_candidates(index: int, name: str = "anchor") -> Candidates:
    """The data rows of the shape's data filter ``index`` (as ``name``) as candidates."""
    rows = result_data.alias(name)
    return Candidates(rows, rows.c.result_id, rows.c.submit_time, rows.c.testcase_name, index)


def _anchor_match(among: Candidates, shape: FilterShape) -> list[ColumnElement[bool]]:
    """The anchor filter's own condition on its rows: its key, and any of its values."""
    index = among.anchor
    assert index is not None  # noqa: S101 - only called for anchored candidates
    rows = among.source.c
    values = _binds("value", shape.data[index].count, index)
    return [rows.key == bindparam(_name("key", index)), rows.value.in_(values)]


def conditions(
    shape: FilterShape, among: Candidates = RESULTS, *, with_testcases: bool = True
) -> list[ColumnElement[bool]]:
    """The WHERE conditions on the candidates ``among`` for filters of ``shape``."""
    where: list[ColumnElement[bool]] = []
    if shape.since:
        where.append(among.submit_time >= bindparam("since"))
    if shape.until:
        where.append(among.submit_time <= bindparam("until"))
    if shape.outcomes:
        outcome = result.c.outcome.in_(_binds("outcome", shape.outcomes))
        if among is RESULTS:
            where.append(outcome)
        else:
            where.append(select(result.c.id).where(result.c.id == among.id, outcome).exists())
    if shape.groups:
        where.append(
            among.id.in_(
                select(groups_to_results.c.result_id)
                .join(group, group.c.id == groups_to_results.c.group_id)
                .where(group.c.uuid.in_(_binds("group", shape.groups)))
            )
        )
    if with_testcases:
        by_testcase = _testcase_condition(among.testcase_name, shape)
        if by_testcase is not None:
            where.append(by_testcase)
    for index, wanted in enumerate(shape.data):
        if index == among.anchor:
            where.extend(_anchor_match(among, shape))
            continue
        values = _binds("value", wanted.count, index)
        if wanted.like:
            match = or_(*(result_data.c.value.like(v) for v in values))
        else:
            match = result_data.c.value.in_(values)
        key = result_data.c.key == bindparam(_name("key", index))
        if wanted.broad:
            # One entry of the (result_id, key, value) index. (Naming the candidate's
            # testcase and time would make it one of the (key, value, testcase_name,
            # submit_time, result_id) index, but PostgreSQL takes such equalities as
            # independent and misjudged "type" filters: 969 matches expected of 92,000.)
            has_value = select(result_data.c.id).where(
                result_data.c.result_id == among.id, key, match
            )
            if shape.narrow:
                # Few candidates (an item's, a group's): a lookup each is always right, and
                # OFFSET 0 keeps it one. PostgreSQL would otherwise consider a join, and in
                # a plan made once for any values (prepared statements) it cannot tell
                # "type" from an item: it joined a whole range of "type" entries to each
                # candidate (35 ms instead of 1 at 1,000,000 results).
                has_value = has_value.offset(literal_column("0"))
            where.append(has_value.exists())
        else:
            where.append(among.id.in_(select(result_data.c.result_id).where(key, match)))
    return where


def result_page(shape: FilterShape, *, sort: str = "") -> Select[tuple[object, ...]]:
    """One page of results: ``offset`` and ``limit`` are bound at execution, into the SQL
    text (``page_bound``; ask for one row more than shown to know if a next page exists).

    ``sort``: ``asc:submit_time``, ``desc:submit_time`` (the default, also for anything else)
    or ``disable_sorting``. Equal times are ordered by id, so pages are stable.
    """
    among = candidates(shape)
    ids = select(among.id.label("id")).where(*conditions(shape, among))
    if among is not RESULTS:
        # A result with the item twice in its data is one result. (submit_time: the
        # databases want what they order by in a DISTINCT's list.)
        ids = ids.add_columns(among.submit_time).distinct()
    if sort == "asc:submit_time":
        ids = ids.order_by(among.submit_time.asc(), among.id.asc())
    elif sort != "disable_sorting":
        ids = ids.order_by(among.submit_time.desc(), among.id.desc())
    # The page's ids first, then their rows: the rows an OFFSET skips are then index entries
    # only (PostgreSQL: an index-only scan), not table rows fetched to be thrown away.
    # Callers restore the order (see serializers.documents).
    window = ids.offset(page_bound("offset")).limit(page_bound("limit")).subquery()
    return select(result).where(result.c.id.in_(select(window.c.id)))


def one_result() -> Select[tuple[object, ...]]:
    """The result whose id is the bind parameter ``id``."""
    return select(result).where(result.c.id == bindparam("id"))


def groups_with_counts() -> Select[Any]:
    """``group`` rows with their ``results_count``, counted in the same statement."""
    count = (
        select(func.count())
        .where(groups_to_results.c.group_id == group.c.id)
        .scalar_subquery()
        .label("results_count")
    )
    return select(group, count)


def one_group(uuid: str) -> Select[Any]:
    """The group ``uuid`` (none or one row) with its ``results_count``."""
    return groups_with_counts().where(group.c.uuid == uuid)


def with_details(statement: Select[Any]) -> CompoundSelect[Any]:
    """A statement selecting ``result`` rows, made into ONE statement that also brings their
    data, groups and testcases (run it, then ``serializers.documents``).

    The statement becomes a materialized CTE; its rows, their data, their groups and their
    testcases come back together as one UNION ALL, told apart by a ``kind`` column. On
    PostgreSQL every round trip costs as much as the query itself, so this is the difference
    between a page at the cost of the healthcheck and a page at four times it.
    """
    page = statement.cte("page").prefix_with("MATERIALIZED")
    ids = select(page.c.id)
    rows = select(
        literal_column("0").label("kind"),
        page.c.id.label("rid"),
        page.c.testcase_name.label("a"),
        page.c.outcome.label("b"),
        page.c.note.label("c"),
        page.c.ref_url.label("d"),
        page.c.submit_time.label("t"),
        page.c.id.label("seq"),
    )
    data = select(
        literal_column("1"),
        result_data.c.result_id,
        result_data.c.key,
        result_data.c.value,
        null(),
        null(),
        null(),
        result_data.c.id,
    ).where(result_data.c.result_id.in_(ids))
    links = (
        select(
            literal_column("2"),
            groups_to_results.c.result_id,
            group.c.uuid,
            null(),
            null(),
            null(),
            null(),
            groups_to_results.c.id,
        )
        .join(group, group.c.id == groups_to_results.c.group_id)
        .where(groups_to_results.c.result_id.in_(ids))
    )
    cases = select(
        literal_column("3"),
        null(),
        testcase.c.name,
        testcase.c.ref_url,
        null(),
        null(),
        null(),
        testcase.c.id,
    ).where(testcase.c.name.in_(select(page.c.testcase_name)))
    # No ORDER BY: the database would sort each part in a temporary B-tree;
    # ``serializers.documents`` sorts the rows (about a hundred) by (kind, seq) itself, in
    # microseconds.
    return union_all(rows, data, links, cases)


def latest_results(shape: FilterShape, distinct_on: int = 0) -> Select[tuple[object, ...]]:
    """The newest result per testcase (and per value of each of the ``distinct_on`` data
    keys, bound as ``distinct_<n>``, a missing key being a group of its own), newest first."""
    if distinct_on:
        return _latest_ranked(shape, distinct_on)
    if shape.anchor is not None:
        return _latest_of_item(shape)
    if shape.narrow:
        return _latest_ranked(shape, distinct_on)
    return _latest_per_testcase(shape)


def _latest_of_item(shape: FilterShape) -> Select[tuple[object, ...]]:
    """For filters naming an item (``shape.anchor``): per testcase the item's results have,
    the newest that passes the filters, one backwards step in the item's index each (and a
    check of the other filters per step), whatever the item's history."""
    among = candidates(shape)
    # The item's testcases: a scan of its index entries, no other filter checked here.
    tested = (
        select(among.testcase_name.label("name"))
        .where(*_anchor_match(among, shape))
        .distinct()
        .subquery("tested")
    )
    return _newest_per_testcase(shape, candidates(shape, "newest"), tested, tested.c.name)


def _latest_ranked(shape: FilterShape, distinct_on: int) -> Select[tuple[object, ...]]:
    partition: list[ColumnElement[object]] = [result.c.testcase_name]
    source: FromClause = result
    for index in range(distinct_on):
        alias = result_data.alias(f"distinct_{index}")
        key: BindParameter[str] = bindparam(_name("distinct", index))
        source = source.outerjoin(alias, and_(alias.c.result_id == result.c.id, alias.c.key == key))
        partition.append(alias.c.value)
    rank = (
        func.row_number()
        .over(partition_by=partition, order_by=(result.c.submit_time.desc(), result.c.id.desc()))
        .label("rank")
    )
    ranked = select(result.c.id, rank).select_from(source).where(*conditions(shape)).subquery()
    newest = select(ranked.c.id).where(ranked.c.rank == 1)
    return (
        select(result)
        .where(result.c.id.in_(newest))
        .order_by(result.c.submit_time.desc(), result.c.id.desc())
    )


def _latest_per_testcase(shape: FilterShape) -> Select[tuple[object, ...]]:
    """Per testcase, the newest result that passes the filters: one backwards step in an
    index per testcase, the (testcase_name, submit_time, id) one of ``result``, or, for a
    filter on one value of a broad key (``type=bodhi_update``), that value's entries in the
    data index by testcase and time. Walking a testcase's results checking each for the
    value took 0.6-1 s at 1,000,000 results for a value most testcases never have."""
    index = shape.broad_anchor
    among = RESULTS if index is None else data_candidates(index)
    return _newest_per_testcase(shape, among, testcase, testcase.c.name)


def _newest_per_testcase(
    shape: FilterShape, among: Candidates, names: FromClause, name: ColumnElement[str]
) -> Select[tuple[object, ...]]:
    """Per testcase ``name`` of ``names`` (that the testcase filters keep), the newest of the
    candidates ``among`` that passes the other filters: a correlated search each."""
    newest_id = (
        select(among.id)
        .where(among.testcase_name == name, *conditions(shape, among, with_testcases=False))
        .order_by(among.submit_time.desc(), among.id.desc())
        .limit(ONE)
        .scalar_subquery()
        .correlate(names)
    )
    # One row per testcase (select_from: the only column is the correlated subquery).
    ids = select(newest_id.label("id")).select_from(names)
    by_testcase = _testcase_condition(name, shape)
    if by_testcase is not None:
        ids = ids.where(by_testcase)
    # OFFSET 0: each testcase's search runs once. Pulled up into the IN below, PostgreSQL
    # ran it twice per testcase (for the semi-join's hash, then in the lookup's condition).
    newest = ids.offset(literal_column("0")).subquery()
    return (
        select(result)
        .where(result.c.id.in_(select(newest.c.id)))
        .order_by(result.c.submit_time.desc(), result.c.id.desc())
    )
