"""recurring donations of accounts already deleted stop for good, their codice fiscale erased

Deleting an account did not stop its recurring donations: the scheduler kept
trying to charge them (a wallet credited after the deletion would have paid),
and an Art Bonus one kept its codice fiscale. Deletion now stops them; this
does the same for the accounts deleted before.

Revision ID: c05_deleted_donors_recurring
Revises: c04_donor_wall_ids
Create Date: 2026-12-02
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import backend.db

revision = "c05_deleted_donors_recurring"
down_revision = "c04_donor_wall_ids"
branch_labels = None
depends_on = None


def upgrade():
    recurring = sa.table(
        "recurring_donations",
        sa.column("patron_id", sa.BigInteger()),
        sa.column("state", sa.String()),
        sa.column("tax_code", sa.String()),
        sa.column("last_error", sa.String()),
        sa.column("updated_at", backend.db.UTCDateTime()),
    )
    patrons = sa.table("patrons", sa.column("id", sa.BigInteger()), sa.column("status", sa.String()))
    op.get_bind().execute(
        recurring.update()
        .where(
            recurring.c.state.in_(["active", "paused"]),
            recurring.c.patron_id.in_(sa.select(patrons.c.id).where(patrons.c.status == "deleted")),
        )
        .values(state="stopped", tax_code=None, last_error="account_deleted", updated_at=datetime.now(UTC))
    )


def downgrade():
    pass  # what was stopped stays stopped: a deleted account's donations never resume
