"""Cash desk rules: sessions, cash top-ups, cash payouts, cash-up.

Cash in the drawer is tracked in the ledger per desk (``cash_drawer``):
top-ups debit it, payouts credit it, and the cash-up books the counted
difference against ``cash_over_short``. The opening float is the library's
own change money: it is counted in and out but is not wallet money, so it
stays out of the ledger (expected cash = float + top-ups − payouts).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.accounts import membership
from backend.accounts.models import Library, Patron, StaffUser
from backend.accounts.signin import normalize_card
from backend.auth.principal import Principal
from backend.auth.scope import acts_for_library, require_library
from backend.config import Settings
from backend.db import get_or_404, utcnow
from backend.desk.errors import (
    NOT_ENOUGH_CASH_BALANCE,
    PATRON_IDENTIFIER_REQUIRED,
    PATRON_NOT_FOUND,
    SESSION_ALREADY_OPEN,
    SESSION_CLOSED,
)
from backend.desk.models import (
    CASH_IN,
    CASH_OUT,
    CASH_SESSION_TRANSITIONS,
    PAYOUT,
    TOPUP,
    CashSession,
    CashSessionState,
    Desk,
    DeskOperation,
)
from backend.errors import NOT_FOUND, DomainError
from backend.ledger.models import JournalEntry, LedgerAccount
from backend.ledger.services import (
    Funding,
    Leg,
    credit,
    debit,
    house_account,
    post_entry,
    wallet_lots,
    wallet_of,
)
from backend.money import Money
from backend.notify.services import notify
from backend.receipts.models import Receipt
from backend.receipts.services import issue_receipt, library_series
from backend.states import transition
from backend.topups.services import check_wallet_room, wallet_credited
from backend.wallet.services import find_wallet

# --- desks and sessions ------------------------------------------------------


def desks_in_scope(session: Session, principal: Principal) -> list[Desk]:
    desks = session.scalars(select(Desk).join(Library).where(Desk.active.is_(True)).order_by(Desk.id))
    return [d for d in desks if acts_for_library(principal, d.library)]


def create_desk(session: Session, principal: Principal, library_public_id: str, name: str) -> Desk:
    library = session.scalar(select(Library).where(Library.public_id == library_public_id))
    require_library(principal, library)
    desk = Desk(library=library, name=name)
    session.add(desk)
    session.flush()
    return desk


def open_session_ids(session: Session, desks: list[Desk]) -> dict[int, str]:
    """The public id of each desk's open cash session (desks without one are absent), in one query."""
    rows = session.execute(
        select(CashSession.desk_id, CashSession.public_id).where(
            CashSession.desk_id.in_([desk.id for desk in desks]), CashSession.status == CashSessionState.OPEN
        )
    )
    return {desk_id: public_id for desk_id, public_id in rows}


def desk_in_scope(session: Session, principal: Principal, public_id: str) -> Desk:
    desk = get_or_404(session, Desk, public_id)
    require_library(principal, desk.library)
    return desk


def cash_session_in_scope(session: Session, principal: Principal, public_id: str) -> CashSession:
    found = get_or_404(session, CashSession, public_id)
    require_library(principal, found.desk.library)
    return found


def open_session(session: Session, desk: Desk, staff: StaffUser, opening_float: Money) -> CashSession:
    if session.scalar(
        select(CashSession.id).where(CashSession.desk_id == desk.id, CashSession.status == CashSessionState.OPEN)
    ):
        raise DomainError(SESSION_ALREADY_OPEN)
    cash_session = CashSession(
        desk_id=desk.id,
        status=CashSessionState.OPEN,
        opened_by_id=staff.id,
        opening_float=opening_float.amount,
        currency=opening_float.currency,
    )
    try:
        with session.begin_nested():  # two librarians opening at once: the unique index decides
            session.add(cash_session)
            session.flush()
    except IntegrityError:
        raise DomainError(SESSION_ALREADY_OPEN) from None
    return cash_session


