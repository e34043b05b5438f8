"""Books kept while card clearing was shared: the migration gives it to the card network and records,
once, the positions that the card money of the other networks built up."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from backend.accounts.models import Network
from backend.db import utcnow
from backend.ledger.audit import run_audit
from backend.ledger.models import JournalEntry, LedgerAccount, Posting
from backend.ledger.periods import trial_balance
from backend.migrations_support import upgrade
from tests.finance.helpers import make_net, pay_fee, top_up


def _position(session, network) -> int:
    return -int(
        session.scalar(
            select(func.coalesce(func.sum(Posting.amount), 0))
            .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
            .where(LedgerAccount.kind == "network_settlement", LedgerAccount.network_id == network.id)
        )
    )


def test_existing_card_money_of_another_network_becomes_a_position_on_the_card_network(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "f02_recon_difference_entries")
    engine = create_engine(url)
    with Session(engine) as session:
        card, a = make_net(session), make_net(session)
        top_up(session, a.patron, 3000)  # on the shared clearing: A's wallet backed by nothing of A's
        top_up(session, card.patron, 1000)
        pay_fee(session, a.patron, card.library, 500)  # already a position: A owes the card network 5 €
        session.commit()
        assert _position(session, a.network) == 500
        card_code, ids = card.network.code, (card.network.id, a.network.id)

    monkeypatch.setenv("BORSELLINO_CARD_ACCOUNT_NETWORK", card_code)
    upgrade(url)
    upgrade(url)  # at head: nothing more
    with Session(engine) as session:
        clearing = session.scalars(select(LedgerAccount).where(LedgerAccount.kind == "card_clearing")).one()
        assert clearing.network_id == ids[0]
        card_net, a_net = (session.get(Network, i) for i in ids)
        # A is owed its patron's 30 €, less the 5 € it owes for the fee.
        assert (_position(session, a_net), _position(session, card_net)) == (-2500, 2500)
        [entry] = session.scalars(select(JournalEntry).where(JournalEntry.kind == "card_network_positions")).all()
        assert len(entry.postings) == 2
        until = utcnow() + timedelta(seconds=1)
        for network_id in ids:
            lines = trial_balance(session, network_id, until)
            assert all(line.account is not None for line in lines), lines
        assert run_audit(session).clean
    engine.dispose()
