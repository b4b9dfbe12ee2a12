"""Reading results and groups: each filter shape's statement is built once, then only
values are bound.

Building a page's SQLAlchemy statement (coercions, column proxies, its cache key) cost more
than the database took to run it: about 0.5 ms of a 1.5 ms read. A statement depends only on
the shape of the filters (``queries.FilterShape``), so it is built once per shape and kept;
SQLAlchemy's compiled cache then finds its SQL at once (a kept statement memoizes its cache
key), and a request only binds its values (a page's OFFSET and LIMIT into its text:
``queries.page_bound``). Each read is ONE statement (see ``queries.with_details``).

All the SQL the views run is here (or in ``store``): they call these functions with plain
values and get documents or rows back, which ``serializers`` turns into documents.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    CompoundSelect,
    Connection,
    Executable,
    Row,
    RowMapping,
    Select,
    bindparam,
    or_,
    select,
    text,
)

from .db import planned_per_execution
from .queries import (
    FilterShape,
    ResultFilters,
    groups_with_counts,
    latest_results,
    one_group,
    one_result,
    page_bound,
    parameters,
    result_page,
    shape_of,
    with_details,
)
from .schema import group, testcase
from .serializers import Urls, documents, serialize_group

__all__ = [
    "group_exists",
    "group_with_count",
    "groups",
    "groups_by_uuid",
    "latest",
    "page",
    "ping",
    "planned_once",
    "single",
    "testcase_exists",
    "testcase_row",
    "testcases",
]

#: Shapes kept per process: bounded by this, not by what clients send.
_SHAPES = 256
#: Statements with more values than this are built for their request only: each value is a
#: parameter of its own (no "expanding" IN lists: expanding one costs ~0.04 ms a request),
#: and a client may send hundreds; kept, they would fill memory.
_KEPT_VALUES = 16

#: ``sort`` as a page's statement is built for it, and the order to restore after the UNION.
_SORTS: dict[str, tuple[str, str | None]] = {
    "asc:submit_time": ("asc:submit_time", "asc"),
    "disable_sorting": ("disable_sorting", None),
}


def _build_page(shape: FilterShape, sort: str) -> CompoundSelect[Any]:
    return with_details(result_page(shape, sort=sort))


def _build_latest(shape: FilterShape, distinct_on: int) -> CompoundSelect[Any]:
    return with_details(latest_results(shape, distinct_on))


_kept_page = lru_cache(maxsize=_SHAPES)(_build_page)
_kept_latest = lru_cache(maxsize=_SHAPES)(_build_latest)


def _run(
    conn: Connection,
    statement: Executable,
    values: dict[str, Any],
    *,
    kept: bool,
    per_values: bool = False,
) -> Sequence[Row[Any]]:
    """Run ``statement``; ``per_values``: planned for its values (``planned_per_execution``)."""
    options = {} if kept else {"compiled_cache": None}  # built for this request alone
    with planned_per_execution(conn) if per_values else nullcontext():
        return conn.execute(statement, values, execution_options=options).all()


_SINGLE = with_details(one_result())


def planned_once(filters: ResultFilters, *, latest: bool = False) -> bool:
    """Whether ``filters``' page (``latest``: ``/results/latest``) statement has one best plan
    whatever the values: read it on ``Database.read(planned_once=True)``. The others are
    planned for their values at each execution, on either kind of connection (see ``_run``)."""
    shape = shape_of(filters)
    return not (shape.plan_per_values if latest else shape.page_plan_per_values)


def page(
    conn: Connection, filters: ResultFilters, urls: Urls, *, offset: int, limit: int, sort: str = ""
) -> list[dict[str, Any]]:
    """``limit`` results from ``offset``, newest first unless ``sort`` says otherwise
    (``asc:submit_time``, ``disable_sorting``; anything else is ``desc:submit_time``)."""
    sort, order = _SORTS.get(sort, ("", "desc"))
    values = parameters(filters)
    values["offset"] = offset
    values["limit"] = limit
    shape = shape_of(filters)
    kept = shape.values <= _KEPT_VALUES
    statement = (_kept_page if kept else _build_page)(shape, sort)
    rows = _run(conn, statement, values, kept=kept, per_values=shape.page_plan_per_values)
    return documents(rows, urls, order=order)


def latest(
    conn: Connection, filters: ResultFilters, urls: Urls, distinct_on: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """The newest result per testcase (and per value of each ``distinct_on`` data key)."""
    shape = shape_of(filters)
    kept = shape.values + len(distinct_on) <= _KEPT_VALUES
    statement = (_kept_latest if kept else _build_latest)(shape, len(distinct_on))
    values = parameters(filters, distinct_on)
    rows = _run(conn, statement, values, kept=kept, per_values=shape.plan_per_values)
    return documents(rows, urls)


def single(conn: Connection, result_id: int, urls: Urls) -> dict[str, Any] | None:
    """The result ``result_id``, or None."""
    found = documents(conn.execute(_SINGLE, {"id": result_id}).all(), urls)
    return found[0] if found else None


def _build_groups(descriptions: int, likes: int, uuids: int) -> Select[Any]:
    """Groups, newest first, with ``descriptions`` exact descriptions (``description_<n>``)
    or ``likes`` patterns (``description_like_<n>``), and ``uuids`` uuids (``uuid_<n>``)."""
    statement = groups_with_counts().order_by(group.c.id.desc())
    if descriptions:
        names: list[BindParameter[str]] = [
            bindparam(f"description_{i}") for i in range(descriptions)
        ]
        statement = statement.where(group.c.description.in_(names))
    elif likes:
        patterns: list[BindParameter[str]] = [
            bindparam(f"description_like_{i}") for i in range(likes)
        ]
        statement = statement.where(or_(*(group.c.description.like(p) for p in patterns)))
    if uuids:
        statement = statement.where(
            group.c.uuid.in_([bindparam(f"uuid_{i}") for i in range(uuids)])
        )
    return statement.offset(page_bound("offset")).limit(page_bound("limit"))


_kept_groups = lru_cache(maxsize=_SHAPES)(_build_groups)


def groups(
    conn: Connection,
    urls: Urls,
    *,
    descriptions: Sequence[str] = (),
    likes: Sequence[str] = (),
    uuids: Sequence[str] = (),
    offset: int,
    limit: int,
) -> list[dict[str, Any]]:
    """A page of groups, newest first: those with any of ``descriptions``, else matching any
    of ``likes`` (SQL LIKE patterns), and with any of ``uuids``; each filter when not empty."""
    likes = () if descriptions else likes
    values: dict[str, Any] = {"offset": offset, "limit": limit}
    values.update((f"description_{i}", v) for i, v in enumerate(descriptions))
    values.update((f"description_like_{i}", v) for i, v in enumerate(likes))
    values.update((f"uuid_{i}", v) for i, v in enumerate(uuids))
    counts = (len(descriptions), len(likes), len(uuids))
    kept = sum(counts) <= _KEPT_VALUES
    statement = (_kept_groups if kept else _build_groups)(*counts)
    rows = [row._mapping for row in _run(conn, statement, values, kept=kept)]
    return [serialize_group(row, row["results_count"], urls) for row in rows]


def ping(conn: Connection) -> None:
    """Touch the results table (no row read): raises when the database cannot answer."""
    conn.execute(text("SELECT 1 FROM result LIMIT 0")).all()


def group_with_count(conn: Connection, uuid: str) -> RowMapping | None:
    """The group ``uuid`` with its ``results_count`` (one statement), or None."""
    return conn.execute(one_group(uuid)).mappings().first()


def groups_by_uuid(conn: Connection, uuids: Sequence[str]) -> list[RowMapping]:
    """The groups among ``uuids`` that exist, oldest first (a result's groups, on its page)."""
    statement = select(group).where(group.c.uuid.in_(uuids)).order_by(group.c.id)
    return list(conn.execute(statement).mappings())


def group_exists(conn: Connection, uuid: str) -> bool:
    """Whether the group ``uuid`` exists: tells an empty page of its results from a 404."""
    statement = select(group.c.id).where(group.c.uuid == uuid).limit(1)
    return conn.execute(statement).first() is not None


def testcase_row(conn: Connection, name: str) -> RowMapping | None:
    """The testcase ``name``, or None."""
    statement = select(testcase).where(testcase.c.name == name)
    return conn.execute(statement).mappings().first()


def testcase_exists(conn: Connection, name: str) -> bool:
    """Whether the testcase ``name`` exists: tells an empty page of its results from a 404."""
    statement = select(testcase.c.id).where(testcase.c.name == name).limit(1)
    return conn.execute(statement).first() is not None


def testcases(
    conn: Connection,
    *,
    names: Sequence[str] = (),
    likes: Sequence[str] = (),
    offset: int,
    limit: int,
) -> list[RowMapping]:
    """A page of testcases by name: those named any of ``names``, else matching any of
    ``likes`` (SQL LIKE patterns); each filter when not empty."""
    statement = select(testcase).order_by(testcase.c.name.asc())
    if names:
        statement = statement.where(or_(*(testcase.c.name == name for name in names)))
    elif likes:
        statement = statement.where(or_(*(testcase.c.name.like(like) for like in likes)))
    return list(conn.execute(statement.offset(offset).limit(limit)).mappings().all())
