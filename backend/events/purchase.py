"""Buying tickets: one request, one transaction, no oversell, nobody charged without a ticket.

Order of work (it matters under a sell-out):

1. ``open_sale``: the cheap refusals, from one read of the occurrence and
   before the buyer is even loaded (sales window, unknown type, sold out);
2. ``sell``: the patron's own row is locked (``FOR NO KEY UPDATE``, by the
   statement that loads the buyer) so two devices of one patron can't both
   pass the per-patron limit;
3. the wallet is debited through the ledger (guarded; 422 with the shortfall,
   nothing reserved), then the order and its tickets are inserted;
4. the seats are taken **last** with one guarded update (``take_sale_seats``):
   the HTTP view runs it after its response is rendered and stored for
   idempotent replay, so the hot occurrence row is locked only for that
   statement and the commit.

Any refusal raises and the request's unit of work rolls everything back.

With ``pay_shortfall_by_card`` a patron without enough money gets an order
*awaiting payment* that keeps its seats for the event's
``payment_hold_minutes``; the card top-up's webhook (or the scheduler) then
calls ``complete_pending_orders_for`` and the order is paid from the wallet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from backend.accounts.models import Library, Network, Patron
from backend.db import get_or_404, insert_returning, new_public_id, utcnow
from backend.errors import NOT_FOUND, DomainError
from backend.events import seats
from backend.events.errors import (
    DUPLICATE_TICKET_TYPE,
    ORDER_NOT_AWAITING_PAYMENT,
    PATRON_LIMIT,
    SALES_CLOSED,
    SOLD_OUT,
    UNKNOWN_TICKET_TYPE,
)
from backend.events.models import (
    ORDER_TRANSITIONS,
    TICKET_TRANSITIONS,
    Event,
    EventState,
    Occurrence,
    OccurrenceState,
    Order,
    OrderState,
    Ticket,
    TicketState,
    TicketType,
)
from backend.ledger.models import JournalEntry, LedgerAccount
from backend.ledger.services import House, credit, debit, post_entry, wallet_and_house_accounts
from backend.money import Money
from backend.notify.services import notify, notify_low_balance
from backend.states import transition

# Tickets a patron holds for a date (counted against the per-patron limit).
HELD_TICKET_STATES = (TicketState.RESERVED, TicketState.VALID, TicketState.USED)


@dataclass(frozen=True)
class Item:
    ticket_type_id: str  # public id
    quantity: int


@dataclass
class PurchaseResult:
    order: Order
    # For an order awaiting a card top-up: what the wallet lacks.
    shortfall: Money | None = None


# --- lookups -------------------------------------------------------------------


# Built once with bind parameters: a sell-out runs these thousands of times, and
# building an ORM statement costs more CPU than running its cached compiled form.
_SELLABLE_OCCURRENCE = (
    select(Occurrence)
    .join(Event)
    .where(Occurrence.public_id == bindparam("public_id"), Event.status != EventState.DRAFT)
    .options(
        # Only what a sale reads (rules, organizer, notification text): every column
        # loaded costs CPU per request, and a sell-out is thousands of requests. The
        # others load on first access.
        joinedload(Occurrence.event)
        .load_only(
            Event.public_id,
            Event.network_id,
            Event.library_id,
            Event.title,
            Event.venue_name,
            Event.status,
            Event.per_patron_limit,
            Event.sales_open_days,
            Event.sales_close_minutes,
            Event.payment_hold_minutes,
        )
        .options(
            joinedload(Event.library).load_only(Library.public_id, Library.network_id),
            joinedload(Event.network).load_only(Network.public_id),
            joinedload(Event.ticket_types),
        )
    )
)
_LOCK_PATRON = select(Patron.id).where(Patron.id == bindparam("patron_id")).with_for_update(key_share=True)
_TICKETS_HELD = (
    select(func.count())
    .select_from(Ticket)
    .where(
        Ticket.patron_id == bindparam("patron_id"),
        Ticket.occurrence_id == bindparam("occurrence_id"),
        Ticket.status.in_(HELD_TICKET_STATES),
    )
)


def sellable_occurrence(session: Session, public_id: str) -> Occurrence:
    """A published event's occurrence (drafts don't exist for the public: 404)."""
    # One round trip for everything a purchase reads (event, organizer, ticket types).
    occurrence = session.scalars(_SELLABLE_OCCURRENCE, {"public_id": public_id}).unique().one_or_none()
    if occurrence is None:
        raise DomainError(NOT_FOUND)
    return occurrence


def check_sales_open(occurrence: Occurrence, now: datetime) -> None:
    event = occurrence.event
    if event.status != EventState.PUBLISHED or occurrence.status != OccurrenceState.SCHEDULED:
        raise DomainError(SALES_CLOSED)
    closes = occurrence.starts_at - timedelta(minutes=event.sales_close_minutes)
    opens = occurrence.starts_at - timedelta(days=event.sales_open_days) if event.sales_open_days is not None else None
    if now >= closes or (opens is not None and now < opens):
        raise DomainError(SALES_CLOSED)


def ticket_income(event: Event) -> House:
    """The organizer's ticket income (a house account without cached balance: no hot row)."""
    return House(
        "ticket_income",
        event.organizer_public_id,
        library=event.library,
        network=event.network if event.library is None else None,
    )


