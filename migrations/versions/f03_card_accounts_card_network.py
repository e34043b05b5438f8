"""ledger: the card processor's accounts belong to the card network; positions for the card money so far

Card clearing and chargebacks were shared accounts (no network), so another network's card
top-ups and donations created no position between networks. They now belong to the network
holding the processor account (``BORSELLINO_CARD_ACCOUNT_NETWORK``, or the only network). What
each other network's entries put on them until now becomes one position entry: that network is
owed, the card network owes, each by the total of its part of those entries.

Without a card network (unset and several networks) nothing changes: the accounts stay shared.

Revision ID: f03_card_accounts_card_network
Revises: f02_recon_difference_entries
Create Date: 2026-12-02
"""

import os
import secrets
from collections import defaultdict
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "f03_card_accounts_card_network"
down_revision = "f02_recon_difference_entries"
branch_labels = None
depends_on = None

KINDS = ("card_clearing", "chargebacks")


def _public_id(prefix):
    return f"{prefix}_{secrets.token_hex(12)}"


def _card_network(bind):
    code = os.environ.get("BORSELLINO_CARD_ACCOUNT_NETWORK", "").strip()
    if code:
        return bind.execute(sa.text("SELECT id, public_id FROM networks WHERE code = :c"), {"c": code}).first()
    rows = bind.execute(sa.text("SELECT id, public_id FROM networks ORDER BY id LIMIT 2")).all()
    return rows[0] if len(rows) == 1 else None


def _settlement_account(bind, network_id, network_public_id, currency, now):
    key = f"network_settlement:{network_public_id}"
    params = {"k": key, "c": currency}
    found = bind.execute(sa.text("SELECT id FROM ledger_accounts WHERE key = :k AND currency = :c"), params).scalar()
    if found is not None:
        return found
    bind.execute(
        sa.text(
            "INSERT INTO ledger_accounts (public_id, kind, key, currency, normal_side, network_id, created_at)"
            " VALUES (:p, 'network_settlement', :k, :c, 'credit', :n, :t)"
        ),
        {"p": _public_id("acc"), "k": key, "c": currency, "n": network_id, "t": now},
    )
    return bind.execute(sa.text("SELECT id FROM ledger_accounts WHERE key = :k AND currency = :c"), params).scalar()


def upgrade():
    bind = op.get_bind()
    card = _card_network(bind)
    if card is None:
        return
    accounts = bind.execute(
        sa.text("SELECT id FROM ledger_accounts WHERE kind IN ('card_clearing', 'chargebacks') AND network_id IS NULL")
    ).all()
    ids = [row.id for row in accounts]
    if not ids:
        return
    bind.execute(
        sa.text("UPDATE ledger_accounts SET network_id = :n WHERE id IN :ids").bindparams(
            sa.bindparam("ids", expanding=True)
        ),
        {"n": card.id, "ids": ids},
    )
    # Each other network's part of the entries on those accounts, per currency: what they carried
    # between that network and the (then shared) card accounts.
    parts = bind.execute(
        sa.text(
            "SELECT a.network_id, p.currency, SUM(p.amount) AS total FROM postings p"
            " JOIN ledger_accounts a ON a.id = p.account_id"
            " WHERE a.network_id IS NOT NULL AND a.network_id != :n AND p.entry_id IN"
            " (SELECT entry_id FROM postings WHERE account_id IN :ids)"
            " GROUP BY a.network_id, p.currency"
        ).bindparams(sa.bindparam("ids", expanding=True)),
        {"n": card.id, "ids": ids},
    ).all()
    by_currency = defaultdict(list)
    for row in parts:
        if int(row.total):
            by_currency[row.currency].append((row.network_id, int(row.total)))
    now = datetime.now(UTC).replace(tzinfo=None)
    networks = dict(bind.execute(sa.text("SELECT id, public_id FROM networks")).all())
    for currency, totals in by_currency.items():
        bind.execute(
            sa.text(
                "INSERT INTO journal_entries (public_id, kind, currency, memo, reference, actor, created_at)"
                " VALUES (:p, 'card_network_positions', :c, :m, NULL, 'migration', :t)"
            ),
            {
                "p": (public_id := _public_id("txn")),
                "c": currency,
                "m": "Positions for the card money held by the card network until the card accounts became its own",
                "t": now,
            },
        )
        entry_id = bind.execute(
            sa.text("SELECT id FROM journal_entries WHERE public_id = :p"), {"p": public_id}
        ).scalar()
        # A top-up of a patron of A credited A's wallet: A's part was -X. A is owed X (debit of
        # its settlement account), the card network owes X (credit of its own).
        legs = [(_settlement_account(bind, nid, networks[nid], currency, now), -total) for nid, total in totals]
        legs.append((_settlement_account(bind, card.id, card.public_id, currency, now), sum(t for _, t in totals)))
        for account_id, amount in legs:
            if amount:
                bind.execute(
                    sa.text(
                        "INSERT INTO postings (entry_id, account_id, amount, currency, created_at)"
                        " VALUES (:e, :a, :x, :c, :t)"
                    ),
                    {"e": entry_id, "a": account_id, "x": amount, "c": currency, "t": now},
                )


def downgrade():
    # The position entries are part of the books now; the accounts' owner is not put back.
    pass
