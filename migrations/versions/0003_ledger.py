"""ledger: accounts, journal entries, postings, holds, funding lots

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

import backend.db

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None

# PostgreSQL guards the ledger's rules even against code that bypasses the
# services: entries and postings can't be changed or deleted, and every entry
# must balance (checked at commit, when all its postings are in).
PG_GUARDS = """
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger rows are immutable (% on %): post a reversing entry', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER journal_entries_immutable BEFORE UPDATE OR DELETE ON journal_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER postings_immutable BEFORE UPDATE OR DELETE ON postings
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER lot_allocations_immutable BEFORE UPDATE OR DELETE ON lot_allocations
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

CREATE FUNCTION ledger_check_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  target bigint;
  n int;
  total numeric;
  currencies int;
BEGIN
  IF TG_TABLE_NAME = 'postings' THEN target := NEW.entry_id; ELSE target := NEW.id; END IF;
  SELECT count(*), coalesce(sum(amount), 0), count(DISTINCT currency)
    INTO n, total, currencies FROM postings WHERE entry_id = target;
  IF n < 2 OR total <> 0 OR currencies <> 1 THEN
    RAISE EXCEPTION 'journal entry % does not balance: % postings, sum %, % currencies',
      target, n, total, currencies USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER postings_balanced AFTER INSERT ON postings
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced();
CREATE CONSTRAINT TRIGGER journal_entries_balanced AFTER INSERT ON journal_entries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced();
"""

PG_GUARDS_DOWN = """
DROP TRIGGER IF EXISTS journal_entries_balanced ON journal_entries;
DROP TRIGGER IF EXISTS postings_balanced ON postings;
DROP FUNCTION IF EXISTS ledger_check_entry_balanced();
DROP TRIGGER IF EXISTS lot_allocations_immutable ON lot_allocations;
DROP TRIGGER IF EXISTS postings_immutable ON postings;
DROP TRIGGER IF EXISTS journal_entries_immutable ON journal_entries;
DROP FUNCTION IF EXISTS ledger_refuse_change();
"""


def upgrade() -> None:
    op.create_table(
        "journal_entries",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("memo", sa.String(length=300), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column("reverses_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("refunds_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["refunds_id"], ["journal_entries.id"], name=op.f("fk_journal_entries_refunds_id_journal_entries")
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"], ["journal_entries.id"], name=op.f("fk_journal_entries_reverses_id_journal_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entries")),
        sa.UniqueConstraint("public_id", name=op.f("uq_journal_entries_public_id")),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_journal_entries_reverses_id")),
    )
    op.create_index(op.f("ix_journal_entries_reference"), "journal_entries", ["reference"], unique=False)
    op.create_index(op.f("ix_journal_entries_refunds_id"), "journal_entries", ["refunds_id"], unique=False)
    op.create_table(
        "ledger_accounts",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("normal_side", sa.String(length=6), nullable=False),
        sa.Column("patron_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("library_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("network_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("balance", sa.BigInteger(), nullable=True),
        sa.Column("held", sa.BigInteger(), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(balance IS NULL AND held IS NULL) OR (balance >= 0 AND held >= 0 AND held <= balance)",
            name=op.f("ck_ledger_accounts_wallet_not_negative"),
        ),
        sa.ForeignKeyConstraint(["library_id"], ["libraries.id"], name=op.f("fk_ledger_accounts_library_id_libraries")),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_ledger_accounts_network_id_networks")),
        sa.ForeignKeyConstraint(["patron_id"], ["patrons.id"], name=op.f("fk_ledger_accounts_patron_id_patrons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_accounts")),
        sa.UniqueConstraint("key", "currency", name=op.f("uq_ledger_accounts_key_currency")),
        sa.UniqueConstraint("public_id", name=op.f("uq_ledger_accounts_public_id")),
    )
    op.create_index(op.f("ix_ledger_accounts_patron_id"), "ledger_accounts", ["patron_id"], unique=False)
    op.create_table(
        "funding_lots",
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("remaining", sa.BigInteger(), nullable=False),
        sa.Column("provider_ref", sa.String(length=120), nullable=True),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("remaining >= 0 AND remaining <= amount", name=op.f("ck_funding_lots_remaining_in_range")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["ledger_accounts.id"], name=op.f("fk_funding_lots_account_id_ledger_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["journal_entries.id"], name=op.f("fk_funding_lots_entry_id_journal_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_lots")),
        sa.UniqueConstraint("public_id", name=op.f("uq_funding_lots_public_id")),
    )
    op.create_index("ix_funding_lots_account_id_remaining", "funding_lots", ["account_id", "remaining"], unique=False)
    op.create_table(
        "holds",
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("expires_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column("settled_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("capture_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_holds_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["ledger_accounts.id"], name=op.f("fk_holds_account_id_ledger_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["capture_entry_id"], ["journal_entries.id"], name=op.f("fk_holds_capture_entry_id_journal_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holds")),
        sa.UniqueConstraint("public_id", name=op.f("uq_holds_public_id")),
    )
    op.create_index(op.f("ix_holds_account_id"), "holds", ["account_id"], unique=False)
    op.create_index(op.f("ix_holds_expires_at"), "holds", ["expires_at"], unique=False)
    op.create_table(
        "postings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_postings_nonzero")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["ledger_accounts.id"], name=op.f("fk_postings_account_id_ledger_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["journal_entries.id"], name=op.f("fk_postings_entry_id_journal_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postings")),
    )
    op.create_index("ix_postings_account_id_id", "postings", ["account_id", "id"], unique=False)
    op.create_index(op.f("ix_postings_entry_id"), "postings", ["entry_id"], unique=False)
    op.create_table(
        "lot_allocations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("lot_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_lot_allocations_nonzero")),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["journal_entries.id"], name=op.f("fk_lot_allocations_entry_id_journal_entries")
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["funding_lots.id"], name=op.f("fk_lot_allocations_lot_id_funding_lots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lot_allocations")),
    )
    op.create_index(op.f("ix_lot_allocations_entry_id"), "lot_allocations", ["entry_id"], unique=False)
    op.create_index(op.f("ix_lot_allocations_lot_id"), "lot_allocations", ["lot_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_GUARDS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_GUARDS_DOWN)
    op.drop_index(op.f("ix_lot_allocations_lot_id"), table_name="lot_allocations")
    op.drop_index(op.f("ix_lot_allocations_entry_id"), table_name="lot_allocations")
    op.drop_table("lot_allocations")
    op.drop_index(op.f("ix_postings_entry_id"), table_name="postings")
    op.drop_index("ix_postings_account_id_id", table_name="postings")
    op.drop_table("postings")
    op.drop_index(op.f("ix_holds_expires_at"), table_name="holds")
    op.drop_index(op.f("ix_holds_account_id"), table_name="holds")
    op.drop_table("holds")
    op.drop_index("ix_funding_lots_account_id_remaining", table_name="funding_lots")
    op.drop_table("funding_lots")
    op.drop_index(op.f("ix_ledger_accounts_patron_id"), table_name="ledger_accounts")
    op.drop_table("ledger_accounts")
    op.drop_index(op.f("ix_journal_entries_refunds_id"), table_name="journal_entries")
    op.drop_index(op.f("ix_journal_entries_reference"), table_name="journal_entries")
    op.drop_table("journal_entries")
