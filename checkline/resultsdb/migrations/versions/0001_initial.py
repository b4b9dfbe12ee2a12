"""The initial schema: upstream's five tables with indexes for our queries.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("ref_url", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group")),
        sa.UniqueConstraint("uuid", name=op.f("uq_group_uuid")),
    )
    op.create_table(
        "testcase",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("ref_url", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_testcase")),
        sa.UniqueConstraint("name", name=op.f("uq_testcase_name")),
    )
    op.create_table(
        "result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("testcase_name", sa.Text(), nullable=False),
        sa.Column("submit_time", sa.DateTime(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("ref_url", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["testcase_name"], ["testcase.name"], name=op.f("fk_result_testcase_name_testcase")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_result")),
    )
    op.create_index(op.f("ix_result_outcome"), "result", ["outcome"])
    op.create_index(op.f("ix_result_submit_time_id"), "result", ["submit_time", "id"])
    op.create_index(
        op.f("ix_result_testcase_name_submit_time_id"),
        "result",
        ["testcase_name", "submit_time", "id"],
        postgresql_ops={"testcase_name": "text_pattern_ops"},
    )
    op.create_table(
        "groups_to_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["group.id"], name=op.f("fk_groups_to_results_group_id_group")
        ),
        sa.ForeignKeyConstraint(
            ["result_id"], ["result.id"], name=op.f("fk_groups_to_results_result_id_result")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_groups_to_results")),
    )
    op.create_index(
        op.f("ix_groups_to_results_group_id_result_id"),
        "groups_to_results",
        ["group_id", "result_id"],
    )
    op.create_index(op.f("ix_groups_to_results_result_id"), "groups_to_results", ["result_id"])
    op.create_table(
        "result_data",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["result_id"], ["result.id"], name=op.f("fk_result_data_result_id_result")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_result_data")),
    )
    op.create_index(
        op.f("ix_result_data_key_value_result_id"),
        "result_data",
        ["key", "value", "result_id"],
        postgresql_ops={"value": "text_pattern_ops"},
    )
    op.create_index(op.f("ix_result_data_result_id"), "result_data", ["result_id"])


def downgrade() -> None:
    op.drop_table("result_data")
    op.drop_table("groups_to_results")
    op.drop_table("result")
    op.drop_table("testcase")
    op.drop_table("group")
