"""Cash: every desk session of a library's day rolled up, handed to the bank run, deposited.

A closed session's drawer account holds what the session took in (the counted
cash less the opening float, which stays in the drawer as change). That sum
moves in two steps, each booked once::

    handover   cash in transit (library)  ←  cash drawer (desk)     per session
    deposit    bank (network)             ←  cash in transit        per bank slip

so the money is visible in transit from the moment it leaves the drawers until
the bank's slip is recorded. A slip for another amount than the sessions it
carries books the difference to the library's cash over/short.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.accounts.models import Library, Network
from backend.auth.principal import Principal
from backend.auth.scope import require_library
from backend.db import get_or_404
from backend.desk import services as desk
from backend.desk.models import CashSession, CashSessionState, Desk
from backend.errors import DomainError
from backend.finance.reconciliation.errors import (
    NOTHING_TO_DEPOSIT,
    SESSION_ALREADY_DEPOSITED,
    SESSION_NOT_CLOSED,
    SESSION_OTHER_LIBRARY,
    SLIP_ALREADY_RECORDED,
)
from backend.finance.reconciliation.models import CashDeposit, CashHandover
from backend.i18n import ROME
from backend.ledger.models import LedgerAccount
from backend.ledger.periods import refuse_if_closed
from backend.ledger.services import account_balance, credit, debit, house_account, post_entry
from backend.money import Money


def _library(session: Session, principal: Principal, library_id: str) -> Library:
    return require_library(principal, get_or_404(session, Library, library_id, param="library_id"))


def _network(session: Session, principal: Principal) -> Network:
    return get_or_404(session, Network, principal.network_id or "")


def in_transit_account(session: Session, library: Library, currency: str = "EUR") -> LedgerAccount:
    return house_account(session, "cash_in_transit", library.public_id, currency, library=library)


def _to_bank(cash_session: CashSession) -> int:
    return (cash_session.counted_amount or 0) - cash_session.opening_float


# --- the day -----------------------------------------------------------------------------


@dataclass
class SessionLine:
    session_id: str
    desk_name: str
    status: str
    closed_at: datetime | None
    expected: Money | None
    counted: Money | None
    difference: Money | None
    to_bank: Money | None
    handed_over: bool
    deposit_id: str | None


@dataclass
class LibraryDay:
    library_id: str
    library_name: str
    expected: Money
    counted: Money
    difference: Money
    in_transit: Money
    sessions: list[SessionLine] = field(default_factory=list)


def slip_moment(day: date) -> datetime:
    """The instant a slip of ``day`` is booked at: the last of that Europe/Rome day, so it
    follows every session closed that day; today's slip is booked now (the ledger dates
    an entry "now" when ``dated`` is not in the past)."""
    return _bounds(day)[1] - timedelta(microseconds=1)


def _bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), ROME).astimezone(UTC)
    return start, datetime.combine(day + timedelta(days=1), time(0), ROME).astimezone(UTC)


def cash_day(session: Session, principal: Principal, day: date, library_id: str | None = None) -> list[LibraryDay]:
    """Per library of the caller's network: the sessions closed that day (Europe/Rome), or opened
    that day and still open, with expected, counted and difference, and the cash now in transit."""
    if library_id:
        libraries = [_library(session, principal, library_id)]
    else:
        libraries = list(
            session.scalars(
                select(Library).where(Library.network_id == _network(session, principal).id).order_by(Library.name)
            )
        )
    start, end = _bounds(day)
    sessions = session.scalars(
        select(CashSession)
        .join(Desk, Desk.id == CashSession.desk_id)
        .where(
            Desk.library_id.in_([lib.id for lib in libraries]),
            or_(
                (CashSession.closed_at >= start) & (CashSession.closed_at < end),
                (CashSession.status == CashSessionState.OPEN)
                & (CashSession.created_at >= start)
                & (CashSession.created_at < end),
            ),
        )
        .order_by(CashSession.id)
    ).all()
    handovers = {
        h.cash_session_id: h
        for h in session.scalars(select(CashHandover).where(CashHandover.cash_session_id.in_([s.id for s in sessions])))
    }
    deposits = {
        d.id: d.public_id
        for d in session.scalars(
            select(CashDeposit).where(CashDeposit.id.in_([h.deposit_id for h in handovers.values() if h.deposit_id]))
        )
    }
    days = []
    for library in libraries:
        lines, expected, counted, difference = [], 0, 0, 0
        for s in sessions:
            if s.desk.library_id != library.id:
                continue
            cur = s.currency
            if s.status == CashSessionState.CLOSED:
                exp, cnt, diff = s.expected_amount or 0, s.counted_amount or 0, s.difference or 0
                expected, counted, difference = expected + exp, counted + cnt, difference + diff
                shown = (Money(exp, cur), Money(cnt, cur), Money(diff, cur), Money(_to_bank(s), cur))
            else:
                shown = (desk.totals(session, s).expected, None, None, None)
            handover = handovers.get(s.id)
            lines.append(
                SessionLine(
                    session_id=s.public_id,
                    desk_name=s.desk.name,
                    status=s.status,
                    closed_at=s.closed_at,
                    expected=shown[0],
                    counted=shown[1],
                    difference=shown[2],
                    to_bank=shown[3],
                    handed_over=handover is not None,
                    deposit_id=deposits.get(handover.deposit_id) if handover and handover.deposit_id else None,
                )
            )
        days.append(
            LibraryDay(
                library_id=library.public_id,
                library_name=library.name,
                expected=Money(expected),
                counted=Money(counted),
                difference=Money(difference),
                in_transit=account_balance(session, in_transit_account(session, library)),
                sessions=lines,
            )
        )
    return days


# --- handover and deposit ----------------------------------------------------------------


def _closed_sessions(session: Session, principal: Principal, session_ids: list[str]) -> list[CashSession]:
    found = []
    for public_id in dict.fromkeys(session_ids):
        cash_session = get_or_404(session, CashSession, public_id, param="session_ids")
        require_library(principal, cash_session.desk.library)
        if cash_session.status != CashSessionState.CLOSED:
            raise DomainError(SESSION_NOT_CLOSED, param="session_ids", session=public_id)
        found.append(cash_session)
    return found


def _hand_over(
    session: Session, principal: Principal, cash_session: CashSession, *, dated: datetime | None = None
) -> CashHandover:
    amount = _to_bank(cash_session)
    if amount <= 0:
        raise DomainError(NOTHING_TO_DEPOSIT, param="session_ids", session=cash_session.public_id)
    library = cash_session.desk.library
    money = Money(amount, cash_session.currency)
    drawer = house_account(session, "cash_drawer", cash_session.desk.public_id, money.currency, library=library)
    entry = post_entry(
        session,
        kind="cash_handover",
        legs=[debit(in_transit_account(session, library, money.currency), money), credit(drawer, money)],
        memo=f"cash of session {cash_session.public_id} to the bank run",
        reference=cash_session.public_id,
        actor=principal.subject,
        dated=dated,
    )
    handover = CashHandover(
        cash_session_id=cash_session.id,
        library_id=library.id,
        amount=amount,
        currency=money.currency,
        entry_id=entry.id,
    )
    try:
        with session.begin_nested():  # two hand-overs of one session at once: the unique index decides
            session.add(handover)
            session.flush()
    except IntegrityError:
        raise DomainError(SESSION_ALREADY_DEPOSITED, param="session_ids", session=cash_session.public_id) from None
    return handover


def hand_over(session: Session, principal: Principal, session_ids: list[str]) -> list[CashHandover]:
    """Closed sessions' cash leaves the drawers for the bank (it is in transit until deposited)."""
    handovers = []
    for cash_session in _closed_sessions(session, principal, session_ids):
        if session.scalar(select(CashHandover.id).where(CashHandover.cash_session_id == cash_session.id)):
            raise DomainError(SESSION_ALREADY_DEPOSITED, param="session_ids", session=cash_session.public_id)
        handovers.append(_hand_over(session, principal, cash_session))
    return handovers


