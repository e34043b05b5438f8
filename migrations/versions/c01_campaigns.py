"""+Teca: campaigns, followers, updates, donations, recurring donations, supporter cards, donation receipts

Revision ID: c01_campaigns
Revises: p01_partners
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

import backend.db

revision = "c01_campaigns"
down_revision = "p01_partners"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "supporter_card_plans",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("network_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("price > 0", name=op.f("ck_supporter_card_plans_price_positive")),
        sa.ForeignKeyConstraint(
            ["network_id"], ["networks.id"], name=op.f("fk_supporter_card_plans_network_id_networks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supporter_card_plans")),
        sa.UniqueConstraint("network_id", name=op.f("uq_supporter_card_plans_network_id")),
    )
    op.create_table(
        "campaigns",
        sa.Column("network_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("library_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("story", sa.Text(), nullable=False),
        sa.Column("images", sa.JSON(), nullable=False),
        sa.Column("good_causes", sa.JSON(), nullable=False),
        sa.Column("goal", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("deadline", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("model", sa.String(length=16), nullable=False),
        sa.Column("art_bonus", sa.Boolean(), nullable=False),
        sa.Column("art_bonus_beneficiary", sa.String(length=300), nullable=False),
        sa.Column("art_bonus_purpose", sa.String(length=500), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("launched_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("settled_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("final_report", sa.Text(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("model IN ('keep_it_all', 'all_or_nothing')", name=op.f("ck_campaigns_model_valid")),
        sa.CheckConstraint(
            "state IN ('draft', 'live', 'funded', 'not_funded', 'closed')", name=op.f("ck_campaigns_state_valid")
        ),
        sa.CheckConstraint("goal > 0", name=op.f("ck_campaigns_goal_positive")),
        sa.ForeignKeyConstraint(["library_id"], ["libraries.id"], name=op.f("fk_campaigns_library_id_libraries")),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_campaigns_network_id_networks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("public_id", name=op.f("uq_campaigns_public_id")),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaigns_library_id"), ["library_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_campaigns_network_id"), ["network_id"], unique=False)
        batch_op.create_index("ix_campaigns_state_deadline", ["state", "deadline"], unique=False)

    op.create_table(
        "campaign_followers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("patron_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_campaign_followers_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(["patron_id"], ["patrons.id"], name=op.f("fk_campaign_followers_patron_id_patrons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_followers")),
        sa.UniqueConstraint("campaign_id", "patron_id", name=op.f("uq_campaign_followers_campaign_id_patron_id")),
    )
    with op.batch_alter_table("campaign_followers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaign_followers_patron_id"), ["patron_id"], unique=False)

    op.create_table(
        "campaign_updates",
        sa.Column("campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("image_url", sa.String(length=500), nullable=True),
        sa.Column("results", sa.Text(), nullable=False),
        sa.Column("is_final_report", sa.Boolean(), nullable=False),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_campaign_updates_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_updates")),
        sa.UniqueConstraint("public_id", name=op.f("uq_campaign_updates_public_id")),
    )
    with op.batch_alter_table("campaign_updates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaign_updates_campaign_id"), ["campaign_id"], unique=False)

    op.create_table(
        "recurring_donations",
        sa.Column("campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("patron_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("interval", sa.String(length=8), nullable=False),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("next_run_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_period", sa.String(length=10), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=80), nullable=True),
        sa.Column("updated_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("interval IN ('monthly', 'yearly')", name=op.f("ck_recurring_donations_interval_valid")),
        sa.CheckConstraint("state IN ('active', 'paused', 'stopped')", name=op.f("ck_recurring_donations_state_valid")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_recurring_donations_amount_positive")),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_recurring_donations_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(["patron_id"], ["patrons.id"], name=op.f("fk_recurring_donations_patron_id_patrons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recurring_donations")),
        sa.UniqueConstraint("public_id", name=op.f("uq_recurring_donations_public_id")),
    )
    with op.batch_alter_table("recurring_donations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recurring_donations_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_recurring_donations_next_run_at"), ["next_run_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_recurring_donations_patron_id"), ["patron_id"], unique=False)

    op.create_table(
        "donations",
        sa.Column("campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("network_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("patron_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=True),
        sa.Column("message_status", sa.String(length=10), nullable=False),
        sa.Column("art_bonus_requested", sa.Boolean(), nullable=False),
        sa.Column("tax_code", sa.String(length=16), nullable=True),
        sa.Column("eligible_amount", sa.BigInteger(), nullable=True),
        sa.Column("hold_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("provider", sa.String(length=20), nullable=True),
        sa.Column("intent_id", sa.String(length=120), nullable=True),
        sa.Column("failure_code", sa.String(length=80), nullable=True),
        sa.Column("recurring_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("period", sa.String(length=10), nullable=True),
        sa.Column("succeeded_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("settled_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "message_status IN ('none', 'pending', 'approved', 'rejected')",
            name=op.f("ck_donations_message_status_valid"),
        ),
        sa.CheckConstraint(
            "state IN ('pending', 'pledged', 'succeeded', 'failed', 'released', 'refund_pending', 'refunded')",
            name=op.f("ck_donations_state_valid"),
        ),
        sa.CheckConstraint(
            "visibility IN ('name_and_amount', 'name_only', 'anonymous')", name=op.f("ck_donations_visibility_valid")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_donations_amount_positive")),
        sa.CheckConstraint(
            "tax_code IS NULL OR art_bonus_requested", name=op.f("ck_donations_tax_code_only_for_art_bonus")
        ),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name=op.f("fk_donations_campaign_id_campaigns")),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["journal_entries.id"], name=op.f("fk_donations_entry_id_journal_entries")
        ),
        sa.ForeignKeyConstraint(["hold_id"], ["holds.id"], name=op.f("fk_donations_hold_id_holds")),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_donations_network_id_networks")),
        sa.ForeignKeyConstraint(["patron_id"], ["patrons.id"], name=op.f("fk_donations_patron_id_patrons")),
        sa.ForeignKeyConstraint(
            ["recurring_id"], ["recurring_donations.id"], name=op.f("fk_donations_recurring_id_recurring_donations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donations")),
        sa.UniqueConstraint("intent_id", name=op.f("uq_donations_intent_id")),
        sa.UniqueConstraint("public_id", name=op.f("uq_donations_public_id")),
        sa.UniqueConstraint("recurring_id", "period", name=op.f("uq_donations_recurring_id_period")),
    )
    with op.batch_alter_table("donations", schema=None) as batch_op:
        batch_op.create_index("ix_donations_campaign_id_state", ["campaign_id", "state"], unique=False)
        batch_op.create_index("ix_donations_network_id_succeeded_at", ["network_id", "succeeded_at"], unique=False)
        batch_op.create_index("ix_donations_patron_id_id", ["patron_id", "id"], unique=False)

    op.create_table(
        "donation_receipts",
        sa.Column("donation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("series", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=60), nullable=False),
        sa.Column("donor_name", sa.String(length=250), nullable=False),
        sa.Column("beneficiary", sa.String(length=300), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("eligible_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("donated_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["donation_id"], ["donations.id"], name=op.f("fk_donation_receipts_donation_id_donations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donation_receipts")),
        sa.UniqueConstraint("donation_id", name=op.f("uq_donation_receipts_donation_id")),
        sa.UniqueConstraint("number", name=op.f("uq_donation_receipts_number")),
        sa.UniqueConstraint("public_id", name=op.f("uq_donation_receipts_public_id")),
        sa.UniqueConstraint("series", "year", "sequence", name=op.f("uq_donation_receipts_series_year_sequence")),
    )
    op.create_table(
        "supporter_cards",
        sa.Column("patron_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("network_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("donation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("valid_from", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("valid_until", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("valid_until > valid_from", name=op.f("ck_supporter_cards_valid_range")),
        sa.ForeignKeyConstraint(
            ["donation_id"], ["donations.id"], name=op.f("fk_supporter_cards_donation_id_donations")
        ),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_supporter_cards_network_id_networks")),
        sa.ForeignKeyConstraint(["patron_id"], ["patrons.id"], name=op.f("fk_supporter_cards_patron_id_patrons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supporter_cards")),
        sa.UniqueConstraint("donation_id", name=op.f("uq_supporter_cards_donation_id")),
        sa.UniqueConstraint("public_id", name=op.f("uq_supporter_cards_public_id")),
    )
    with op.batch_alter_table("supporter_cards", schema=None) as batch_op:
        batch_op.create_index(
            "ix_supporter_cards_patron_network_until", ["patron_id", "network_id", "valid_until"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("supporter_cards", schema=None) as batch_op:
        batch_op.drop_index("ix_supporter_cards_patron_network_until")

    op.drop_table("supporter_cards")
    op.drop_table("donation_receipts")
    with op.batch_alter_table("donations", schema=None) as batch_op:
        batch_op.drop_index("ix_donations_patron_id_id")
        batch_op.drop_index("ix_donations_network_id_succeeded_at")
        batch_op.drop_index("ix_donations_campaign_id_state")

    op.drop_table("donations")
    with op.batch_alter_table("recurring_donations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recurring_donations_patron_id"))
        batch_op.drop_index(batch_op.f("ix_recurring_donations_next_run_at"))
        batch_op.drop_index(batch_op.f("ix_recurring_donations_campaign_id"))

    op.drop_table("recurring_donations")
    with op.batch_alter_table("campaign_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_updates_campaign_id"))

    op.drop_table("campaign_updates")
    with op.batch_alter_table("campaign_followers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_followers_patron_id"))

    op.drop_table("campaign_followers")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_index("ix_campaigns_state_deadline")
        batch_op.drop_index(batch_op.f("ix_campaigns_network_id"))
        batch_op.drop_index(batch_op.f("ix_campaigns_library_id"))

    op.drop_table("campaigns")
    op.drop_table("supporter_card_plans")
