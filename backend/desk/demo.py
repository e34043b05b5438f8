"""Demo cash desks: one per library, each with a session already open on a counted float.

So the demo librarian can top up a patron in cash at once (API or console),
and close the session at the end of the day to see the cash-up.
"""

from __future__ import annotations

from backend.desk.models import CashSession, CashSessionState, Desk

OPENING_FLOAT = 10_000  # 100,00 € of change in each drawer


def seed_desks(session, ctx) -> None:
    librarian, admin = ctx.staff.get("librarian"), ctx.staff.get("admin")
    for library in ctx.libraries:
        desk = Desk(library=library, name="Cassa 1")
        session.add(desk)
        session.flush()
        # The demo librarian works at the first library; an admin opened the others.
        opener = librarian if librarian is not None and library in librarian.libraries else admin
        session.add(
            CashSession(
                desk_id=desk.id,
                status=CashSessionState.OPEN,
                opened_by_id=opener.id,
                opening_float=OPENING_FLOAT,
                currency="EUR",
            )
        )
    session.flush()
    ctx.logins.append("desks      'Cassa 1' open in every library (float 100,00 €): /console/desk as the librarian")
