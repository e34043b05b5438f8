"""partners: partners, venues, agreements, offers, passes, redemptions, till payments, confirmations

Revision ID: p01_partners
Revises: d01_events_states
Create Date: 2026-12-02

Venues made before this revision get kind 'other', no address and no hours (server defaults).
"""

import sqlalchemy as sa
from alembic import op

import backend.db

revision = "p01_partners"
down_revision = "d01_events_states"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partners",
        sa.Column("network_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("tax_code", sa.String(length=16), nullable=False),
        sa.Column("iban", sa.String(length=34), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("contact_phone", sa.String(length=32), nullable=False),
        sa.Column("wallet_payments", sa.Boolean(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_partners_network_id_networks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partners")),
        sa.UniqueConstraint("public_id", name=op.f("uq_partners_public_id")),
    )
    with op.batch_alter_table("partners", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partners_network_id"), ["network_id"], unique=False)

    op.create_table(
        "partner_agreements",
        sa.Column("partner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("network_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("budget_cap", sa.BigInteger(), nullable=True),
        sa.Column("reimbursed", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("revoked_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('active', 'revoked')", name=op.f("ck_partner_agreements_state_valid")),
        sa.CheckConstraint(
            "budget_cap IS NULL OR reimbursed <= budget_cap", name=op.f("ck_partner_agreements_within_budget")
        ),
        sa.CheckConstraint("reimbursed >= 0", name=op.f("ck_partner_agreements_reimbursed_not_negative")),
        sa.CheckConstraint("valid_from <= valid_to", name=op.f("ck_partner_agreements_period_order")),
        sa.ForeignKeyConstraint(
            ["network_id"], ["networks.id"], name=op.f("fk_partner_agreements_network_id_networks")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_partner_agreements_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_agreements")),
        sa.UniqueConstraint("public_id", name=op.f("uq_partner_agreements_public_id")),
    )
    with op.batch_alter_table("partner_agreements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_agreements_network_id"), ["network_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_partner_agreements_partner_id"), ["partner_id"], unique=False)

    op.create_table(
        "confirmations",
        sa.Column("patron_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("requester", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("expires_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending', 'confirmed', 'declined', 'expired')", name=op.f("ck_confirmations_state_valid")
        ),
        sa.ForeignKeyConstraint(["patron_id"], ["patrons.id"], name=op.f("fk_confirmations_patron_id_patrons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_confirmations")),
        sa.UniqueConstraint("public_id", name=op.f("uq_confirmations_public_id")),
    )
    with op.batch_alter_table("confirmations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_confirmations_patron_id"), ["patron_id"], unique=False)

    op.create_table(
        "partner_agreement_networks",
        sa.Column("agreement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("network_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["partner_agreements.id"],
            name=op.f("fk_partner_agreement_networks_agreement_id_partner_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["networks.id"],
            name=op.f("fk_partner_agreement_networks_network_id_networks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("agreement_id", "network_id", name=op.f("pk_partner_agreement_networks")),
    )
    op.create_table(
        "partner_offers",
        sa.Column("agreement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("title_it", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("conditions_it", sa.Text(), nullable=False),
        sa.Column("conditions_en", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("benefit_kind", sa.String(length=16), nullable=False),
        sa.Column("benefit_value", sa.BigInteger(), nullable=False),
        sa.Column("max_quantity", sa.Integer(), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("time_from", sa.String(length=5), nullable=True),
        sa.Column("time_to", sa.String(length=5), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("network_ids", sa.JSON(), nullable=False),
        sa.Column("library_ids", sa.JSON(), nullable=False),
        sa.Column("age_bands", sa.JSON(), nullable=False),
        sa.Column("requires_supporter_card", sa.Boolean(), nullable=False),
        sa.Column("per_patron_day", sa.Integer(), nullable=True),
        sa.Column("per_patron_week", sa.Integer(), nullable=True),
        sa.Column("per_patron_month", sa.Integer(), nullable=True),
        sa.Column("per_patron_total", sa.Integer(), nullable=True),
        sa.Column("total_limit", sa.Integer(), nullable=True),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("bearer", sa.String(length=8), nullable=False),
        sa.Column("reimbursement_rule", sa.String(length=8), nullable=True),
        sa.Column("reimbursement_value", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("revoked_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('active', 'revoked')", name=op.f("ck_partner_offers_state_valid")),
        sa.CheckConstraint(
            "benefit_value >= 0 AND reimbursement_value >= 0", name=op.f("ck_partner_offers_values_not_negative")
        ),
        sa.CheckConstraint("max_quantity >= 1", name=op.f("ck_partner_offers_max_quantity_positive")),
        sa.CheckConstraint(
            "total_limit IS NULL OR used <= total_limit", name=op.f("ck_partner_offers_within_total_limit")
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["partner_agreements.id"], name=op.f("fk_partner_offers_agreement_id_partner_agreements")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_offers")),
        sa.UniqueConstraint("public_id", name=op.f("uq_partner_offers_public_id")),
    )
    with op.batch_alter_table("partner_offers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_offers_agreement_id"), ["agreement_id"], unique=False)

    op.create_table(
        "partner_passes",
        sa.Column("patron_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("device_key", sa.String(length=64), nullable=False),
        sa.Column("short_code", sa.String(length=12), nullable=False),
        sa.Column("otp_secret", sa.String(length=32), nullable=False),
        sa.Column("expires_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("revoked_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('active', 'revoked')", name=op.f("ck_partner_passes_state_valid")),
        sa.ForeignKeyConstraint(["patron_id"], ["patrons.id"], name=op.f("fk_partner_passes_patron_id_patrons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_passes")),
        sa.UniqueConstraint("public_id", name=op.f("uq_partner_passes_public_id")),
        sa.UniqueConstraint("short_code", name=op.f("uq_partner_passes_short_code")),
    )
    with op.batch_alter_table("partner_passes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_passes_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_partner_passes_patron_id"), ["patron_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_partner_passes_revoked_at"), ["revoked_at"], unique=False)

    op.create_table(
        "partner_offer_venues",
        sa.Column("offer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("venue_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["partner_offers.id"],
            name=op.f("fk_partner_offer_venues_offer_id_partner_offers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"],
            ["partner_venues.id"],
            name=op.f("fk_partner_offer_venues_venue_id_partner_venues"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("offer_id", "venue_id", name=op.f("pk_partner_offer_venues")),
    )
    op.create_table(
        "partner_redemptions",
        sa.Column("offer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("agreement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("partner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("venue_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("patron_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("pass_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("staff_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("scan_id", sa.String(length=80), nullable=True),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("scanned_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("list_price", sa.BigInteger(), nullable=False),
        sa.Column("discount", sa.BigInteger(), nullable=False),
        sa.Column("price_to_pay", sa.BigInteger(), nullable=False),
        sa.Column("reimbursement", sa.BigInteger(), nullable=False),
        sa.Column("reimbursement_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("flag_reason", sa.String(length=40), nullable=True),
        sa.Column("reviewed_by", sa.String(length=64), nullable=True),
        sa.Column("reviewed_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('accepted', 'flagged', 'approved', 'rejected')", name=op.f("ck_partner_redemptions_state_valid")
        ),
        sa.CheckConstraint(
            "quantity >= 1 AND list_price >= 0 AND discount >= 0 AND price_to_pay >= 0 AND reimbursement >= 0",
            name=op.f("ck_partner_redemptions_amounts_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["partner_agreements.id"],
            name=op.f("fk_partner_redemptions_agreement_id_partner_agreements"),
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["partner_offers.id"], name=op.f("fk_partner_redemptions_offer_id_partner_offers")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_partner_redemptions_partner_id_partners")
        ),
        sa.ForeignKeyConstraint(
            ["pass_id"], ["partner_passes.id"], name=op.f("fk_partner_redemptions_pass_id_partner_passes")
        ),
        sa.ForeignKeyConstraint(["patron_id"], ["patrons.id"], name=op.f("fk_partner_redemptions_patron_id_patrons")),
        sa.ForeignKeyConstraint(
            ["reimbursement_entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_partner_redemptions_reimbursement_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_user_id"], ["staff_users.id"], name=op.f("fk_partner_redemptions_staff_user_id_staff_users")
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["partner_venues.id"], name=op.f("fk_partner_redemptions_venue_id_partner_venues")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_redemptions")),
        sa.UniqueConstraint("partner_id", "scan_id", name=op.f("uq_partner_redemptions_partner_id_scan_id")),
        sa.UniqueConstraint("public_id", name=op.f("uq_partner_redemptions_public_id")),
    )
    with op.batch_alter_table("partner_redemptions", schema=None) as batch_op:
        batch_op.create_index("ix_partner_redemptions_partner_time", ["partner_id", "scanned_at"], unique=False)
        batch_op.create_index(
            "ix_partner_redemptions_patron_offer", ["patron_id", "offer_id", "scanned_at"], unique=False
        )

    op.create_table(
        "partner_till_payments",
        sa.Column("partner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("venue_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("patron_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("staff_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("confirmation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("expires_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("paid_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("refunded_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refund_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending', 'paid', 'declined', 'expired', 'refunded')",
            name=op.f("ck_partner_till_payments_state_valid"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_partner_till_payments_positive")),
        sa.ForeignKeyConstraint(
            ["confirmation_id"],
            ["confirmations.id"],
            name=op.f("fk_partner_till_payments_confirmation_id_confirmations"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["journal_entries.id"], name=op.f("fk_partner_till_payments_entry_id_journal_entries")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_partner_till_payments_partner_id_partners")
        ),
        sa.ForeignKeyConstraint(["patron_id"], ["patrons.id"], name=op.f("fk_partner_till_payments_patron_id_patrons")),
        sa.ForeignKeyConstraint(
            ["refund_entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_partner_till_payments_refund_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_user_id"], ["staff_users.id"], name=op.f("fk_partner_till_payments_staff_user_id_staff_users")
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["partner_venues.id"], name=op.f("fk_partner_till_payments_venue_id_partner_venues")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_till_payments")),
        sa.UniqueConstraint("confirmation_id", name=op.f("uq_partner_till_payments_confirmation_id")),
        sa.UniqueConstraint("public_id", name=op.f("uq_partner_till_payments_public_id")),
    )
    with op.batch_alter_table("partner_till_payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_till_payments_partner_id"), ["partner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_partner_till_payments_patron_id"), ["patron_id"], unique=False)

    with op.batch_alter_table("partner_venues", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("partner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        batch_op.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="other"))
        batch_op.add_column(sa.Column("address", sa.String(length=300), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("longitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("opening_hours", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.create_index(batch_op.f("ix_partner_venues_partner_id"), ["partner_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_partner_venues_partner_id_partners"), "partners", ["partner_id"], ["id"]
        )

    with op.batch_alter_table("patrons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("birth_date", sa.Date(), nullable=True))

    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("partner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_staff_users_partner_id_partners"), "partners", ["partner_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_staff_users_partner_id_partners"), type_="foreignkey")
        batch_op.drop_column("partner_id")

    with op.batch_alter_table("patrons", schema=None) as batch_op:
        batch_op.drop_column("birth_date")

    with op.batch_alter_table("partner_venues", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_partner_venues_partner_id_partners"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_partner_venues_partner_id"))
        batch_op.drop_column("opening_hours")
        batch_op.drop_column("longitude")
        batch_op.drop_column("latitude")
        batch_op.drop_column("address")
        batch_op.drop_column("kind")
        batch_op.drop_column("partner_id")

    with op.batch_alter_table("partner_till_payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_till_payments_patron_id"))
        batch_op.drop_index(batch_op.f("ix_partner_till_payments_partner_id"))

    op.drop_table("partner_till_payments")
    with op.batch_alter_table("partner_redemptions", schema=None) as batch_op:
        batch_op.drop_index("ix_partner_redemptions_patron_offer")
        batch_op.drop_index("ix_partner_redemptions_partner_time")

    op.drop_table("partner_redemptions")
    op.drop_table("partner_offer_venues")
    with op.batch_alter_table("partner_passes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_passes_revoked_at"))
        batch_op.drop_index(batch_op.f("ix_partner_passes_patron_id"))
        batch_op.drop_index(batch_op.f("ix_partner_passes_expires_at"))

    op.drop_table("partner_passes")
    with op.batch_alter_table("partner_offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_offers_agreement_id"))

    op.drop_table("partner_offers")
    op.drop_table("partner_agreement_networks")
    with op.batch_alter_table("confirmations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_confirmations_patron_id"))

    op.drop_table("confirmations")
    with op.batch_alter_table("partner_agreements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_agreements_partner_id"))
        batch_op.drop_index(batch_op.f("ix_partner_agreements_network_id"))

    op.drop_table("partner_agreements")
    with op.batch_alter_table("partners", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partners_network_id"))

    op.drop_table("partners")
