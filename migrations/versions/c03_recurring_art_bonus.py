"""recurring donations: an Art Bonus receipt for every run (the donor's codice fiscale, kept for it only)

Revision ID: c03_recurring_art_bonus
Revises: c02_missed_goal_refunds
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "c03_recurring_art_bonus"
down_revision = "c02_missed_goal_refunds"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("recurring_donations") as batch:
        batch.add_column(sa.Column("art_bonus_requested", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("tax_code", sa.String(length=16), nullable=True))
        batch.create_check_constraint(
            op.f("ck_recurring_donations_tax_code_only_for_art_bonus"), "tax_code IS NULL OR art_bonus_requested"
        )


def downgrade():
    with op.batch_alter_table("recurring_donations") as batch:
        batch.drop_constraint(op.f("ck_recurring_donations_tax_code_only_for_art_bonus"), type_="check")
        batch.drop_column("tax_code")
        batch.drop_column("art_bonus_requested")
