"""SQL for writing: the create/upsert semantics of upstream's POST endpoints, and the read
that decides what a write announces (``previous_outcome``).

Rows that several requests may create at once (a new testcase, a new group) are inserted with
``ON CONFLICT DO NOTHING`` and then read: concurrent POSTs naming the same new group never
fail (upstream answers 500 to the loser of that race).

On PostgreSQL one result (a single POST) is stored by ONE statement, ``store_one``: there a
round trip costs as much as the insert it carries, and the general way takes seven.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid as uuid_module
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    Connection,
    RowMapping,
    Select,
    Table,
    and_,
    bindparam,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import ReturningInsert

from .parsers import CreateGroupBody, CreateResultBody, CreateTestcaseBody
from .publish import enqueue
from .queries import ONE, one_group
from .schema import group, groups_to_results, result, result_data, testcase

__all__ = [
    "announce",
    "create_group",
    "create_group_counted",
    "create_results",
    "create_testcase",
    "data_rows",
    "store_one",
]

_MISSING: Any = object()

# The statements of a POST are the same every time: built once (building one costs about as
# much as running it), so that SQLAlchemy finds their compiled SQL by a memoized cache key.
_INSERT_RESULTS = insert(result).returning(result.c.id, sort_by_parameter_order=True)
_INSERT_DATA = insert(result_data)
_INSERT_LINKS = insert(groups_to_results)
#: The most keys one SELECT of ``_ensure_many`` binds: PostgreSQL takes at most 65,535
#: parameters in a statement and SQLite 32,766 (its default), and a bulk POST naming 70,000
#: groups or testcases was a 503 ("number of parameters must be between 0 and 65535").
_KEYS_PER_READ = 10_000


@cache
def _select_by(table: Table, key: str) -> Select[Any]:
    """``table``'s rows whose ``key`` is in the list bound as ``keys``."""
    return select(table).where(table.c[key].in_(bindparam("keys", expanding=True)))


@cache
def _select_one_by(table: Table, key: str) -> Select[Any]:
    """``table``'s row whose ``key`` is ``keys`` (one value): an expanding IN is rendered
    again on every execution, which costs a single POST more than running it."""
    return select(table).where(table.c[key] == bindparam("keys"))


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
        if len(keys) == 1:
            found = conn.execute(_select_one_by(table, key), {"keys": keys[0]}).mappings()
            return {row[key]: dict(row) for row in found}
        rows: dict[str, dict[str, Any]] = {}
        for start in range(0, len(keys), _KEYS_PER_READ):
            chunk = keys[start : start + _KEYS_PER_READ]
            found = conn.execute(_select_by(table, key), {"keys": chunk}).mappings()
            rows.update((row[key], dict(row)) for row in found)
        return rows

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


def create_group_counted(conn: Connection, body: CreateGroupBody) -> RowMapping:
    """``create_group``, then the group read back with its ``results_count``: the answer of
    POST /groups, which counts the results of a group that already had some."""
    uuid = create_group(conn, body)["uuid"]
    return conn.execute(one_group(uuid)).mappings().one()


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

#: Per key, the columns a request sets (key present: set, even to null) and their values.
Wanted = dict[str, dict[str, Any]]


def _wanted(bodies: list[CreateResultBody]) -> tuple[Wanted, Wanted, list[list[str]]]:
    """The testcases and groups ``bodies`` name, with the changes each asks for (the last
    body wins where they disagree), and each body's group uuids in its order."""
    testcases: Wanted = {}
    groups: Wanted = {}
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
    return testcases, groups, group_uuids