def record_deposit(
    session: Session,
    principal: Principal,
    *,
    library_id: str,
    amount: Money,
    deposited_on: date,
    slip_number: str,
    session_ids: list[str],
    note: str = "",
) -> CashDeposit:
    """A bank slip: the sessions it carries (handed over then if not yet), in transit → bank.

    Booked on the slip's day, not the day it is recorded: a slip of the 30th typed in
    on the 2nd belongs to the month of the 30th (and is refused if that month is closed).
    """
    library = _library(session, principal, library_id)
    dated = slip_moment(deposited_on)
    # Before anything is written, and naming the form's field rather than the ledger's.
    refuse_if_closed(session, [library.network_id], dated, param="deposited_on")
    slip_number = slip_number.strip()
    if session.scalar(
        select(CashDeposit.id).where(CashDeposit.library_id == library.id, CashDeposit.slip_number == slip_number)
    ):
        raise DomainError(SLIP_ALREADY_RECORDED, param="slip_number")
    handovers = []
    for cash_session in _closed_sessions(session, principal, session_ids):
        if cash_session.desk.library_id != library.id:
            raise DomainError(SESSION_OTHER_LIBRARY, param="session_ids", session=cash_session.public_id)
        handover = session.scalar(select(CashHandover).where(CashHandover.cash_session_id == cash_session.id))
        if handover is None:
            handover = _hand_over(session, principal, cash_session, dated=dated)
        elif handover.deposit_id is not None:
            raise DomainError(SESSION_ALREADY_DEPOSITED, param="session_ids", session=cash_session.public_id)
        handovers.append(handover)
    carried = sum(h.amount for h in handovers)
    cur = amount.currency
    transit = in_transit_account(session, library, cur)
    bank = house_account(session, "bank", library.network.public_id, cur, network=library.network)
    legs = [debit(bank, amount), credit(transit, Money(carried, cur))]
    difference = amount.amount - carried
    if difference:
        over_short = house_account(session, "cash_over_short", library.public_id, cur, library=library)
        legs.append(
            credit(over_short, Money(difference, cur)) if difference > 0 else debit(over_short, Money(-difference, cur))
        )
    entry = post_entry(
        session,
        kind="cash_deposit",
        legs=legs,
        memo=f"bank deposit slip {slip_number} of {library.code}"[:300],
        reference=library.public_id,
        actor=principal.subject,
        dated=dated,
    )
    deposit = CashDeposit(
        network_id=library.network_id,
        library_id=library.id,
        amount=amount.amount,
        currency=cur,
        deposited_on=deposited_on,
        slip_number=slip_number,
        carried_amount=carried,
        recorded_by=principal.subject,
        note=note.strip()[:500],
        entry_id=entry.id,
    )
    try:
        with session.begin_nested():  # the same slip recorded twice at once: the unique constraint decides
            session.add(deposit)
            session.flush()
    except IntegrityError:
        raise DomainError(SLIP_ALREADY_RECORDED, param="slip_number") from None
    for handover in handovers:
        # Guarded: a hand-over joins one deposit only, whatever runs concurrently.
        moved = session.execute(
            update(CashHandover)
            .where(CashHandover.id == handover.id, CashHandover.deposit_id.is_(None))
            .values(deposit_id=deposit.id)
            .execution_options(synchronize_session=False)
        ).rowcount
        if moved != 1:
            raise DomainError(SESSION_ALREADY_DEPOSITED, param="session_ids")
    session.flush()
    deposit.session_public_ids = [h.cash_session.public_id for h in handovers]
    return deposit


