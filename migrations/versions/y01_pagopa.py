"""pagoPA top-ups: notices and bank refunds

Revision ID: y01_pagopa
Revises: t04_card_disputes
Create Date: 2026-12-02

A pagoPA top-up keeps its debt position and receipt in pagopa_notices; top-ups
gain the states expired and invalidated. Ledger account kinds (pagopa_clearing,
bank_refunds_payable) and the funding source pagopa are strings: no schema change.
"""

import sqlalchemy as sa
from alembic import op

import backend.db

revision = "y01_pagopa"
down_revision = "t04_card_disputes"
branch_labels = None
depends_on = None

TOPUP_STATES = ("pending", "succeeded", "failed", "canceled", "amount_mismatch", "expired", "invalidated")


def upgrade() -> None:
    op.create_table(
        "bank_refunds",
        sa.Column("patron_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("network_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("iban", sa.String(length=34), nullable=False),
        sa.Column("account_holder", sa.String(length=140), nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("decision_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("decided_by", sa.String(length=80), nullable=True),
        sa.Column("decided_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("updated_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('requested', 'approved', 'rejected')", name=op.f("ck_bank_refunds_status_valid")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_bank_refunds_positive")),
        sa.ForeignKeyConstraint(
            ["decision_entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_bank_refunds_decision_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["journal_entries.id"], name=op.f("fk_bank_refunds_entry_id_journal_entries")
        ),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_bank_refunds_network_id_networks")),
        sa.ForeignKeyConstraint(["patron_id"], ["patrons.id"], name=op.f("fk_bank_refunds_patron_id_patrons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_refunds")),
        sa.UniqueConstraint("public_id", name=op.f("uq_bank_refunds_public_id")),
    )
    with op.batch_alter_table("bank_refunds", schema=None) as batch_op:
        batch_op.create_index("ix_bank_refunds_network_id_status", ["network_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_bank_refunds_patron_id"), ["patron_id"], unique=False)

    op.create_table(
        "pagopa_notices",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("topup_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("network_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("iupd", sa.String(length=40), nullable=False),
        sa.Column("iuv", sa.String(length=17), nullable=False),
        sa.Column("notice_number", sa.String(length=18), nullable=False),
        sa.Column("creditor_fiscal_code", sa.String(length=11), nullable=False),
        sa.Column("due_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("receipt_id", sa.String(length=64), nullable=True),
        sa.Column("paid_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("psp_id", sa.String(length=35), nullable=True),
        sa.Column("psp_name", sa.String(length=140), nullable=True),
        sa.Column("late_receipt", sa.Boolean(), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_pagopa_notices_network_id_networks")),
        sa.ForeignKeyConstraint(["topup_id"], ["topups.id"], name=op.f("fk_pagopa_notices_topup_id_topups")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pagopa_notices")),
        sa.UniqueConstraint("creditor_fiscal_code", "iuv", name=op.f("uq_pagopa_notices_creditor_fiscal_code_iuv")),
        sa.UniqueConstraint("iupd", name=op.f("uq_pagopa_notices_iupd")),
        sa.UniqueConstraint("receipt_id", name=op.f("uq_pagopa_notices_receipt_id")),
        sa.UniqueConstraint("topup_id", name=op.f("uq_pagopa_notices_topup_id")),
    )
    with op.batch_alter_table("pagopa_notices", schema=None) as batch_op:
        batch_op.create_index("ix_pagopa_notices_due_at", ["due_at"], unique=False)

    _topup_states(TOPUP_STATES)


def downgrade() -> None:
    _topup_states(TOPUP_STATES[:-2])
    with op.batch_alter_table("pagopa_notices", schema=None) as batch_op:
        batch_op.drop_index("ix_pagopa_notices_due_at")
    op.drop_table("pagopa_notices")
    with op.batch_alter_table("bank_refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_refunds_patron_id"))
        batch_op.drop_index("ix_bank_refunds_network_id_status")
    op.drop_table("bank_refunds")


def _topup_states(states):
    values = ", ".join(f"'{s}'" for s in states)
    with op.batch_alter_table("topups") as batch:
        batch.drop_constraint(op.f("ck_topups_status_valid"), type_="check")
        batch.create_check_constraint(op.f("ck_topups_status_valid"), f"status IN ({values})")
