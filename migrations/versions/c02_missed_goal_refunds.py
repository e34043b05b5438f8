"""donations: the card refund of a missed all-or-nothing goal counts as given back

The closing job now books that refund in ``refunded_amount`` at the deadline (the donation stops
counting as given: receipt, yearly summary, Art Bonus report). Card donations already refunded,
or waiting for the provider, get the same: everything not disputed was given back (the closing
refunded all the donation still kept). No schema change.

Revision ID: c02_missed_goal_refunds
Revises: f03_card_accounts_card_network
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "c02_missed_goal_refunds"
down_revision = "f03_card_accounts_card_network"
branch_labels = None
depends_on = None

GIVEN_BACK = "('refund_pending', 'refunded')"
# What the closing moved back to card clearing for a donation (its refund entry).
_AT_DEADLINE = (
    "(SELECT COALESCE(-SUM(p.amount), 0) FROM postings p"
    " JOIN journal_entries e ON e.id = p.entry_id"
    " JOIN ledger_accounts a ON a.id = p.account_id"
    " WHERE e.kind = 'donation_card_refund' AND a.kind = 'card_clearing' AND e.reference = donations.public_id)"
)


def upgrade():
    op.get_bind().execute(
        sa.text(
            f"UPDATE donations SET refunded_amount = amount - disputed_amount"
            f" WHERE method = 'card' AND state IN {GIVEN_BACK}"
        )
    )


def downgrade():
    op.get_bind().execute(
        sa.text(
            f"UPDATE donations SET refunded_amount = refunded_amount - {_AT_DEADLINE}"
            f" WHERE method = 'card' AND state IN {GIVEN_BACK}"
        )
    )