def deposits_query(session: Session, principal: Principal, library_id: str | None = None):
    stmt = select(CashDeposit).where(CashDeposit.network_id == _network(session, principal).id)
    if library_id:
        stmt = stmt.where(CashDeposit.library_id == _library(session, principal, library_id).id)
    return stmt


def with_sessions(session: Session, deposits: list[CashDeposit]) -> list[CashDeposit]:
    rows = session.execute(
        select(CashHandover.deposit_id, CashSession.public_id)
        .join(CashSession, CashSession.id == CashHandover.cash_session_id)
        .where(CashHandover.deposit_id.in_([d.id for d in deposits]))
        .order_by(CashHandover.id)
    ).all()
    for deposit in deposits:
        deposit.session_public_ids = [public_id for deposit_id, public_id in rows if deposit_id == deposit.id]
    return deposits


# --- what is still to deposit ----------------------------------------------------------


@dataclass
class PendingSession:
    session_id: str
    desk_name: str
    closed_at: datetime | None
    to_bank: Money
    handed_over: bool


def network_libraries(session: Session, principal: Principal) -> list[Library]:
    return list(
        session.scalars(
            select(Library).where(Library.network_id == _network(session, principal).id).order_by(Library.name)
        )
    )


def in_transit(session: Session, principal: Principal, library_id: str) -> Money:
    return account_balance(session, in_transit_account(session, _library(session, principal, library_id)))


def undeposited_sessions(session: Session, principal: Principal, library_id: str) -> list[PendingSession]:
    """A library's closed sessions with cash for the bank that no slip carries yet, oldest first.

    Handed over (in transit) or still in the drawers: a deposit can carry either.
    """
    library = _library(session, principal, library_id)
    rows = session.execute(
        select(CashSession, CashHandover.id)
        .join(Desk, Desk.id == CashSession.desk_id)
        .outerjoin(CashHandover, CashHandover.cash_session_id == CashSession.id)
        .where(
            Desk.library_id == library.id,
            CashSession.status == CashSessionState.CLOSED,
            CashHandover.deposit_id.is_(None),
            CashSession.counted_amount - CashSession.opening_float > 0,
        )
        .order_by(CashSession.closed_at, CashSession.id)
        .limit(200)  # a deposit carries at most 200 sessions (the API's limit too)
    ).all()
    return [
        PendingSession(
            session_id=s.public_id,
            desk_name=s.desk.name,
            closed_at=s.closed_at,
            to_bank=Money(_to_bank(s), s.currency),
            handed_over=handover_id is not None,
        )
        for s, handover_id in rows
    ]
