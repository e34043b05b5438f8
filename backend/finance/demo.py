"""Demo finance: a patron of the other network (SBM) who paid a fee in Rho last month, and SBM's finance user.

So the clearing between networks has something to show: last month's statement has one
transfer, SBM → CSBNO, that SBM's finance marks paid (``/console/finance/clearing``).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from backend.accounts.models import Patron, StaffUser
from backend.auth.passwords import hash_secret
from backend.db import utcnow
from backend.ledger.periods import month_bounds, month_of
from backend.ledger.services import Funding, credit, debit, house_account, post_entry, wallet_of
from backend.money import Money

OTHER_PATRON = "SBM0000001"
OTHER_FINANCE = "finanza@sbm.demo"


def seed_finance(session, ctx) -> None:
    if ctx.other_network is None or session.scalar(select(Patron.id).where(Patron.card_number == OTHER_PATRON)):
        return
    from backend.demo import STAFF_PASSWORD

    patron = Patron(
        card_number=OTHER_PATRON,
        pin_hash=hash_secret("5678"),
        first_name="Chiara",
        last_name="Fontana",
        language="it",
        home_network=ctx.other_network,
        email="chiara.fontana@example.org",
    )
    finance = StaffUser(
        email=OTHER_FINANCE,
        name="Roberto Sala",
        role="finance",
        network=ctx.other_network,
        password_hash=hash_secret(STAFF_PASSWORD),
    )
    session.add_all([patron, finance])
    session.flush()
    ctx.logins.append(f"finance    {OTHER_FINANCE} / {STAFF_PASSWORD}  (the other network, SBM)")
    start, _ = month_bounds(month_of(utcnow()))
    last_month = start - timedelta(days=15)
    wallet = wallet_of(session, patron)
    post_entry(
        session,
        kind="adjustment",
        # A goodwill credit, not a card top-up: the demo's card payout lists every sandbox card payment.
        legs=[
            debit(
                house_account(session, "adjustments", ctx.other_network.public_id, network=ctx.other_network),
                Money(2000),
            ),
            credit(wallet, Money(2000)),
        ],
        funding=Funding("adjustment"),
        memo="demo credit",
        dated=last_month,
    )
    rho = ctx.libraries[0]
    post_entry(
        session,
        kind="fee_payment",
        legs=[
            debit(wallet, Money(450)),
            credit(house_account(session, "fee_income", rho.public_id, library=rho), Money(450)),
        ],
        memo="Tessera smarrita",
        reference="demo-sbm-fee",
        dated=last_month + timedelta(days=1),
    )
