"""Idempotency keys are claimed in the request's own transaction: no in-flight lease.

A committed key is always done (its response stored); a claim whose request
died rolls back with it, so ``locked_until`` (the lease a crashed worker's claim
was taken over after) has nothing left to say. Rows still in flight from before
this revision were claims of requests that are long over: they go.

Revision ID: l01_idempotency_in_request
Revises: c01_campaigns
"""

import sqlalchemy as sa
from alembic import op

import backend.db

revision = "l01_idempotency_in_request"
down_revision = "c01_campaigns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM idempotency_keys WHERE state <> 'done'")
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("locked_until")


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.add_column(sa.Column("locked_until", backend.db.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE idempotency_keys SET locked_until = created_at")
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.alter_column("locked_until", nullable=False)
