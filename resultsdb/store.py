"""SQL for writing: the create/upsert semantics of upstream's POST endpoints.

Rows that several requests may create at once (a new testcase, a new group) are inserted with
``ON CONFLICT DO NOTHING`` and then read: concurrent POSTs naming the same new group never
fail (upstream answers 500 to the loser of that race).
"""

from __future__ import annotations

import datetime as dt
import uuid as uuid_module
from typing import Any

from sqlalchemy import Connection, Table, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .parsers import CreateGroupBody, CreateResultBody, CreateTestcaseBody
from .schema import group, groups_to_results, result, result_data, testcase

__all__ = ["create_group", "create_result", "create_testcase", "data_rows"]

_MISSING: Any = object()


def _insert_ignoring_conflict(
    conn: Connection, table: Table, values: dict[str, Any], key: str
) -> None:
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.execute(
            postgresql.insert(table).values(values).on_conflict_do_nothing(index_elements=[key])
        )
    elif dialect == "sqlite":
        conn.execute(
            sqlite.insert(table).values(values).on_conflict_do_nothing(index_elements=[key])
        )
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        if conn.execute(select(table.c.id).where(table.c[key] == values[key])).first() is None:
            conn.execute(insert(table).values(values))


def _ensure(
    conn: Connection, table: Table, key: str, value: str, changes: dict[str, Any]
) -> dict[str, Any]:
    """The row whose ``key`` is ``value``, created if missing, with ``changes`` applied."""
    _insert_ignoring_conflict(conn, table, {key: value, **changes}, key)
    row = dict(conn.execute(select(table).where(table.c[key] == value)).mappings().one())
    stale = {column: new for column, new in changes.items() if row[column] != new}
    if stale:
        conn.execute(update(table).where(table.c.id == row["id"]).values(stale))
        row.update(stale)
    return row


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


def create_result(
    conn: Connection, body: CreateResultBody
) -> tuple[dict[str, Any], dict[str, Any], list[str], dict[str, list[str]]]:
    """Store one result with its testcase, groups and data.

    Returns:
        the result row, its testcase row, its group uuids and its data, for serializing.
    """
    spec = body.testcase
    tc_changes = {"ref_url": spec["ref_url"]} if "ref_url" in spec else {}
    testcase_row = _ensure(conn, testcase, "name", spec["name"], tc_changes)

    group_rows = []
    for item in body.groups or ():
        if isinstance(item, str):
            group_rows.append(_ensure(conn, group, "uuid", item, {}))
        else:
            changes = {k: item[k] for k in ("description", "ref_url") if k in item}
            uuid = item.get("uuid") or str(uuid_module.uuid1())
            group_rows.append(_ensure(conn, group, "uuid", uuid, changes))

    submit_time = body.submit_time or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    row = {
        "testcase_name": testcase_row["name"],
        "submit_time": submit_time,
        "outcome": body.outcome,
        "note": body.note,
        "ref_url": body.ref_url,
    }
    row["id"] = conn.execute(insert(result).values(row).returning(result.c.id)).scalar_one()
    rows = data_rows(body.data)
    if rows:
        conn.execute(
            insert(result_data),
            [{"result_id": row["id"], "key": k, "value": v} for k, v in rows],
        )
    if group_rows:
        conn.execute(
            insert(groups_to_results),
            [{"group_id": g["id"], "result_id": row["id"]} for g in group_rows],
        )
    data: dict[str, list[str]] = {}
    for key, value in rows:
        data.setdefault(key, []).append(value)
    return row, testcase_row, [g["uuid"] for g in group_rows], data
