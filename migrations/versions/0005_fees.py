"""fees: fee types per network, fees charged to patrons, fee payments

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

import backend.db

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fee_types",
        sa.Column("network_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_it", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("default_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("default_amount >= 0", name=op.f("ck_fee_types_default_not_negative")),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_fee_types_network_id_networks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_types")),
        sa.UniqueConstraint("network_id", "code", name=op.f("uq_fee_types_network_id_code")),
        sa.UniqueConstraint("public_id", name=op.f("uq_fee_types_public_id")),
    )
    op.create_table(
        "fee_payments",
        sa.Column("patron_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["journal_entries.id"], name=op.f("fk_fee_payments_entry_id_journal_entries")
        ),
        sa.ForeignKeyConstraint(["patron_id"], ["patrons.id"], name=op.f("fk_fee_payments_patron_id_patrons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_payments")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_fee_payments_entry_id")),
        sa.UniqueConstraint("public_id", name=op.f("uq_fee_payments_public_id")),
    )
    op.create_index(op.f("ix_fee_payments_patron_id"), "fee_payments", ["patron_id"], unique=False)
    op.create_table(
        "fees",
        sa.Column("network_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("library_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("patron_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("fee_type_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("external_id", sa.String(length=80), nullable=True),
        sa.Column("charged_by", sa.String(length=64), nullable=False),
        sa.Column("payment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("paid_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("waived_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("waived_by", sa.String(length=64), nullable=True),
        sa.Column("waive_reason", sa.String(length=300), nullable=True),
        sa.Column("refund_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('outstanding', 'paid', 'waived')", name=op.f("ck_fees_known_status")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_fees_positive")),
        sa.ForeignKeyConstraint(["fee_type_id"], ["fee_types.id"], name=op.f("fk_fees_fee_type_id_fee_types")),
        sa.ForeignKeyConstraint(["library_id"], ["libraries.id"], name=op.f("fk_fees_library_id_libraries")),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_fees_network_id_networks")),
        sa.ForeignKeyConstraint(["patron_id"], ["patrons.id"], name=op.f("fk_fees_patron_id_patrons")),
        sa.ForeignKeyConstraint(["payment_id"], ["fee_payments.id"], name=op.f("fk_fees_payment_id_fee_payments")),
        sa.ForeignKeyConstraint(
            ["refund_entry_id"], ["journal_entries.id"], name=op.f("fk_fees_refund_entry_id_journal_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fees")),
        sa.UniqueConstraint("network_id", "external_id", name=op.f("uq_fees_network_id_external_id")),
        sa.UniqueConstraint("public_id", name=op.f("uq_fees_public_id")),
    )
    op.create_index("ix_fees_library_id_id", "fees", ["library_id", "id"], unique=False)
    op.create_index("ix_fees_patron_id_status", "fees", ["patron_id", "status"], unique=False)
    op.create_index(op.f("ix_fees_payment_id"), "fees", ["payment_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_fees_payment_id"), table_name="fees")
    op.drop_index("ix_fees_patron_id_status", table_name="fees")
    op.drop_index("ix_fees_library_id_id", table_name="fees")
    op.drop_table("fees")
    op.drop_index(op.f("ix_fee_payments_patron_id"), table_name="fee_payments")
    op.drop_table("fee_payments")
    op.drop_table("fee_types")
