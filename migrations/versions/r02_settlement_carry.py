"""partner settlements: a month whose refunds exceed what it owes is carried to the next

Revision ID: r02_settlement_carry
Revises: y01_pagopa
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "r02_settlement_carry"
down_revision = "y01_pagopa"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    with op.batch_alter_table("partner_settlements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("carried_in", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("carried_forward", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("carried_from_id", BigId, nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_partner_settlements_carried_from_id"), ["carried_from_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_partner_settlements_carried_from_id_partner_settlements"),
            "partner_settlements",
            ["carried_from_id"],
            ["id"],
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_partner_settlements_carry_not_negative"), "carried_in >= 0 AND carried_forward >= 0"
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_partner_settlements_transfer_or_carry"), "total = 0 OR carried_forward = 0"
        )


def downgrade():
    with op.batch_alter_table("partner_settlements", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_partner_settlements_transfer_or_carry"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_partner_settlements_carry_not_negative"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_partner_settlements_carried_from_id_partner_settlements"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_partner_settlements_carried_from_id"), type_="unique")
        batch_op.drop_column("carried_from_id")
        batch_op.drop_column("carried_forward")
        batch_op.drop_column("carried_in")
