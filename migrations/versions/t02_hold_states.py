"""ledger holds: a CHECK constraint keeping each hold's status in its enum

Revision ID: t02_hold_states
Revises: t01_topup_states
Create Date: 2026-12-02
"""

from alembic import op

revision = "t02_hold_states"
down_revision = "t01_topup_states"
branch_labels = None
depends_on = None

STATES = ("pending", "settling", "captured", "released", "expired")


def upgrade():
    values = ", ".join(f"'{s}'" for s in STATES)
    with op.batch_alter_table("holds") as batch:
        batch.create_check_constraint(op.f("ck_holds_status_valid"), f"status IN ({values})")


def downgrade():
    with op.batch_alter_table("holds") as batch:
        batch.drop_constraint(op.f("ck_holds_status_valid"), type_="check")
