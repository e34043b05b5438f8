"""events: a used (checked-in) ticket state, and CHECK constraints keeping every state column in its enum

Tickets checked in before this revision become ``used``, so they can no
longer be cancelled or refunded.

Revision ID: d01_events_states
Revises: 0009
Create Date: 2026-12-02
"""

from alembic import op

revision = "d01_events_states"
down_revision = "0009"
branch_labels = None
depends_on = None

STATES = {
    "events": ("draft", "published", "cancelled"),
    "occurrences": ("scheduled", "cancelled"),
    "ticket_orders": ("awaiting_payment", "completed", "expired", "cancelled"),
    "tickets": ("reserved", "valid", "used", "cancelled", "void"),
    "waitlist_entries": ("waiting", "offered", "accepted", "expired", "left", "cancelled"),
}


def upgrade():
    op.execute(
        "UPDATE tickets SET status = 'used' WHERE status = 'valid' AND id IN (SELECT ticket_id FROM ticket_checkins)"
    )
    for table, states in STATES.items():
        values = ", ".join(f"'{s}'" for s in states)
        with op.batch_alter_table(table) as batch:
            batch.create_check_constraint(op.f(f"ck_{table}_status_valid"), f"status IN ({values})")


def downgrade():
    for table in STATES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"ck_{table}_status_valid"), type_="check")
    op.execute("UPDATE tickets SET status = 'valid' WHERE status = 'used'")
