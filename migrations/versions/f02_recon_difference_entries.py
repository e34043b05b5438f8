"""reconciliation: a match within the tolerance names the entry that booked its difference

Revision ID: f02_recon_difference_entries
Revises: r02_settlement_carry
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "f02_recon_difference_entries"
down_revision = "r02_settlement_carry"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    with op.batch_alter_table("recon_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("difference_entry_id", BigId, nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_recon_items_difference_entry_id"), ["difference_entry_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_recon_items_difference_entry_id_journal_entries"),
            "journal_entries",
            ["difference_entry_id"],
            ["id"],
        )


def downgrade():
    with op.batch_alter_table("recon_items", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_recon_items_difference_entry_id_journal_entries"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_recon_items_difference_entry_id"), type_="unique")
        batch_op.drop_column("difference_entry_id")
