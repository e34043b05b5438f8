"""top-ups and card refunds: CHECK constraints keeping each status in its enum

Revision ID: t01_topup_states
Revises: g01_guides
Create Date: 2026-12-02
"""

from alembic import op

revision = "t01_topup_states"
down_revision = "g01_guides"
branch_labels = None
depends_on = None

STATES = {
    "topups": ("pending", "succeeded", "failed", "canceled", "amount_mismatch"),
    "card_refunds": ("pending", "succeeded", "failed"),
}


def upgrade():
    for table, states in STATES.items():
        values = ", ".join(f"'{s}'" for s in states)
        with op.batch_alter_table(table) as batch:
            batch.create_check_constraint(op.f(f"ck_{table}_status_valid"), f"status IN ({values})")


def downgrade():
    for table in STATES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"ck_{table}_status_valid"), type_="check")
