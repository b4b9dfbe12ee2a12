"""SQL for writing: the create/upsert semantics of upstream's POST endpoints.

Rows that several requests may create at once (a new testcase, a new group) are inserted with
``ON CONFLICT DO NOTHING`` and then read: concurrent POSTs naming the same new group never
fail (upstream answers 500 to the loser of that race).
"""

from __future__ import annotations

import datetime as dt
import uuid as uuid_module
from functools import cache
from typing import Any

from sqlalchemy import Connection, Select, Table, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import ReturningInsert

from .parsers import CreateGroupBody, CreateResultBody, CreateTestcaseBody
from .publish import enqueue
from .queries import previous_outcome
from .schema import group, groups_to_results, result, result_data, testcase

__all__ = [
    "announce",
    "create_group",
    "create_results",
    "create_testcase",
    "data_rows",
]

_MISSING: Any = object()

# The statements of a POST are the same every time: built once (building one costs about as
# much as running it), so that SQLAlchemy finds their compiled SQL by a memoized cache key.
_INSERT_RESULTS = insert(result).returning(result.c.id, sort_by_parameter_order=True)
_INSERT_DATA = insert(result_data)
_INSERT_LINKS = insert(groups_to_results)


@cache
def _select_by(table: Table, key: str) -> Select[Any]:
    """``table``'s rows whose ``key`` is in the list bound as ``keys``."""
    return select(table).where(table.c[key].in_(bindparam("keys", expanding=True)))


@cache
def _insert_new(dialect: str, table: Table, key: str) -> ReturningInsert[Any]:
    """INSERT ... ON CONFLICT (key) DO NOTHING RETURNING *, for ``dialect``."""
    if dialect == "postgresql":
        statement: Any = postgresql.insert(table).on_conflict_do_nothing(index_elements=[key])
    elif dialect == "sqlite":
        statement = sqlite.insert(table).on_conflict_do_nothing(index_elements=[key])
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(f"unsupported database {dialect}")
    returning: ReturningInsert[Any] = statement.returning(table)
    return returning


def _insert_ignoring_conflicts(
    conn: Connection, table: Table, rows: list[dict[str, Any]], key: str
) -> list[dict[str, Any]]:
    """Insert ``rows``, skipping those another transaction inserted first; return the
    rows really inserted (the others come back as nothing)."""
    statement = _insert_new(conn.dialect.name, table, key)
    return [dict(row) for row in conn.execute(statement, rows).mappings()]


