"""top-ups: card disputes recorded by the provider's dispute id (no longer found by memo text)

Disputes booked before this revision are recorded from their entries' memo
(``card dispute <id> on <intent>``), so one still open can be won afterwards.

Revision ID: t04_card_disputes
Revises: f01_finance
Create Date: 2026-12-02
"""

import re

import sqlalchemy as sa
from alembic import op

import backend.db

revision = "t04_card_disputes"
down_revision = "f01_finance"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MEMO = re.compile(r"^card dispute (\S+) on ")


def upgrade():
    table = op.create_table(
        "card_disputes",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("dispute_id", sa.String(length=120), nullable=False),
        sa.Column("topup_id", BigId, nullable=False),
        sa.Column("entry_id", BigId, nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["journal_entries.id"], name=op.f("fk_card_disputes_entry_id_journal_entries")
        ),
        sa.ForeignKeyConstraint(["topup_id"], ["topups.id"], name=op.f("fk_card_disputes_topup_id_topups")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_disputes")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_card_disputes_entry_id")),
        sa.UniqueConstraint("provider", "dispute_id", name=op.f("uq_card_disputes_provider_dispute_id")),
    )
    op.create_index(op.f("ix_card_disputes_topup_id"), "card_disputes", ["topup_id"], unique=False)

    rows = op.get_bind().execute(
        sa.text(
            "SELECT e.id, e.memo, t.id, t.provider FROM journal_entries e"
            " JOIN topups t ON t.public_id = e.reference WHERE e.kind = 'card_dispute' ORDER BY e.id"
        )
    )
    found = {}
    for entry_id, memo, topup_id, provider in rows:
        match = MEMO.match(memo or "")
        if match:
            found.setdefault((provider, match.group(1)), (topup_id, entry_id))
    if found:
        op.bulk_insert(
            table,
            [
                dict(provider=p, dispute_id=d, topup_id=t, entry_id=e, created_at=backend.db.utcnow())
                for (p, d), (t, e) in found.items()
            ],
        )


def downgrade():
    op.drop_index(op.f("ix_card_disputes_topup_id"), table_name="card_disputes")
    op.drop_table("card_disputes")
