"""Demo wallets and fees: money topped up in cash at the desk, outstanding fees, one paid.

Cash goes in through the desk's own service (so the drawer's cash-up adds up);
the fees use the network's standard fee types.
"""

from __future__ import annotations

from sqlalchemy import select

from backend.auth.principal import Principal
from backend.desk.models import CashSession, CashSessionState, Desk
from backend.desk.services import cash_topup
from backend.fees.services import charge_fee, pay_fees
from backend.money import Money

# patron index -> cents topped up in cash
WALLETS = {0: 3000, 1: 1500, 2: 2000, 3: 500}
# (patron index, fee type, cents or None for the default, note)
FEES = [
    (0, "overdue", 150, "«Il nome della rosa», 3 giorni di ritardo"),
    (0, "printing", 40, "4 pagine A4"),
    (1, "lost_item", None, "«Le città invisibili»"),
    (2, "interlibrary_loan", None, "Prestito da Bergamo"),
    (3, "new_card", None, ""),
]


def seed_wallets_and_fees(session, ctx) -> None:
    library = ctx.libraries[0]
    librarian = ctx.staff["librarian"]
    cash_session = session.scalar(
        select(CashSession)
        .join(Desk, Desk.id == CashSession.desk_id)
        .where(Desk.library_id == library.id, CashSession.status == CashSessionState.OPEN)
    )
    for index, cents in WALLETS.items():
        cash_topup(session, ctx.settings, cash_session, librarian, ctx.patrons[index], Money(cents))
    principal = Principal(
        subject=librarian.public_id,
        role="librarian",
        network_id=ctx.network.public_id,
        library_ids=(library.public_id,),
    )
    charged = [
        charge_fee(
            session,
            principal,
            patron=ctx.patrons[who],
            library=library,
            type_code=code,
            amount=Money(cents) if cents else None,
            description=note,
        )
        for who, code, cents, note in FEES
    ]
    # Giulia already paid her printing: her history shows a payment.
    pay_fees(session, ctx.patrons[0], [charged[1].public_id])
    session.flush()
    ctx.logins.append(
        "fees       outstanding fees for every demo patron; wallets topped up in cash "
        "(GET /v1/wallet, GET /v1/fees, POST /v1/fees/payments)"
    )