def _grouped(data: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Data rows as the v2.0 document shows them: each key's values in order."""
    grouped: dict[str, list[str]] = {}
    for key, value in data:
        grouped.setdefault(key, []).append(value)
    return grouped


def create_results(conn: Connection, bodies: list[CreateResultBody]) -> list[Stored]:
    """Store results with their testcases, groups and data, in a constant number of
    statements for the whole list (one result is a list of one).

    Testcases and groups named by several results are created once; where results disagree
    on a testcase's or group's ref_url or description, the last one wins, as if posted in order.

    Returns:
        per result: its row, its testcase row, its group uuids and its data.
    """
    if len(bodies) == 1 and conn.dialect.name == "postgresql":
        one = store_one(conn, bodies[0])
        if one is not None:
            return [one]
    testcases, groups, group_uuids = _wanted(bodies)
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
        name, submit_time = row["testcase_name"], row["submit_time"]
        values.extend(
            {
                "result_id": result_id,
                "key": k,
                "value": v,
                "testcase_name": name,
                "submit_time": submit_time,
            }
            for k, v in data
        )
        links.extend({"group_id": group_rows[u]["id"], "result_id": result_id} for u in uuids)
    if values:
        conn.execute(_INSERT_DATA, values)
    if links:
        conn.execute(_INSERT_LINKS, links)
    return [
        (row, testcase_rows[body.testcase["name"]], uuids, _grouped(data))
        for row, body, uuids, data in zip(rows, bodies, group_uuids, data_for, strict=True)
    ]


# ``create_results`` of one result as ONE PostgreSQL statement: its testcase and groups found or
# created (changes applied), the result, its data and its group links inserted. Outside a
# transaction it is a transaction of its own: atomic, and durable when it answers, with no
# BEGIN and COMMIT round trips (see ``store_one``). Notes on its parts:
# - An existing testcase or group is only read, and only written when a value really changes
#   (the UPDATEs' WHERE): no needless row version, no row lock for the usual POST. A new one is
#   inserted only when the statement's snapshot lacks it, so no sequence value is spent either.
# - ``found`` is a UNION ALL, which runs its parts in order: a new testcase is inserted before
#   new groups, as ``create_results`` does, so two requests creating the same new testcase and
#   group wait for each other instead of deadlocking. New groups get their ids in the order
#   the POST names them, as upstream's do (``GET /groups`` lists the newest first).
# - A row another request committed after this statement's snapshot was taken is neither
#   seen nor inserted (its insert conflicts): the result is then not inserted at all, and the
#   statement answers no row. The new rows it did insert are what the caller's next try, which
#   reads them, creates anyway.
# - Existing groups are looked up by ``uuids``, an array whose length the planner knows: joined
#   to ``want`` (a function it guesses 100 rows from) they were read by a scan of the table.
# - Data-modifying CTEs all run to completion, whether the final SELECT reads them or not.
_STORE_ONE = text(
    """
WITH want AS (
    SELECT spec ->> 'uuid' AS uuid, spec, n
    FROM jsonb_array_elements(CAST(:groups AS jsonb)) WITH ORDINALITY AS w(spec, n)
), old_testcase AS (
    SELECT id, ref_url FROM testcase WHERE name = CAST(:name AS text)
), new_testcase AS (
    INSERT INTO testcase (name, ref_url)
    SELECT :name, :testcase_ref_url WHERE NOT EXISTS (SELECT FROM old_testcase)
    ON CONFLICT (name) DO NOTHING
    RETURNING id, ref_url
), old_groups AS (
    SELECT id, uuid FROM "group" WHERE uuid = ANY(CAST(:uuids AS text[]))
), new_groups AS (
    INSERT INTO "group" (uuid, description, ref_url)
    SELECT uuid, spec ->> 'description', spec ->> 'ref_url' FROM want
    WHERE uuid NOT IN (SELECT uuid FROM old_groups)
    ORDER BY n
    ON CONFLICT (uuid) DO NOTHING
    RETURNING id, uuid
), found AS (
    SELECT id, NULL AS uuid, ref_url FROM old_testcase
    UNION ALL SELECT id, NULL, ref_url FROM new_testcase
    UNION ALL SELECT id, uuid, NULL FROM old_groups
    UNION ALL SELECT id, uuid, NULL FROM new_groups
), new_result AS (
    INSERT INTO result (testcase_name, submit_time, outcome, note, ref_url)
    SELECT :name, :submit_time, :outcome, :note, :ref_url
    WHERE (SELECT count(*) FROM found) = 1 + (SELECT count(*) FROM want)
    RETURNING id
), new_data AS (
    INSERT INTO result_data (result_id, key, value, testcase_name, submit_time)
    SELECT new_result.id, d.key, d.value, :name, :submit_time
    FROM new_result,
        unnest(CAST(:keys AS text[]), CAST(:values AS text[])) WITH ORDINALITY AS d(key, value, n)
    ORDER BY d.n
), new_links AS (
    INSERT INTO groups_to_results (group_id, result_id)
    SELECT found.id, new_result.id
    FROM new_result,
        unnest(CAST(:links AS text[])) WITH ORDINALITY AS l(uuid, n)
        JOIN found ON found.uuid = l.uuid
    ORDER BY l.n
), changed_testcase AS (
    UPDATE testcase SET ref_url = :testcase_ref_url
    WHERE name = :name AND :set_testcase_ref_url
        AND ref_url IS DISTINCT FROM CAST(:testcase_ref_url AS text)
), changed_groups AS (
    UPDATE "group" AS g SET
        description = CASE WHEN spec ? 'description' THEN spec ->> 'description'
            ELSE g.description END,
        ref_url = CASE WHEN spec ? 'ref_url' THEN spec ->> 'ref_url' ELSE g.ref_url END
    FROM want
    WHERE g.uuid = want.uuid AND (
        spec ? 'description' AND g.description IS DISTINCT FROM spec ->> 'description'
        OR spec ? 'ref_url' AND g.ref_url IS DISTINCT FROM spec ->> 'ref_url'
    )
)
SELECT new_result.id, found.id AS testcase_id, found.ref_url AS testcase_ref_url
FROM new_result, found
WHERE found.uuid IS NULL
"""
)


def store_one(conn: Connection, body: CreateResultBody) -> Stored | None:
    """PostgreSQL only: ``create_results`` of one result in one statement (``_STORE_ONE``).

    Returns:
        what ``create_results`` returns for it, or None when the testcase or a group was
        created by a concurrent request after the statement began: nothing of the result is
        stored then, and ``create_results`` (which reads those rows) must store it.
    """
    testcases, groups, (uuids,) = _wanted([body])
    name = body.testcase["name"]
    changes = testcases[name]
    data = data_rows(body.data)
    row = {
        "testcase_name": name,
        "submit_time": body.submit_time or dt.datetime.now(dt.UTC).replace(tzinfo=None),
        "outcome": body.outcome,
        "note": body.note,
        "ref_url": body.ref_url,
    }
    found = conn.execute(
        _STORE_ONE,
        {
            **row,
            "name": name,
            "testcase_ref_url": changes.get("ref_url"),
            "set_testcase_ref_url": "ref_url" in changes,
            "groups": json.dumps([{"uuid": uuid, **spec} for uuid, spec in groups.items()]),
            "uuids": list(groups),
            "keys": [key for key, _value in data],
            "values": [value for _key, value in data],
            "links": uuids,
        },
    ).first()
    if found is None:
        return None
    result_id, testcase_id, testcase_ref_url = found
    row["id"] = result_id
    testcase_row = {"id": testcase_id, "name": name, "ref_url": testcase_ref_url, **changes}
    return row, testcase_row, uuids, _grouped(data)


@cache
def previous_outcome(keys: tuple[str, ...]) -> Select[tuple[object, ...]]:
    """The outcome of the result just before a given one (by submit_time, then id) of the same
    testcase whose data has the same value for each of ``keys`` (item, type, arch).

    Built once per tuple of keys (a handful: building it cost about what running it does); the
    rest is bound, see ``previous_outcome_parameters``.
    """
    submit_time: BindParameter[dt.datetime] = bindparam("submit_time")
    result_id: BindParameter[int] = bindparam("result_id")
    earlier = or_(
        result.c.submit_time < submit_time,
        and_(result.c.submit_time == submit_time, result.c.id < result_id),
    )
    statement = select(result.c.outcome).where(
        result.c.testcase_name == bindparam("testcase_name"), earlier
    )
    for key in keys:
        statement = statement.where(
            result.c.id.in_(
                select(result_data.c.result_id).where(
                    result_data.c.key == key, result_data.c.value == bindparam(f"value_{key}")
                )
            )
        )
    return statement.order_by(result.c.submit_time.desc(), result.c.id.desc()).limit(ONE)


def previous_outcome_parameters(
    testcase_name: str, submit_time: dt.datetime, result_id: int, same: dict[str, str]
) -> dict[str, Any]:
    """The values of ``previous_outcome(tuple(same))``: this result's testcase, time and id,
    and the value each key of ``same`` must have."""
    values = {f"value_{key}": value for key, value in same.items()}
    return {
        "testcase_name": testcase_name,
        "submit_time": submit_time,
        "result_id": result_id,
        **values,
    }


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
            values = previous_outcome_parameters(
                row["testcase_name"], row["submit_time"], row["id"], same
            )
            before = conn.execute(previous_outcome(tuple(same)), values).scalar()
            if before == row["outcome"]:
                continue
        wanted.append(document)
    enqueue(conn, wanted)
