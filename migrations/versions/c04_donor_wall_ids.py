"""donations: their own id on the public donor wall (wall_…), never the donation's don_… id

The wall showed each entry under the donation's id, which finance, receipts,
reconciliation and the card provider also know: a list naming a patron beside it
would tell who gave an anonymous entry. Every existing donation gets a random
wall id here (as ``backend.db.new_public_id`` makes them: 96 random bits).

Revision ID: c04_donor_wall_ids
Revises: c03_recurring_art_bonus
Create Date: 2026-12-02
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "c04_donor_wall_ids"
down_revision = "c03_recurring_art_bonus"
branch_labels = None
depends_on = None

_BATCH = 1000


def upgrade():
    with op.batch_alter_table("donations") as batch:
        batch.add_column(sa.Column("wall_public_id", sa.String(length=40), nullable=True))
    donations = sa.table("donations", sa.column("id", sa.BigInteger()), sa.column("wall_public_id", sa.String()))
    bind = op.get_bind()
    ids = bind.execute(sa.select(donations.c.id).order_by(donations.c.id)).scalars().all()
    fill = (
        donations.update()
        .where(donations.c.id == sa.bindparam("donation_id"))
        .values(wall_public_id=sa.bindparam("wall_id"))
    )
    for start in range(0, len(ids), _BATCH):
        bind.execute(
            fill, [{"donation_id": i, "wall_id": f"wall_{secrets.token_hex(12)}"} for i in ids[start : start + _BATCH]]
        )
    with op.batch_alter_table("donations") as batch:
        batch.alter_column("wall_public_id", existing_type=sa.String(length=40), nullable=False)
        batch.create_unique_constraint(batch.f("uq_donations_wall_public_id"), ["wall_public_id"])


def downgrade():
    with op.batch_alter_table("donations") as batch:
        batch.drop_constraint(batch.f("uq_donations_wall_public_id"), type_="unique")
        batch.drop_column("wall_public_id")
