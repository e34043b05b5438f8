"""events and tickets: events, ticket types, occurrences, orders, tickets, check-ins, waiting lists

Revision ID: 0007
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

import backend.db

revision = "0007"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "events",
        sa.Column("network_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("library_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("audience", sa.String(length=120), nullable=False),
        sa.Column("age_min", sa.Integer(), nullable=True),
        sa.Column("age_max", sa.Integer(), nullable=True),
        sa.Column("accessibility", sa.String(length=500), nullable=False),
        sa.Column("image_url", sa.String(length=500), nullable=True),
        sa.Column("venue_name", sa.String(length=200), nullable=False),
        sa.Column("venue_address", sa.String(length=300), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("per_patron_limit", sa.Integer(), nullable=False),
        sa.Column("sales_open_days", sa.Integer(), nullable=True),
        sa.Column("sales_close_minutes", sa.Integer(), nullable=False),
        sa.Column("cancel_cutoff_hours", sa.Integer(), nullable=False),
        sa.Column("payment_hold_minutes", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("per_patron_limit >= 1", name=op.f("ck_events_limit_positive")),
        sa.ForeignKeyConstraint(["library_id"], ["libraries.id"], name=op.f("fk_events_library_id_libraries")),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_events_network_id_networks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("public_id", name=op.f("uq_events_public_id")),
    )
    op.create_index(op.f("ix_events_library_id"), "events", ["library_id"], unique=False)
    op.create_index(op.f("ix_events_network_id"), "events", ["network_id"], unique=False)
    op.create_index("ix_events_status_category", "events", ["status", "category"], unique=False)
    op.create_table(
        "occurrences",
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("starts_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("sold", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("cancelled_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("capacity >= 0", name=op.f("ck_occurrences_capacity_not_negative")),
        sa.CheckConstraint("sold >= 0 AND sold <= capacity", name=op.f("ck_occurrences_sold_within_capacity")),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_occurrences_event_id_events")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_occurrences")),
        sa.UniqueConstraint("public_id", name=op.f("uq_occurrences_public_id")),
    )
    op.create_index(op.f("ix_occurrences_event_id"), "occurrences", ["event_id"], unique=False)
    op.create_index(op.f("ix_occurrences_starts_at"), "occurrences", ["starts_at"], unique=False)
    op.create_table(
        "ticket_types",
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("condition", sa.String(length=300), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.CheckConstraint("(kind = 'free') = (price = 0)", name=op.f("ck_ticket_types_free_iff_zero")),
        sa.CheckConstraint("price >= 0", name=op.f("ck_ticket_types_price_not_negative")),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_ticket_types_event_id_events")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_types")),
        sa.UniqueConstraint("public_id", name=op.f("uq_ticket_types_public_id")),
    )
    op.create_index(op.f("ix_ticket_types_event_id"), "ticket_types", ["event_id"], unique=False)
    op.create_table(
        "ticket_orders",
        sa.Column("patron_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("occurrence_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("expires_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity >= 1", name=op.f("ck_ticket_orders_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["journal_entries.id"], name=op.f("fk_ticket_orders_entry_id_journal_entries")
        ),
        sa.ForeignKeyConstraint(
            ["occurrence_id"], ["occurrences.id"], name=op.f("fk_ticket_orders_occurrence_id_occurrences")
        ),
        sa.ForeignKeyConstraint(["patron_id"], ["patrons.id"], name=op.f("fk_ticket_orders_patron_id_patrons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_orders")),
        sa.UniqueConstraint("public_id", name=op.f("uq_ticket_orders_public_id")),
    )
    op.create_index(op.f("ix_ticket_orders_occurrence_id"), "ticket_orders", ["occurrence_id"], unique=False)
    op.create_index(op.f("ix_ticket_orders_patron_id"), "ticket_orders", ["patron_id"], unique=False)
    op.create_index("ix_ticket_orders_status_expires_at", "ticket_orders", ["status", "expires_at"], unique=False)
    op.create_table(
        "ticket_type_sales",
        sa.Column("occurrence_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ticket_type_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sold", sa.Integer(), nullable=False),
        sa.CheckConstraint("sold >= 0", name=op.f("ck_ticket_type_sales_sold_not_negative")),
        sa.ForeignKeyConstraint(
            ["occurrence_id"], ["occurrences.id"], name=op.f("fk_ticket_type_sales_occurrence_id_occurrences")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_type_id"], ["ticket_types.id"], name=op.f("fk_ticket_type_sales_ticket_type_id_ticket_types")
        ),
        sa.PrimaryKeyConstraint("occurrence_id", "ticket_type_id", name=op.f("pk_ticket_type_sales")),
    )
    op.create_table(
        "tickets",
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("occurrence_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("patron_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ticket_type_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("refund_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("cancelled_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["occurrence_id"], ["occurrences.id"], name=op.f("fk_tickets_occurrence_id_occurrences")
        ),
        sa.ForeignKeyConstraint(["order_id"], ["ticket_orders.id"], name=op.f("fk_tickets_order_id_ticket_orders")),
        sa.ForeignKeyConstraint(["patron_id"], ["patrons.id"], name=op.f("fk_tickets_patron_id_patrons")),
        sa.ForeignKeyConstraint(
            ["refund_entry_id"], ["journal_entries.id"], name=op.f("fk_tickets_refund_entry_id_journal_entries")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_type_id"], ["ticket_types.id"], name=op.f("fk_tickets_ticket_type_id_ticket_types")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("public_id", name=op.f("uq_tickets_public_id")),
    )
    op.create_index(op.f("ix_tickets_occurrence_id"), "tickets", ["occurrence_id"], unique=False)
    op.create_index(op.f("ix_tickets_order_id"), "tickets", ["order_id"], unique=False)
    op.create_index("ix_tickets_patron_id_id", "tickets", ["patron_id", "id"], unique=False)
    op.create_table(
        "waitlist_entries",
        sa.Column("occurrence_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("patron_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ticket_type_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("offered_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("offer_expires_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity >= 1", name=op.f("ck_waitlist_entries_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["occurrence_id"], ["occurrences.id"], name=op.f("fk_waitlist_entries_occurrence_id_occurrences")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["ticket_orders.id"], name=op.f("fk_waitlist_entries_order_id_ticket_orders")
        ),
        sa.ForeignKeyConstraint(["patron_id"], ["patrons.id"], name=op.f("fk_waitlist_entries_patron_id_patrons")),
        sa.ForeignKeyConstraint(
            ["ticket_type_id"], ["ticket_types.id"], name=op.f("fk_waitlist_entries_ticket_type_id_ticket_types")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entries")),
        sa.UniqueConstraint("public_id", name=op.f("uq_waitlist_entries_public_id")),
    )
    op.create_index(
        "ix_waitlist_entries_occurrence_id_status_id",
        "waitlist_entries",
        ["occurrence_id", "status", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_waitlist_entries_offer_expires_at"), "waitlist_entries", ["offer_expires_at"], unique=False
    )
    op.create_index(op.f("ix_waitlist_entries_patron_id"), "waitlist_entries", ["patron_id"], unique=False)
    op.create_table(
        "ticket_checkins",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("occurrence_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("scan_id", sa.String(length=80), nullable=True),
        sa.Column("scanned_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("gate", sa.String(length=120), nullable=False),
        sa.Column("staff", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["occurrence_id"], ["occurrences.id"], name=op.f("fk_ticket_checkins_occurrence_id_occurrences")
        ),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_checkins_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_checkins")),
        sa.UniqueConstraint("scan_id", name=op.f("uq_ticket_checkins_scan_id")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_ticket_checkins_ticket_id")),
    )
    op.create_index(op.f("ix_ticket_checkins_occurrence_id"), "ticket_checkins", ["occurrence_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_ticket_checkins_occurrence_id"), table_name="ticket_checkins")
    op.drop_table("ticket_checkins")
    op.drop_index(op.f("ix_waitlist_entries_patron_id"), table_name="waitlist_entries")
    op.drop_index(op.f("ix_waitlist_entries_offer_expires_at"), table_name="waitlist_entries")
    op.drop_index("ix_waitlist_entries_occurrence_id_status_id", table_name="waitlist_entries")
    op.drop_table("waitlist_entries")
    op.drop_index("ix_tickets_patron_id_id", table_name="tickets")
    op.drop_index(op.f("ix_tickets_order_id"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_occurrence_id"), table_name="tickets")
    op.drop_table("tickets")
    op.drop_table("ticket_type_sales")
    op.drop_index("ix_ticket_orders_status_expires_at", table_name="ticket_orders")
    op.drop_index(op.f("ix_ticket_orders_patron_id"), table_name="ticket_orders")
    op.drop_index(op.f("ix_ticket_orders_occurrence_id"), table_name="ticket_orders")
    op.drop_table("ticket_orders")
    op.drop_index(op.f("ix_ticket_types_event_id"), table_name="ticket_types")
    op.drop_table("ticket_types")
    op.drop_index(op.f("ix_occurrences_starts_at"), table_name="occurrences")
    op.drop_index(op.f("ix_occurrences_event_id"), table_name="occurrences")
    op.drop_table("occurrences")
    op.drop_index("ix_events_status_category", table_name="events")
    op.drop_index(op.f("ix_events_network_id"), table_name="events")
    op.drop_index(op.f("ix_events_library_id"), table_name="events")
    op.drop_table("events")
