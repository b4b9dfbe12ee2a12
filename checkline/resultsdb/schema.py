"""The tables, as SQLAlchemy Core (Alembic migrates them; see ``migrations/``).

Same tables as upstream ResultsDB (testcase, group, result, result_data, groups_to_results),
with the indexes its queries lack: results by (testcase_name, submit_time, id) for "latest per
testcase", by (submit_time, id) for stable pages and by (outcome, submit_time, id) for pages
of an outcome, data by (key, value, testcase_name, submit_time, result_id) so a data filter is
answered from the index alone, and group links by (group_id, result_id).

One addition to upstream's columns: each ``result_data`` row carries a copy of its result's
``testcase_name`` and ``submit_time`` (results never change, so the copies cannot go stale).
With them, the (key, value, testcase_name, submit_time, result_id) index answers "the newest
results of item X" and "the newest result per testcase of item X" alone: without them, each of
the item's results was fetched from ``result`` to learn its time and testcase, and an item
with 270 results took 270 lookups (see ``queries.Candidates``).
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

__all__ = [
    "group",
    "groups_to_results",
    "metadata",
    "outbox",
    "result",
    "result_data",
    "testcase",
]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

testcase = Table(
    "testcase",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("ref_url", Text),
)

group = Table(
    "group",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("uuid", Text, nullable=False, unique=True),
    Column("description", Text),
    Column("ref_url", Text),
)

result = Table(
    "result",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("testcase_name", Text, ForeignKey("testcase.name"), nullable=False),
    # Naive UTC, as upstream stores it.
    Column("submit_time", DateTime, nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("note", Text),
    Column("ref_url", Text),
    # text_pattern_ops: PostgreSQL can then answer "LIKE 'dist.%'" from the index too.
    Index(
        None,
        "testcase_name",
        "submit_time",
        "id",
        postgresql_ops={"testcase_name": "text_pattern_ops"},
    ),
    Index(None, "submit_time", "id"),
    # A page of one outcome, newest first, is the head of this index. With (outcome) alone,
    # SQLite (no statistics) read every FAILED result and sorted them: 107 ms at 1,000,000
    # results for `outcome=FAILED`, 200 ms for PASSED; now under 1 ms.
    Index(None, "outcome", "submit_time", "id"),
)

result_data = Table(
    "result_data",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("result_id", Integer, ForeignKey("result.id"), nullable=False),
    Column("key", Text, nullable=False),
    Column("value", Text, nullable=False),
    # Copies of the result's (see the module docstring).
    Column("testcase_name", Text, nullable=False),
    Column("submit_time", DateTime, nullable=False),
    # "The results with this value", as a range (LIKE 'x%' too: text_pattern_ops), and an
    # item's results by testcase and time (see the module docstring). It replaced (key,
    # value, result_id): "has result R this value" is answered by the next one. Keeping
    # three cost bulk writes 15 % (7,989 -> 6,745 results/s, interleaved in-process runs on
    # PostgreSQL); with these two, they are as before (7,435 before, 7,417 after).
    Index(
        None,
        "key",
        "value",
        "testcase_name",
        "submit_time",
        "result_id",
        postgresql_ops={"value": "text_pattern_ops"},
    ),
    # A result's data (pages), and "has result R this value" from the index alone. With
    # (result_id) alone SQLite, which keeps no statistics, took the index with more
    # equalities, (key, value, ...), and scanned every "type=koji_build" entry (650 ms).
    Index(None, "result_id", "key", "value"),
)

groups_to_results = Table(
    "groups_to_results",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("group_id", Integer, ForeignKey("group.id"), nullable=False),
    Column("result_id", Integer, ForeignKey("result.id"), nullable=False),
    Index(None, "group_id", "result_id"),
    Index(None, "result_id"),
)

# Messages to publish, written in the transaction of the results they announce (so none is
# lost to a crash or a broker outage) and deleted once the broker confirmed them.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("topic", Text, nullable=False),
    Column("body", Text, nullable=False),  # JSON
    Column("created", DateTime, nullable=False),
    # Which relay took the message, and when: a claim older than a few minutes is stale
    # (its relay died) and the message is taken again.
    Column("claimed_by", Text),
    Column("claimed_at", DateTime),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Index(None, "claimed_at", "id"),
)
