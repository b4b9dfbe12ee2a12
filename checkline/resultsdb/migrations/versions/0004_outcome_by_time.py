"""Results by (outcome, submit_time, id) in place of (outcome): a page of one outcome, newest
first, is the head of that index (see schema.py).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_result_outcome_submit_time_id"), "result", ["outcome", "submit_time", "id"]
    )
    op.drop_index(op.f("ix_result_outcome"), table_name="result")


def downgrade() -> None:
    op.create_index(op.f("ix_result_outcome"), "result", ["outcome"])
    op.drop_index(op.f("ix_result_outcome_submit_time_id"), table_name="result")