def _claim_open(session: Session, cash_session: CashSession) -> None:
    """Bump the session row while it is open; this row lock orders operations against the close."""
    if (
        session.execute(
            update(CashSession)
            .where(CashSession.id == cash_session.id, CashSession.status == CashSessionState.OPEN)
            .values(operations_count=CashSession.operations_count + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        != 1
    ):
        raise DomainError(SESSION_CLOSED)


def find_patron(
    session: Session, settings: Settings, *, card_number: str | None = None, membership_code: str | None = None
) -> Patron:
    if bool(card_number) == bool(membership_code):
        raise DomainError(PATRON_IDENTIFIER_REQUIRED, param="card_number")
    if membership_code:
        return membership.identify(session, settings, membership_code)
    patron = session.scalar(select(Patron).where(Patron.card_number == normalize_card(card_number)))
    if patron is None or patron.status == "deleted":
        raise DomainError(PATRON_NOT_FOUND, param="card_number")
    return patron


# --- operations ---------------------------------------------------------------


@dataclass
class DoneOperation:
    operation: DeskOperation
    receipt: Receipt
    balance_after: Money


def _drawer(session: Session, desk: Desk, currency: str) -> LedgerAccount:
    return house_account(session, "cash_drawer", desk.public_id, currency, library=desk.library)


def _record(session, cash_session, kind, patron, staff, money, entry, balance) -> DoneOperation:
    desk = cash_session.desk
    op = _operation(session, cash_session, kind, patron, staff, money, entry)
    receipt = issue_receipt(
        session,
        kind=kind,
        patron=patron,
        series=library_series(desk.library),
        network=desk.library.network,
        library=desk.library,
        issuer_name=f"{desk.library.name} – {desk.name}",
        operator_name=staff.name,
        amount=money,
        balance_after=balance,
        method="cash",
        reference=op.public_id,
        entry=entry,
    )
    op.receipt_id = receipt.id
    return DoneOperation(op, receipt, balance)


def cash_topup(
    session: Session, settings: Settings, cash_session: CashSession, staff: StaffUser, patron: Patron, money: Money
) -> DoneOperation:
    _claim_open(session, cash_session)
    check_wallet_room(session, settings, patron, money)
    wallet = wallet_of(session, patron, money.currency)
    entry = post_entry(
        session,
        kind="topup_cash",
        legs=[debit(_drawer(session, cash_session.desk, money.currency), money), credit(wallet, money)],
        memo=f"cash top-up at {cash_session.desk.public_id}",
        reference=cash_session.public_id,
        actor=staff.public_id,
        funding=Funding("cash"),
    )
    balance = Money(wallet.balance, wallet.currency)
    done = _record(session, cash_session, TOPUP, patron, staff, money, entry, balance)
    notify(session, patron, "topup_succeeded", amount=money, balance=balance)
    wallet_credited(session, patron)
    return done


def cash_payable(session: Session, patron: Patron, currency: str = "EUR") -> Money:
    """Balance that came in as cash (and is not reserved): what a desk may pay out.

    Reads only: a patron without a wallet yet has nothing to pay out.
    """
    wallet = find_wallet(session, patron, currency)
    if wallet is None:
        return Money(0, currency)
    session.refresh(wallet)
    cash = sum(lot.remaining for lot in wallet_lots(session, wallet, ("cash",)))
    return Money(max(min(cash, wallet.available), 0), currency)


def cash_payout(
    session: Session, cash_session: CashSession, staff: StaffUser, patron: Patron, money: Money
) -> DoneOperation:
    _claim_open(session, cash_session)
    wallet = wallet_of(session, patron, money.currency)
    payable = cash_payable(session, patron, money.currency)
    if money.amount > payable.amount:
        raise DomainError(NOT_ENOUGH_CASH_BALANCE, param="amount.amount", payable=payable)
    # The guarded wallet update inside post_entry still has the last word under concurrency.
    entry = post_entry(
        session,
        kind="payout_cash",
        legs=[debit(wallet, money), credit(_drawer(session, cash_session.desk, money.currency), money)],
        memo=f"cash payout at {cash_session.desk.public_id}",
        reference=cash_session.public_id,
        actor=staff.public_id,
        spend_from=("cash",),
    )
    balance = Money(wallet.balance, wallet.currency)
    done = _record(session, cash_session, PAYOUT, patron, staff, money, entry, balance)
    notify(
        session,
        patron,
        "refund_processed",
        amount=money,
        description=f"{cash_session.desk.library.name}: contanti/cash",
    )
    return done


def take_cash(
    session: Session,
    cash_session: CashSession,
    staff: StaffUser,
    patron: Patron,
    money: Money,
    *,
    kind: str,
    to: list[Leg],
    reference: str,
    memo: str,
) -> tuple[JournalEntry, DeskOperation]:
    """Cash into the drawer for something sold at the desk (``to``: the credit legs), in the open session."""
    if kind not in CASH_IN:
        raise ValueError(f"{kind!r} does not bring cash in")
    _claim_open(session, cash_session)
    drawer = _drawer(session, cash_session.desk, money.currency)
    entry = post_entry(
        session, kind=kind, legs=[debit(drawer, money), *to], memo=memo, reference=reference, actor=staff.public_id
    )
    return entry, _operation(session, cash_session, kind, patron, staff, money, entry)


def give_cash(
    session: Session,
    cash_session: CashSession,
    staff: StaffUser,
    patron: Patron,
    money: Money,
    *,
    kind: str,
    from_: list[Leg],
    reference: str,
    memo: str,
    refunds: JournalEntry | None = None,
) -> tuple[JournalEntry, DeskOperation]:
    """Cash out of the drawer (``from_``: the debit legs), e.g. a shop sale refunded in cash."""
    if kind not in CASH_OUT:
        raise ValueError(f"{kind!r} does not take cash out")
    _claim_open(session, cash_session)
    drawer = _drawer(session, cash_session.desk, money.currency)
    entry = post_entry(
        session,
        kind=kind,
        legs=[*from_, credit(drawer, money)],
        memo=memo,
        reference=reference,
        actor=staff.public_id,
        refunds=refunds,
    )
    return entry, _operation(session, cash_session, kind, patron, staff, money, entry)


def _operation(session, cash_session, kind, patron, staff, money, entry) -> DeskOperation:
    op = DeskOperation(
        session_id=cash_session.id,
        kind=kind,
        method="cash",
        patron_id=patron.id,
        operator_id=staff.id,
        amount=money.amount,
        currency=money.currency,
        entry_id=entry.id,
    )
    session.add(op)
    session.flush()
    return op


# --- cash-up --------------------------------------------------------------------


@dataclass
class SessionTotals:
    by_operation: list[dict]
    topups: Money
    payouts: Money
    expected: Money


def totals(session: Session, cash_session: CashSession) -> SessionTotals:
    rows = session.execute(
        select(DeskOperation.kind, DeskOperation.method, func.count(), func.coalesce(func.sum(DeskOperation.amount), 0))
        .where(DeskOperation.session_id == cash_session.id)
        .group_by(DeskOperation.kind, DeskOperation.method)
        .order_by(DeskOperation.kind, DeskOperation.method)
    ).all()
    cur = cash_session.currency
    sums = {(kind, method): int(total) for kind, method, _, total in rows}
    topups = sum(v for (k, m), v in sums.items() if k == TOPUP and m == "cash")
    payouts = sum(v for (k, m), v in sums.items() if k == PAYOUT and m == "cash")
    cash_in = sum(v for (k, m), v in sums.items() if k in CASH_IN and m == "cash")
    cash_out = sum(v for (k, m), v in sums.items() if k in CASH_OUT and m == "cash")
    return SessionTotals(
        by_operation=[
            {"operation": k, "method": m, "count": int(n), "total": Money(int(t), cur)} for k, m, n, t in rows
        ],
        topups=Money(topups, cur),
        payouts=Money(payouts, cur),
        expected=Money(cash_session.opening_float + cash_in - cash_out, cur),
    )


def close_session(
    session: Session, cash_session: CashSession, staff: StaffUser, counted: Money, note: str
) -> CashSession:
    """Close with the counted cash; the difference is booked as surplus or deficit."""
    now = utcnow()
    if (
        session.execute(
            transition(
                CashSession, CASH_SESSION_TRANSITIONS, CashSessionState.CLOSED, CashSession.id == cash_session.id
            ).values(closed_at=now, closed_by_id=staff.id, counted_amount=counted.amount, note=note[:500])
        ).rowcount
        != 1
    ):
        raise DomainError(SESSION_CLOSED)
    session.refresh(cash_session)
    # Operations committed before our lock are all visible now; none can follow.
    expected = totals(session, cash_session).expected
    difference = counted.amount - expected.amount
    cash_session.expected_amount = expected.amount
    cash_session.difference = difference
    if difference:
        desk, cur = cash_session.desk, cash_session.currency
        drawer = _drawer(session, desk, cur)
        over_short = house_account(session, "cash_over_short", desk.library.public_id, cur, library=desk.library)
        amount = Money(abs(difference), cur)
        legs = (
            [debit(drawer, amount), credit(over_short, amount)]
            if difference > 0
            else [debit(over_short, amount), credit(drawer, amount)]
        )
        entry = post_entry(
            session,
            kind="cash_over_short",
            legs=legs,
            reference=cash_session.public_id,
            actor=staff.public_id,
            memo=f"cash-up {'surplus' if difference > 0 else 'deficit'} at {desk.public_id}: {note}"[:300],
        )
        cash_session.difference_entry_id = entry.id
    session.flush()
    return cash_session


def operations_of(session: Session, cash_session: CashSession):
    return select(DeskOperation).where(DeskOperation.session_id == cash_session.id)


def receipt_in_scope(session: Session, principal: Principal, public_id: str) -> Receipt:
    receipt = get_or_404(session, Receipt, public_id)
    if receipt.library_id is None:
        raise DomainError(NOT_FOUND)
    require_library(principal, session.get(Library, receipt.library_id))
    return receipt
