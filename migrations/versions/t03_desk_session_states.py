"""desk cash sessions: a CHECK constraint keeping each session's status in its enum

Revision ID: t03_desk_session_states
Revises: s01_shop
Create Date: 2026-12-02
"""

from alembic import op

revision = "t03_desk_session_states"
down_revision = "s01_shop"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("cash_sessions") as batch:
        batch.create_check_constraint(op.f("ck_cash_sessions_status_valid"), "status IN ('open', 'closed')")


def downgrade():
    with op.batch_alter_table("cash_sessions") as batch:
        batch.drop_constraint(op.f("ck_cash_sessions_status_valid"), type_="check")
