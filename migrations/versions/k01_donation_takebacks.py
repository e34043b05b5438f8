"""donations: card money taken back at the provider (refunds made there, disputes)

Revision ID: k01_donation_takebacks
Revises: r01_reconciliation
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "k01_donation_takebacks"
down_revision = "r01_reconciliation"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("donations") as batch:
        batch.add_column(sa.Column("refunded_amount", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("disputed_amount", sa.BigInteger(), nullable=False, server_default="0"))
        batch.create_check_constraint(
            op.f("ck_donations_taken_back_within_amount"),
            "refunded_amount >= 0 AND disputed_amount >= 0 AND refunded_amount + disputed_amount <= amount",
        )


def downgrade():
    with op.batch_alter_table("donations") as batch:
        batch.drop_constraint(op.f("ck_donations_taken_back_within_amount"), type_="check")
        batch.drop_column("disputed_amount")
        batch.drop_column("refunded_amount")
