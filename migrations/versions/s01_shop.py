"""shop: items, rooms, opening hours, orders, room bookings

Revision ID: s01_shop
Revises: t02_hold_states
Create Date: 2026-12-02

Adds the library shop. The desk's cash operations gain two kinds (shop_sale, shop_refund): a string column, no schema change.
"""

import sqlalchemy as sa
from alembic import op

import backend.db

revision = "s01_shop"
down_revision = "t02_hold_states"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shop_items",
        sa.Column("network_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("library_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("name_it", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("description_it", sa.String(length=2000), nullable=False),
        sa.Column("description_en", sa.String(length=2000), nullable=False),
        sa.Column("image_url", sa.String(length=500), nullable=True),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("vat", sa.String(length=16), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("active_from", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("active_to", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "category IN ('printing', 'interlibrary_loan', 'card', 'merchandise', 'used_books', 'room', 'course', 'other')",
            name=op.f("ck_shop_items_category_valid"),
        ),
        sa.CheckConstraint(
            "vat IN ('vat_22', 'vat_10', 'vat_5', 'vat_4', 'exempt', 'out_of_scope')",
            name=op.f("ck_shop_items_vat_valid"),
        ),
        sa.CheckConstraint("price > 0", name=op.f("ck_shop_items_price_positive")),
        sa.CheckConstraint("stock IS NULL OR stock >= 0", name=op.f("ck_shop_items_stock_not_negative")),
        sa.ForeignKeyConstraint(["library_id"], ["libraries.id"], name=op.f("fk_shop_items_library_id_libraries")),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_shop_items_network_id_networks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_items")),
        sa.UniqueConstraint("public_id", name=op.f("uq_shop_items_public_id")),
    )
    with op.batch_alter_table("shop_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shop_items_library_id"), ["library_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_shop_items_network_id"), ["network_id"], unique=False)

    op.create_table(
        "shop_opening_hours",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("library_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("opens", sa.String(length=5), nullable=False),
        sa.Column("closes", sa.String(length=5), nullable=False),
        sa.CheckConstraint("opens < closes", name=op.f("ck_shop_opening_hours_opens_before_closes")),
        sa.CheckConstraint("weekday BETWEEN 1 AND 7", name=op.f("ck_shop_opening_hours_weekday_valid")),
        sa.ForeignKeyConstraint(
            ["library_id"], ["libraries.id"], name=op.f("fk_shop_opening_hours_library_id_libraries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_opening_hours")),
    )
    with op.batch_alter_table("shop_opening_hours", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shop_opening_hours_library_id"), ["library_id"], unique=False)

    op.create_table(
        "shop_rooms",
        sa.Column("library_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name_it", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("description_it", sa.String(length=2000), nullable=False),
        sa.Column("description_en", sa.String(length=2000), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("price_per_hour", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("vat", sa.String(length=16), nullable=False),
        sa.Column("cancel_cutoff_hours", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("cancel_cutoff_hours >= 0", name=op.f("ck_shop_rooms_cutoff_not_negative")),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_shop_rooms_capacity_positive")),
        sa.CheckConstraint("price_per_hour > 0", name=op.f("ck_shop_rooms_price_positive")),
        sa.ForeignKeyConstraint(["library_id"], ["libraries.id"], name=op.f("fk_shop_rooms_library_id_libraries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_rooms")),
        sa.UniqueConstraint("public_id", name=op.f("uq_shop_rooms_public_id")),
    )
    with op.batch_alter_table("shop_rooms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shop_rooms_library_id"), ["library_id"], unique=False)

    op.create_table(
        "shop_item_libraries",
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("library_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["shop_items.id"], name=op.f("fk_shop_item_libraries_item_id_shop_items"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["library_id"], ["libraries.id"], name=op.f("fk_shop_item_libraries_library_id_libraries")
        ),
        sa.PrimaryKeyConstraint("item_id", "library_id", name=op.f("pk_shop_item_libraries")),
    )
    op.create_table(
        "shop_orders",
        sa.Column("network_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("library_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("patron_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("needs_pickup", sa.Boolean(), nullable=False),
        sa.Column("staff_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("cash_session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("confirmation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("receipt_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("refund_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("refund_receipt_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("refunded_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("paid_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ready_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("collected_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refunded_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("channel IN ('app', 'desk')", name=op.f("ck_shop_orders_channel_valid")),
        sa.CheckConstraint("method IN ('wallet', 'cash')", name=op.f("ck_shop_orders_method_valid")),
        sa.CheckConstraint(
            "state IN ('awaiting_confirmation', 'declined', 'expired', 'paid', 'ready', 'collected', 'completed', 'refunded')",
            name=op.f("ck_shop_orders_state_valid"),
        ),
        sa.CheckConstraint("total > 0", name=op.f("ck_shop_orders_total_positive")),
        sa.ForeignKeyConstraint(
            ["cash_session_id"], ["cash_sessions.id"], name=op.f("fk_shop_orders_cash_session_id_cash_sessions")
        ),
        sa.ForeignKeyConstraint(
            ["confirmation_id"], ["confirmations.id"], name=op.f("fk_shop_orders_confirmation_id_confirmations")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["journal_entries.id"], name=op.f("fk_shop_orders_entry_id_journal_entries")
        ),
        sa.ForeignKeyConstraint(["library_id"], ["libraries.id"], name=op.f("fk_shop_orders_library_id_libraries")),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_shop_orders_network_id_networks")),
        sa.ForeignKeyConstraint(["patron_id"], ["patrons.id"], name=op.f("fk_shop_orders_patron_id_patrons")),
        sa.ForeignKeyConstraint(["receipt_id"], ["receipts.id"], name=op.f("fk_shop_orders_receipt_id_receipts")),
        sa.ForeignKeyConstraint(
            ["refund_entry_id"], ["journal_entries.id"], name=op.f("fk_shop_orders_refund_entry_id_journal_entries")
        ),
        sa.ForeignKeyConstraint(
            ["refund_receipt_id"], ["receipts.id"], name=op.f("fk_shop_orders_refund_receipt_id_receipts")
        ),
        sa.ForeignKeyConstraint(
            ["refunded_by_id"], ["staff_users.id"], name=op.f("fk_shop_orders_refunded_by_id_staff_users")
        ),
        sa.ForeignKeyConstraint(
            ["staff_user_id"], ["staff_users.id"], name=op.f("fk_shop_orders_staff_user_id_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_orders")),
        sa.UniqueConstraint("confirmation_id", name=op.f("uq_shop_orders_confirmation_id")),
        sa.UniqueConstraint("public_id", name=op.f("uq_shop_orders_public_id")),
    )
    with op.batch_alter_table("shop_orders", schema=None) as batch_op:
        batch_op.create_index("ix_shop_orders_library_id_state", ["library_id", "state"], unique=False)
        batch_op.create_index(batch_op.f("ix_shop_orders_patron_id"), ["patron_id"], unique=False)

    op.create_table(
        "shop_order_lines",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("vat", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_shop_order_lines_quantity_positive")),
        sa.CheckConstraint("unit_price > 0", name=op.f("ck_shop_order_lines_unit_price_positive")),
        sa.ForeignKeyConstraint(["item_id"], ["shop_items.id"], name=op.f("fk_shop_order_lines_item_id_shop_items")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["shop_orders.id"], name=op.f("fk_shop_order_lines_order_id_shop_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_order_lines")),
    )
    with op.batch_alter_table("shop_order_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shop_order_lines_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_shop_order_lines_order_id"), ["order_id"], unique=False)

    op.create_table(
        "shop_room_bookings",
        sa.Column("room_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("patron_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("starts_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("cancelled_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refunded", sa.Boolean(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('booked', 'cancelled')", name=op.f("ck_shop_room_bookings_state_valid")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_shop_room_bookings_ends_after_start")),
        sa.CheckConstraint("hours > 0", name=op.f("ck_shop_room_bookings_hours_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["shop_orders.id"], name=op.f("fk_shop_room_bookings_order_id_shop_orders")
        ),
        sa.ForeignKeyConstraint(["patron_id"], ["patrons.id"], name=op.f("fk_shop_room_bookings_patron_id_patrons")),
        sa.ForeignKeyConstraint(["room_id"], ["shop_rooms.id"], name=op.f("fk_shop_room_bookings_room_id_shop_rooms")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_room_bookings")),
        sa.UniqueConstraint("order_id", name=op.f("uq_shop_room_bookings_order_id")),
        sa.UniqueConstraint("public_id", name=op.f("uq_shop_room_bookings_public_id")),
    )
    with op.batch_alter_table("shop_room_bookings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shop_room_bookings_patron_id"), ["patron_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_shop_room_bookings_room_id"), ["room_id"], unique=False)

    op.create_table(
        "shop_room_slots",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("room_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("starts_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("booking_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["shop_room_bookings.id"], name=op.f("fk_shop_room_slots_booking_id_shop_room_bookings")
        ),
        sa.ForeignKeyConstraint(["room_id"], ["shop_rooms.id"], name=op.f("fk_shop_room_slots_room_id_shop_rooms")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_room_slots")),
        sa.UniqueConstraint("room_id", "starts_at", name=op.f("uq_shop_room_slots_room_id_starts_at")),
    )
    with op.batch_alter_table("shop_room_slots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shop_room_slots_booking_id"), ["booking_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("shop_room_slots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shop_room_slots_booking_id"))

    op.drop_table("shop_room_slots")
    with op.batch_alter_table("shop_room_bookings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shop_room_bookings_room_id"))
        batch_op.drop_index(batch_op.f("ix_shop_room_bookings_patron_id"))

    op.drop_table("shop_room_bookings")
    with op.batch_alter_table("shop_order_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shop_order_lines_order_id"))
        batch_op.drop_index(batch_op.f("ix_shop_order_lines_item_id"))

    op.drop_table("shop_order_lines")
    with op.batch_alter_table("shop_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shop_orders_patron_id"))
        batch_op.drop_index("ix_shop_orders_library_id_state")

    op.drop_table("shop_orders")
    op.drop_table("shop_item_libraries")
    with op.batch_alter_table("shop_rooms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shop_rooms_library_id"))

    op.drop_table("shop_rooms")
    with op.batch_alter_table("shop_opening_hours", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shop_opening_hours_library_id"))

    op.drop_table("shop_opening_hours")
    with op.batch_alter_table("shop_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shop_items_network_id"))
        batch_op.drop_index(batch_op.f("ix_shop_items_library_id"))

    op.drop_table("shop_items")