def buyer_accounts(session: Session, patron: Patron, event: Event) -> tuple[LedgerAccount, LedgerAccount]:
    """The buyer's wallet and the organizer's ticket income, in one query."""
    wallet, [income] = wallet_and_house_accounts(session, patron, [ticket_income(event)])
    return wallet, income


def lock_patron(session: Session, patron: Patron) -> None:
    # NO KEY UPDATE: serializes this patron's own purchases without blocking
    # inserts that merely reference the patron (foreign-key share locks).
    session.connection().execute(_LOCK_PATRON, {"patron_id": patron.id})


def tickets_held(session: Session, patron: Patron, occurrence: Occurrence) -> int:
    # A statement of its own after the lock: it then sees every ticket committed before it.
    return (
        session.connection().execute(_TICKETS_HELD, {"patron_id": patron.id, "occurrence_id": occurrence.id}).scalar()
        or 0
    )


def check_patron_limit(
    session: Session, patron: Patron, occurrence: Occurrence, count: int, *, lock: bool = True
) -> None:
    """The per-patron ticket limit of the event, ``count`` more included (``lock=False``: already locked)."""
    if lock:
        lock_patron(session, patron)
    held = tickets_held(session, patron, occurrence)
    limit = occurrence.event.per_patron_limit
    if held + count > limit:
        raise DomainError(PATRON_LIMIT, param="quantity", limit=limit, held=held)


def _resolve(occurrence: Occurrence, items: Sequence[Item]) -> list[tuple[TicketType, int]]:
    by_id = {t.public_id: t for t in occurrence.event.ticket_types}
    seen, resolved = set(), []
    for item in items:
        if item.ticket_type_id not in by_id:
            raise DomainError(UNKNOWN_TICKET_TYPE, param="items.ticket_type")
        if item.ticket_type_id in seen:
            raise DomainError(DUPLICATE_TICKET_TYPE, param="items.ticket_type")
        seen.add(item.ticket_type_id)
        resolved.append((by_id[item.ticket_type_id], item.quantity))
    return resolved


# --- buying ----------------------------------------------------------------------


@dataclass(frozen=True)
class Sale:
    """What a purchase asks for, checked against the catalogue (not yet against the buyer)."""

    occurrence: Occurrence
    lines: list[tuple[TicketType, int]]

    @property
    def count(self) -> int:
        return sum(quantity for _, quantity in self.lines)


def open_sale(session: Session, occurrence_public_id: str, items: Sequence[Item]) -> Sale:
    """The cheap refusals, from plain reads and before anything about the buyer is loaded:
    unknown occurrence, sales closed, unknown ticket type, sold out (most requests of a sell-out)."""
    occurrence = sellable_occurrence(session, occurrence_public_id)
    check_sales_open(occurrence, utcnow())
    sale = Sale(occurrence, _resolve(occurrence, items))
    if occurrence.sold + sale.count > occurrence.capacity:
        # The guarded update in ``sell`` is what counts; this read only spares the work.
        raise DomainError(SOLD_OUT, param="quantity", seats_left=occurrence.available)
    return sale


