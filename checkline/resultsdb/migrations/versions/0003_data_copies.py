"""Each result_data row carries its result's testcase_name and submit_time, indexed with its
key and value (in place of the (key, value, result_id) index, and (result_id) becomes
(result_id, key, value)), so that an item's newest results are read from one index (see
schema.py).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("result_data", sa.Column("testcase_name", sa.Text(), nullable=True))
    op.add_column("result_data", sa.Column("submit_time", sa.DateTime(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE result_data SET testcase_name = result.testcase_name,"
            " submit_time = result.submit_time FROM result WHERE result.id = result_data.result_id"
        )
    else:  # SQLite's UPDATE ... FROM needs 3.33; a correlated one works everywhere
        op.execute(
            "UPDATE result_data SET testcase_name = (SELECT testcase_name FROM result"
            " WHERE result.id = result_data.result_id), submit_time = (SELECT submit_time"
            " FROM result WHERE result.id = result_data.result_id)"
        )
    # SQLite cannot add NOT NULL to a column: batch mode copies the table there.
    with op.batch_alter_table("result_data") as batch:
        batch.alter_column("testcase_name", existing_type=sa.Text(), nullable=False)
        batch.alter_column("submit_time", existing_type=sa.DateTime(), nullable=False)
    op.create_index(
        op.f("ix_result_data_key_value_testcase_name_submit_time_result_id"),
        "result_data",
        ["key", "value", "testcase_name", "submit_time", "result_id"],
        postgresql_ops={"value": "text_pattern_ops"},
    )
    # The new indexes answer what these did (see schema.py).
    op.drop_index(op.f("ix_result_data_key_value_result_id"), table_name="result_data")
    op.create_index(
        op.f("ix_result_data_result_id_key_value"), "result_data", ["result_id", "key", "value"]
    )
    op.drop_index(op.f("ix_result_data_result_id"), table_name="result_data")


def downgrade() -> None:
    op.create_index(op.f("ix_result_data_result_id"), "result_data", ["result_id"])
    op.drop_index(op.f("ix_result_data_result_id_key_value"), table_name="result_data")
    op.create_index(
        op.f("ix_result_data_key_value_result_id"),
        "result_data",
        ["key", "value", "result_id"],
        postgresql_ops={"value": "text_pattern_ops"},
    )
    op.drop_index(
        op.f("ix_result_data_key_value_testcase_name_submit_time_result_id"),
        table_name="result_data",
    )
    with op.batch_alter_table("result_data") as batch:
        batch.drop_column("submit_time")
        batch.drop_column("testcase_name")