def _ensure_many(
    conn: Connection, table: Table, key: str, wanted: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """The rows whose ``key`` is each of ``wanted``, created if missing, changes applied.

    One statement when they all exist and none changes (the usual POST: a known testcase),
    two when some are new; then one per row that really changes. A row another request
    created in between (a lost race) is read once more.
    """
    if not wanted:
        return {}

    def read(keys: list[str]) -> dict[str, dict[str, Any]]:
        found = conn.execute(_select_by(table, key), {"keys": keys}).mappings()
        return {row[key]: dict(row) for row in found}

    rows = read(list(wanted))
    missing = [value for value in wanted if value not in rows]
    if missing:
        columns = sorted({column for value in missing for column in wanted[value]})
        new = [{key: v, **{c: wanted[v].get(c) for c in columns}} for v in missing]
        rows.update({row[key]: row for row in _insert_ignoring_conflicts(conn, table, new, key)})
        lost = [value for value in missing if value not in rows]
        if lost:
            rows.update(read(lost))
    for value, changes in wanted.items():
        row = rows[value]
        stale = {column: new for column, new in changes.items() if row[column] != new}
        if stale:
            conn.execute(update(table).where(table.c.id == row["id"]).values(stale))
            row.update(stale)
    return rows


def _ensure(
    conn: Connection, table: Table, key: str, value: str, changes: dict[str, Any]
) -> dict[str, Any]:
    return _ensure_many(conn, table, key, {value: changes})[value]


def create_testcase(conn: Connection, body: CreateTestcaseBody) -> dict[str, Any]:
    """Upsert by name; ``ref_url`` is overwritten unless null."""
    changes = {} if body.ref_url is None else {"ref_url": body.ref_url}
    return _ensure(conn, testcase, "name", body.name, changes)


def create_group(conn: Connection, body: CreateGroupBody) -> dict[str, Any]:
    """Upsert by uuid (a new uuid1 when absent); description and ref_url are only
    overwritten by non-empty values, as upstream does."""
    changes = {k: v for k, v in (("description", body.description), ("ref_url", body.ref_url)) if v}
    return _ensure(conn, group, "uuid", body.uuid or str(uuid_module.uuid1()), changes)


def data_rows(data: dict[str, Any] | None) -> list[tuple[str, str]]:
    """Result data as upstream stores it: one (key, text) row per value; lists give one row
    per element (none for ``[]``), other values their Python ``str()`` ("True", "None")."""
    rows: list[tuple[str, str]] = []
    for key, value in (data or {}).items():
        if isinstance(value, list | tuple):
            rows.extend((key, v if isinstance(v, str) else str(v)) for v in value)
        else:
            rows.append((key, value if isinstance(value, str) else str(value)))
    return rows


Stored = tuple[dict[str, Any], dict[str, Any], list[str], dict[str, list[str]]]


def create_results(conn: Connection, bodies: list[CreateResultBody]) -> list[Stored]:
    """Store results with their testcases, groups and data, in a constant number of
    statements for the whole list (one result is a list of one).

    Testcases and groups named by several results are created once; where results disagree
    on a testcase's or group's ref_url or description, the last one wins, as if posted in order.

    Returns:
        per result: its row, its testcase row, its group uuids and its data.
    """
    testcases: dict[str, dict[str, Any]] = {}
    groups: dict[str, dict[str, Any]] = {}
    group_uuids: list[list[str]] = []
    for body in bodies:
        spec = body.testcase
        changes = testcases.setdefault(spec["name"], {})
        if "ref_url" in spec:
            changes["ref_url"] = spec["ref_url"]
        uuids = []
        for item in body.groups or ():
            if isinstance(item, str):
                uuids.append(item)
                groups.setdefault(item, {})
            else:
                uuid = item.get("uuid") or str(uuid_module.uuid1())
                uuids.append(uuid)
                groups.setdefault(uuid, {}).update(
                    {k: item[k] for k in ("description", "ref_url") if k in item}
                )
        group_uuids.append(uuids)
    testcase_rows = _ensure_many(conn, testcase, "name", testcases)
    group_rows = _ensure_many(conn, group, "uuid", groups)

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = [
        {
            "testcase_name": body.testcase["name"],
            "submit_time": body.submit_time or now,
            "outcome": body.outcome,
            "note": body.note,
            "ref_url": body.ref_url,
        }
        for body in bodies
    ]
    if not rows:
        return []
    ids: list[int] = list(conn.execute(_INSERT_RESULTS, rows).scalars().all())
    data_for: list[list[tuple[str, str]]] = [data_rows(body.data) for body in bodies]
    links: list[dict[str, Any]] = []
    values: list[dict[str, Any]] = []
    for row, result_id, uuids, data in zip(rows, ids, group_uuids, data_for, strict=True):
        row["id"] = result_id
        values.extend({"result_id": result_id, "key": k, "value": v} for k, v in data)
        links.extend({"group_id": group_rows[u]["id"], "result_id": result_id} for u in uuids)
    if values:
        conn.execute(_INSERT_DATA, values)
    if links:
        conn.execute(_INSERT_LINKS, links)
    stored: list[Stored] = []
    for row, body, uuids, data in zip(rows, bodies, group_uuids, data_for, strict=True):
        grouped: dict[str, list[str]] = {}
        for key, value in data:
            grouped.setdefault(key, []).append(value)
        stored.append((row, testcase_rows[body.testcase["name"]], uuids, grouped))
    return stored


#: What makes two results "the same check of the same thing" for the low-noise messages.
SAME_SUBJECT_KEYS = ("item", "type", "arch")


def announce(
    conn: Connection, stored: list[Stored], documents: list[dict[str, Any]], *, changed_only: bool
) -> None:
    """Queue a message per new result, in the caller's transaction.

    With ``changed_only``, only for results whose outcome differs from the previous result of
    the same testcase, item, type and arch (the first value of each that the result has).
    """
    wanted = []
    for (row, _testcase, _groups, data), document in zip(stored, documents, strict=True):
        if changed_only:
            same = {key: data[key][0] for key in SAME_SUBJECT_KEYS if data.get(key)}
            before = conn.execute(
                previous_outcome(row["testcase_name"], row["submit_time"], row["id"], same)
            ).scalar()
            if before == row["outcome"]:
                continue
        wanted.append(document)
    enqueue(conn, wanted)