def sell(
    session: Session,
    patron: Patron,
    sale: Sale,
    *,
    pay_shortfall_by_card: bool = False,
    actor: str | None = None,
    locked: bool = False,
) -> PurchaseResult:
    """Everything of a purchase but its seats: ``take_sale_seats`` must follow in the same transaction.

    ``locked``: the caller read the patron's row ``FOR NO KEY UPDATE`` in this transaction.
    The seats are the caller's last statement (the HTTP view takes them after its response
    is rendered and stored), because they lock the row every buyer of the date updates.
    """
    occurrence = sale.occurrence
    check_patron_limit(session, patron, occurrence, sale.count, lock=not locked)
    return place_order(
        session, patron, occurrence, sale.lines, pay_shortfall_by_card=pay_shortfall_by_card, actor=actor
    )


def take_sale_seats(session: Session, sale: Sale) -> None:
    """The sale's seats, by guarded updates (``SOLD_OUT`` / ``TYPE_SOLD_OUT``: roll the purchase back).

    The only statements of a purchase on the shared occurrence row: run them last,
    so that the row stays locked only from them to the commit.
    """
    for ticket_type, quantity in sale.lines:
        seats.take_type_seats(session, sale.occurrence, ticket_type, quantity)
    seats.take_seats(session, sale.occurrence, sale.count)


def place_order(
    session: Session,
    patron: Patron,
    occurrence: Occurrence,
    lines: list[tuple[TicketType, int]],
    *,
    pay_shortfall_by_card: bool = False,
    actor: str | None = None,
) -> PurchaseResult:
    """Pay from the wallet and write the order with its tickets (seats are the caller's business).

    The payment is posted first, referencing the order's public id, so that the
    order and its tickets are written once, fully formed.
    """
    now = utcnow()
    event = occurrence.event
    total = Money(sum(t.price * q for t, q in lines))
    public_id = new_public_id(Order.PUBLIC_ID_PREFIX)
    quantity = sum(q for _, q in lines)
    status, entry, expires_at, shortfall = OrderState.COMPLETED, None, None, None
    if total.amount > 0:
        wallet, income = buyer_accounts(session, patron, event)
        if pay_shortfall_by_card and wallet.available < total.amount:
            status, expires_at = OrderState.AWAITING_PAYMENT, now + timedelta(minutes=event.payment_hold_minutes)
            shortfall = Money(total.amount - wallet.available)
        else:
            entry = _pay(session, patron, event, public_id, quantity, total, wallet, income, actor or patron.public_id)
    order = _write_order(
        session,
        patron,
        occurrence,
        lines,
        total,
        public_id=public_id,
        status=status,
        entry_id=entry.id if entry is not None else None,
        expires_at=expires_at,
        completed_at=now if status == OrderState.COMPLETED else None,
    )
    if status == OrderState.COMPLETED:
        _confirm(session, patron, order)
    return PurchaseResult(order, shortfall)


def _write_order(
    session: Session,
    patron: Patron,
    occurrence: Occurrence,
    lines: list[tuple[TicketType, int]],
    total: Money,
    *,
    public_id: str,
    status: str,
    entry_id: int | None,
    expires_at: datetime | None,
    completed_at: datetime | None,
) -> Order:
    # Two INSERT … RETURNING statements instead of a unit-of-work flush: this is the sell-out's hot path.
    types = [ticket_type for ticket_type, quantity in lines for _ in range(quantity)]  # one per ticket
    [order] = insert_returning(
        session,
        Order,
        [
            dict(
                public_id=public_id,
                patron_id=patron.id,
                occurrence_id=occurrence.id,
                status=status,
                quantity=len(types),
                total=total.amount,
                currency=total.currency,
                entry_id=entry_id,
                expires_at=expires_at,
                completed_at=completed_at,
            )
        ],
    )
    ticket_status = TicketState.VALID if status == OrderState.COMPLETED else TicketState.RESERVED
    tickets = insert_returning(
        session,
        Ticket,
        [
            dict(
                order_id=order.id,
                occurrence_id=occurrence.id,
                patron_id=patron.id,
                ticket_type_id=ticket_type.id,
                price=ticket_type.price,
                currency=ticket_type.currency,
                status=ticket_status,
            )
            for ticket_type in types
        ],
    )
    for ticket, ticket_type in zip(tickets, types):
        set_committed_value(ticket, "order", order)
        set_committed_value(ticket, "occurrence", occurrence)
        set_committed_value(ticket, "ticket_type", ticket_type)
    set_committed_value(order, "tickets", tickets)
    set_committed_value(order, "occurrence", occurrence)
    set_committed_value(order, "patron", patron)
    return order


