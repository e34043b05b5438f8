"""top-ups by card, cash desks, receipts

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

import backend.db

revision = "0006"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "provider_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("event_id", sa.String(length=120), nullable=False),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("received_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_events")),
        sa.UniqueConstraint("provider", "event_id", name=op.f("uq_provider_events_provider_event_id")),
    )
    op.create_table(
        "receipt_counters",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("series", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt_counters")),
        sa.UniqueConstraint("series", "year", name=op.f("uq_receipt_counters_series_year")),
    )
    op.create_table(
        "desks",
        sa.Column("library_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["library_id"], ["libraries.id"], name=op.f("fk_desks_library_id_libraries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desks")),
        sa.UniqueConstraint("public_id", name=op.f("uq_desks_public_id")),
    )
    op.create_index(op.f("ix_desks_library_id"), "desks", ["library_id"], unique=False)
    op.create_table(
        "cash_sessions",
        sa.Column("desk_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("opened_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("opening_float", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("operations_count", sa.Integer(), nullable=False),
        sa.Column("closed_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("closed_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expected_amount", sa.BigInteger(), nullable=True),
        sa.Column("counted_amount", sa.BigInteger(), nullable=True),
        sa.Column("difference", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("difference_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["staff_users.id"], name=op.f("fk_cash_sessions_closed_by_id_staff_users")
        ),
        sa.ForeignKeyConstraint(["desk_id"], ["desks.id"], name=op.f("fk_cash_sessions_desk_id_desks")),
        sa.ForeignKeyConstraint(
            ["difference_entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_cash_sessions_difference_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_id"], ["staff_users.id"], name=op.f("fk_cash_sessions_opened_by_id_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cash_sessions")),
        sa.UniqueConstraint("public_id", name=op.f("uq_cash_sessions_public_id")),
    )
    op.create_index(
        "uq_cash_sessions_one_open_per_desk",
        "cash_sessions",
        ["desk_id"],
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
        sqlite_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "payment_customers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("patron_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("customer_id", sa.String(length=120), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["patron_id"], ["patrons.id"], name=op.f("fk_payment_customers_patron_id_patrons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_customers")),
        sa.UniqueConstraint("patron_id", "provider", name=op.f("uq_payment_customers_patron_id_provider")),
    )
    op.create_table(
        "receipts",
        sa.Column("series", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("patron_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("library_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("network_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("issuer_name", sa.String(length=200), nullable=False),
        sa.Column("operator_name", sa.String(length=200), nullable=False),
        sa.Column("patron_name", sa.String(length=250), nullable=False),
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("balance_after", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=12), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("entry_public_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["library_id"], ["libraries.id"], name=op.f("fk_receipts_library_id_libraries")),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_receipts_network_id_networks")),
        sa.ForeignKeyConstraint(["patron_id"], ["patrons.id"], name=op.f("fk_receipts_patron_id_patrons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipts")),
        sa.UniqueConstraint("number", name=op.f("uq_receipts_number")),
        sa.UniqueConstraint("public_id", name=op.f("uq_receipts_public_id")),
        sa.UniqueConstraint("series", "year", "sequence", name=op.f("uq_receipts_series_year_sequence")),
    )
    op.create_index(op.f("ix_receipts_patron_id"), "receipts", ["patron_id"], unique=False)
    op.create_index(op.f("ix_receipts_reference"), "receipts", ["reference"], unique=False)
    op.create_table(
        "topups",
        sa.Column("patron_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("intent_id", sa.String(length=120), nullable=True),
        sa.Column("failure_code", sa.String(length=80), nullable=True),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("refunded_amount", sa.BigInteger(), nullable=False),
        sa.Column("disputed_amount", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("settled_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["journal_entries.id"], name=op.f("fk_topups_entry_id_journal_entries")),
        sa.ForeignKeyConstraint(["patron_id"], ["patrons.id"], name=op.f("fk_topups_patron_id_patrons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topups")),
        sa.UniqueConstraint("intent_id", name=op.f("uq_topups_intent_id")),
        sa.UniqueConstraint("public_id", name=op.f("uq_topups_public_id")),
    )
    op.create_index("ix_topups_patron_id_id", "topups", ["patron_id", "id"], unique=False)
    op.create_index("ix_topups_status_created_at", "topups", ["status", "created_at"], unique=False)
    op.create_table(
        "card_refunds",
        sa.Column("patron_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("topup_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("request_id", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("provider_refund_id", sa.String(length=120), nullable=True),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("updated_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["journal_entries.id"], name=op.f("fk_card_refunds_entry_id_journal_entries")
        ),
        sa.ForeignKeyConstraint(["patron_id"], ["patrons.id"], name=op.f("fk_card_refunds_patron_id_patrons")),
        sa.ForeignKeyConstraint(["topup_id"], ["topups.id"], name=op.f("fk_card_refunds_topup_id_topups")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_refunds")),
        sa.UniqueConstraint("public_id", name=op.f("uq_card_refunds_public_id")),
    )
    op.create_index(op.f("ix_card_refunds_patron_id"), "card_refunds", ["patron_id"], unique=False)
    op.create_index(op.f("ix_card_refunds_request_id"), "card_refunds", ["request_id"], unique=False)
    op.create_index(op.f("ix_card_refunds_topup_id"), "card_refunds", ["topup_id"], unique=False)
    op.create_table(
        "desk_operations",
        sa.Column("session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("method", sa.String(length=12), nullable=False),
        sa.Column("patron_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("operator_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("receipt_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["journal_entries.id"], name=op.f("fk_desk_operations_entry_id_journal_entries")
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["staff_users.id"], name=op.f("fk_desk_operations_operator_id_staff_users")
        ),
        sa.ForeignKeyConstraint(["patron_id"], ["patrons.id"], name=op.f("fk_desk_operations_patron_id_patrons")),
        sa.ForeignKeyConstraint(["receipt_id"], ["receipts.id"], name=op.f("fk_desk_operations_receipt_id_receipts")),
        sa.ForeignKeyConstraint(
            ["session_id"], ["cash_sessions.id"], name=op.f("fk_desk_operations_session_id_cash_sessions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_operations")),
        sa.UniqueConstraint("public_id", name=op.f("uq_desk_operations_public_id")),
    )
    op.create_index(op.f("ix_desk_operations_patron_id"), "desk_operations", ["patron_id"], unique=False)
    op.create_index(op.f("ix_desk_operations_session_id"), "desk_operations", ["session_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_desk_operations_session_id"), table_name="desk_operations")
    op.drop_index(op.f("ix_desk_operations_patron_id"), table_name="desk_operations")
    op.drop_table("desk_operations")
    op.drop_index(op.f("ix_card_refunds_topup_id"), table_name="card_refunds")
    op.drop_index(op.f("ix_card_refunds_request_id"), table_name="card_refunds")
    op.drop_index(op.f("ix_card_refunds_patron_id"), table_name="card_refunds")
    op.drop_table("card_refunds")
    op.drop_index("ix_topups_status_created_at", table_name="topups")
    op.drop_index("ix_topups_patron_id_id", table_name="topups")
    op.drop_table("topups")
    op.drop_index(op.f("ix_receipts_reference"), table_name="receipts")
    op.drop_index(op.f("ix_receipts_patron_id"), table_name="receipts")
    op.drop_table("receipts")
    op.drop_table("payment_customers")
    op.drop_index(
        "uq_cash_sessions_one_open_per_desk",
        table_name="cash_sessions",
        postgresql_where=sa.text("status = 'open'"),
        sqlite_where=sa.text("status = 'open'"),
    )
    op.drop_table("cash_sessions")
    op.drop_index(op.f("ix_desks_library_id"), table_name="desks")
    op.drop_table("desks")
    op.drop_table("receipt_counters")
    op.drop_table("provider_events")