def _pay(
    session: Session,
    patron: Patron,
    event: Event,
    reference: str,
    quantity: int,
    total: Money,
    wallet: LedgerAccount,
    income: LedgerAccount,
    actor: str,
) -> JournalEntry:
    before = Money(wallet.balance or 0, wallet.currency)
    entry = post_entry(
        session,
        kind="ticket_purchase",
        legs=[debit(wallet, total), credit(income, total)],
        memo=f"{quantity} × {event.title}"[:300],
        reference=reference,
        actor=actor,
    )
    notify_low_balance(session, patron, before=before, after=before - total)
    return entry


def _confirm(session: Session, patron: Patron, order: Order) -> None:
    occurrence = order.occurrence
    notify(
        session,
        patron,
        "ticket_confirmed",
        event_title=occurrence.event.title,
        starts_at=occurrence.starts_at,
        venue=occurrence.event.venue_name,
        quantity=order.quantity,
        amount=Money(order.total, order.currency),
    )


# --- orders awaiting a card top-up ---------------------------------------------------


def own_order(session: Session, patron: Patron, public_id: str) -> Order:
    order = get_or_404(session, Order, public_id, patron_id=patron.id)
    return order


def complete_order(session: Session, order: Order, *, actor: str = "system") -> Order:
    """Pay an order awaiting payment from the wallet (422 ``insufficient_funds`` if still short)."""
    now = utcnow()
    claimed = session.execute(
        transition(Order, ORDER_TRANSITIONS, OrderState.COMPLETED, Order.id == order.id, Order.expires_at > now).values(
            completed_at=now, expires_at=None
        )
    ).rowcount
    session.refresh(order, ["status", "completed_at", "expires_at"])
    if claimed != 1:
        raise DomainError(ORDER_NOT_AWAITING_PAYMENT, status=order.status)
    patron = order.patron
    event = order.occurrence.event
    entry = _pay(
        session,
        patron,
        event,
        order.public_id,
        order.quantity,
        Money(order.total, order.currency),
        *buyer_accounts(session, patron, event),
        actor,
    )
    order.entry_id = entry.id
    session.execute(transition(Ticket, TICKET_TRANSITIONS, TicketState.VALID, Ticket.order_id == order.id))
    for ticket in order.tickets:
        session.refresh(ticket, ["status"])
    _confirm(session, patron, order)
    session.flush()
    return order


def complete_pending_orders_for(session: Session, patron: Patron, *, now: datetime | None = None) -> list[Order]:
    """Call after money arrived in the patron's wallet (a top-up by card or in cash).

    Pays every unexpired order of the patron awaiting payment, oldest first,
    as far as the wallet allows; the others keep waiting until they expire.
    Never raises for an order it can't pay, and never undoes the caller's work.
    """
    completed = []
    pending = session.scalars(
        select(Order)
        .where(
            Order.patron_id == patron.id,
            Order.status == OrderState.AWAITING_PAYMENT,
            Order.expires_at > (now or utcnow()),
        )
        .order_by(Order.id)
    ).all()
    for order in pending:
        try:
            with session.begin_nested():
                complete_order(session, order)
            completed.append(order)
        except DomainError:
            session.refresh(order)
    return completed
