"""Orders: a cart paid from the wallet, pickup at the library, receipts, refunds.

Paying is one ledger entry: the wallet (or the desk's cash drawer) pays the
library's ``shop_income`` for goods, services and rooms, and the patron's
``printing_credit`` for printing credit. Printing credit is prepaid money still
owed to the patron (as printing), so it is a liability account of its own per
patron and network, not income: it becomes the library's only when printed.

The wallet is debited first (the guarded debit: insufficient funds is a 422 with
the shortfall, and the request's rollback leaves nothing reserved), then each
counted item's stock is decremented with a guarded update (``stock >= :n``) in
item order; a line that no longer fits rolls the whole order back (409
``out_of_stock``). Every payment takes the wallet's row lock before any item's,
so two carts never wait on each other in opposite orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from backend.accounts.models import Library, Network, Patron, StaffUser
from backend.auth.principal import Principal
from backend.auth.scope import require_library
from backend.config import Settings
from backend.db import get_or_404, utcnow
from backend.desk.models import SHOP_REFUND, CashSession
from backend.desk.services import cash_session_in_scope, find_patron, give_cash
from backend.errors import NOT_FOUND, DomainError
from backend.i18n import Text, normalize_language
from backend.ledger.models import JournalEntry, LedgerAccount
from backend.ledger.services import (
    House,
    Leg,
    account_balance,
    credit,
    debit,
    house_account,
    post_entry,
    wallet_and_house_accounts,
)
from backend.money import Money
from backend.notify.services import notify, notify_low_balance
from backend.pagination import Page, paginate
from backend.receipts.models import Receipt
from backend.receipts.services import issue_receipt, library_series
from backend.shop import errors as e
from backend.shop import notices  # noqa: F401  (registers the notification kinds)
from backend.shop.catalog import library_by_id, on_sale_at
from backend.shop.models import (
    APP,
    CASH,
    ORDER_TRANSITIONS,
    WALLET,
    BookingState,
    OrderState,
    RoomBooking,
    RoomSlot,
    ShopItem,
    ShopOrder,
    ShopOrderLine,
)
from backend.wallet import references
from backend.wallet.services import find_wallet

PURCHASE, REFUND, PRINTING_USED = "shop_purchase", "shop_refund", "shop_printing_used"


@dataclass
class Line:
    """One line of a cart or a sale, before it is an order line."""

    description: str
    category: str
    vat: str
    quantity: int
    unit_price: Money
    item: ShopItem | None = None

    @property
    def amount(self) -> Money:
        return Money(self.quantity * self.unit_price.amount, self.unit_price.currency)


# --- accounts ----------------------------------------------------------------------------


def income_of(library: Library) -> House:
    return House("shop_income", library.public_id, library=library)


def printing_of(patron: Patron, network: Network) -> House:
    return House("printing_credit", f"{patron.public_id}:{network.public_id}", network=network)


def printing_balance(session: Session, patron: Patron, network: Network, currency: str = "EUR") -> Money:
    """The patron's printing credit in ``network``: what was bought, less what was refunded."""
    house = printing_of(patron, network)
    account = house_account(session, house.kind, house.owner_public_id, currency, network=network)
    return account_balance(session, account)


def locked_balance(session: Session, account: LedgerAccount) -> Money:
    """A house account's balance, its row locked first: what takes printing credit back reads it one at a time."""
    session.execute(select(LedgerAccount.id).where(LedgerAccount.id == account.id).with_for_update())
    return account_balance(session, account)


def split(lines: list[Line]) -> tuple[Money, Money]:
    """(shop income, printing credit) of the lines."""
    currency = lines[0].unit_price.currency
    printing = sum(line.amount.amount for line in lines if line.category == "printing")
    total = sum(line.amount.amount for line in lines)
    return Money(total - printing, currency), Money(printing, currency)


def credit_legs(
    session: Session, patron: Patron, library: Library, lines: list[Line], accounts: list | None = None
) -> list[Leg]:
    """The credits of a sale: the library's income, the patron's printing credit (each only if > 0).

    ``accounts``: those two accounts when already loaded (with the wallet, in one query).
    """
    income, printing = split(lines)
    if accounts is None:
        accounts = [
            house_account(session, h.kind, h.owner_public_id, income.currency, library=h.library, network=h.network)
            for h in (income_of(library), printing_of(patron, library.network))
        ]
    legs = []
    if income.amount:
        legs.append(credit(accounts[0], income))
    if printing.amount:
        legs.append(credit(accounts[1], printing))
    return legs


# --- carts -------------------------------------------------------------------------------


def cart_lines(
    session: Session, library: Library, cart: list[dict], language: str, now: datetime | None = None
) -> list[Line]:
    """The cart's items, each on sale at ``library`` now, with the quantity asked (stock checked early)."""
    now = now or utcnow()
    wanted = [entry["item_id"] for entry in cart]
    if len(set(wanted)) != len(wanted):
        raise DomainError(e.DUPLICATE_LINE, param="lines")
    items = {item.public_id: item for item in session.scalars(select(ShopItem).where(ShopItem.public_id.in_(wanted)))}
    missing = [public_id for public_id in wanted if public_id not in items]
    if missing:
        raise DomainError(NOT_FOUND, param="lines", item_id=missing[0])
    on_sale = set(
        session.scalars(select(ShopItem.public_id).where(ShopItem.public_id.in_(wanted), on_sale_at(library, now)))
    )
    lines = []
    for entry in cart:
        item = items[entry["item_id"]]
        if item.public_id not in on_sale:
            raise DomainError(e.ITEM_NOT_SOLD_HERE, param="lines", item_id=item.public_id)
        if item.stock is not None and item.stock < entry["quantity"]:
            raise DomainError(e.OUT_OF_STOCK, param="lines", item_id=item.public_id, stock_left=item.stock)
        lines.append(Line(item.name(language), item.category, item.vat, entry["quantity"], item.money, item))
    if len({line.unit_price.currency for line in lines}) != 1:
        raise DomainError(NOT_FOUND, param="lines")
    return lines


def take_stock(session: Session, lines: list[Line]) -> None:
    """Guarded decrement of every counted item, in item order; 0 rows: 409 and the order rolls back."""
    for line in sorted((line for line in lines if line.item is not None), key=lambda line: line.item.id):
        item = line.item
        if item.stock is None:
            continue
        taken = session.execute(
            update(ShopItem)
            .where(ShopItem.id == item.id, ShopItem.stock.is_not(None), ShopItem.stock >= line.quantity)
            .values(stock=ShopItem.stock - line.quantity)
            .execution_options(synchronize_session=False)
        ).rowcount
        session.expire(item, ["stock"])
        if taken != 1:
            raise DomainError(e.OUT_OF_STOCK, param="lines", item_id=item.public_id, stock_left=item.stock or 0)


def give_back_stock(session: Session, order: ShopOrder) -> None:
    for line in sorted(order.lines, key=lambda line: line.item_id or 0):
        if line.item_id is not None:
            session.execute(
                update(ShopItem)
                .where(ShopItem.id == line.item_id, ShopItem.stock.is_not(None))
                .values(stock=ShopItem.stock + line.quantity)
                .execution_options(synchronize_session=False)
            )


def new_order(
    session: Session,
    *,
    library: Library,
    patron: Patron,
    lines: list[Line],
    channel: str,
    method: str,
    state: OrderState,
    staff: StaffUser | None = None,
    now: datetime | None = None,
) -> ShopOrder:
    total = sum(line.amount.amount for line in lines)
    order = ShopOrder(
        network_id=library.network_id,
        library=library,
        patron=patron,
        channel=channel,
        method=method,
        state=state,
        total=total,
        currency=lines[0].unit_price.currency,
        needs_pickup=channel == APP and any(line.item is not None and line.item.needs_pickup for line in lines),
        staff_user_id=staff.id if staff else None,
        created_at=now or utcnow(),
        lines=[
            ShopOrderLine(
                item=line.item,
                description=line.description[:300],
                category=line.category,
                vat=line.vat,
                quantity=line.quantity,
                unit_price=line.unit_price.amount,
                currency=line.unit_price.currency,
            )
            for line in lines
        ],
    )
    session.add(order)
    session.flush()
    return order


def lines_of(order: ShopOrder) -> list[Line]:
    return [
        Line(line.description, line.category, line.vat, line.quantity, Money(line.unit_price, line.currency), line.item)
        for line in order.lines
    ]


def pay_from_wallet(
    session: Session, order: ShopOrder, lines: list[Line], *, actor: str, operator: str | None = None
) -> JournalEntry:
    """One entry: the wallet pays the order (guarded debit first), then the stock is taken."""
    patron, library = order.patron, order.library
    wallet, accounts = wallet_and_house_accounts(
        session, patron, [income_of(library), printing_of(patron, library.network)], order.currency
    )
    entry = post_entry(
        session,
        kind=PURCHASE,
        legs=[debit(wallet, order.money), *credit_legs(session, patron, library, lines, accounts)],
        memo=f"shop {library.code}: " + "; ".join(f"{line.quantity}× {line.description}" for line in lines),
        reference=order.public_id,
        actor=actor,
    )
    take_stock(session, lines)
    order.entry_id = entry.id
    order.paid_at = entry.created_at
    balance = Money(wallet.balance, wallet.currency)
    order.receipt_id = issue_order_receipt(
        session, order, entry, WALLET, balance, operator=operator or patron.display_name
    ).id
    notify(
        session,
        patron,
        "shop_order_paid",
        amount=order.money,
        description=describe(order),
        library=library.name,
        balance=balance,
    )
    notify_low_balance(session, patron, before=balance + order.money, after=balance)
    session.flush()
    return entry


def issue_order_receipt(
    session: Session,
    order: ShopOrder,
    entry: JournalEntry,
    method: str,
    balance: Money,
    *,
    operator: str,
    kind: str = "shop_sale",
) -> Receipt:
    library = order.library
    return issue_receipt(
        session,
        kind=kind,
        patron=order.patron,
        series=library_series(library),
        network=library.network,
        library=library,
        issuer_name=library.name,
        operator_name=operator,
        amount=order.money,
        balance_after=balance,
        method=method,
        reference=order.public_id,
        entry=entry,
    )


def describe(order: ShopOrder) -> str:
    return "; ".join(f"{line.quantity}× {line.description}" for line in order.lines)[:300]


def checkout(
    session: Session, patron: Patron, library_id: str, cart: list[dict], *, now: datetime | None = None
) -> ShopOrder:
    """Pay a cart of items of one library from the wallet, all or nothing."""
    now = now or utcnow()
    library = library_by_id(session, library_id)
    lines = cart_lines(session, library, cart, normalize_language(patron.language), now)
    pickup = any(line.item is not None and line.item.needs_pickup for line in lines)
    order = new_order(
        session,
        library=library,
        patron=patron,
        lines=lines,
        channel=APP,
        method=WALLET,
        state=OrderState.PAID if pickup else OrderState.COMPLETED,
        now=now,
    )
    pay_from_wallet(session, order, lines, actor=patron.public_id)
    return order


# --- reading ------------------------------------------------------------------------------


def _with_lines(stmt):
    return stmt.options(selectinload(ShopOrder.lines), selectinload(ShopOrder.library))


def my_orders(session: Session, patron: Patron, *, limit: int, starting_after: str | None) -> Page:
    # A desk sale the patron declined or let expire never happened: it is not among their orders.
    stmt = _with_lines(
        select(ShopOrder).where(
            ShopOrder.patron_id == patron.id, ShopOrder.state.not_in((OrderState.DECLINED, OrderState.EXPIRED))
        )
    )
    return paginate(session, stmt, ShopOrder, limit=limit, starting_after=starting_after)


def my_order(session: Session, patron: Patron, order_id: str) -> ShopOrder:
    return get_or_404(session, ShopOrder, order_id, param="order_id", patron_id=patron.id)


def _receipt_of(order: ShopOrder) -> Receipt:
    if order.receipt is None:  # a desk sale still waiting for the patron's answer
        raise DomainError(NOT_FOUND, param="order_id")
    return order.receipt


def my_receipt(session: Session, patron: Patron, order_id: str) -> Receipt:
    return _receipt_of(my_order(session, patron, order_id))


def staff_receipt(session: Session, principal: Principal, order_id: str) -> Receipt:
    return _receipt_of(order_for_staff(session, principal, order_id))


def my_printing_credit(session: Session, patron: Patron) -> list[dict]:
    """The patron's printing credit in each network where some was bought."""
    accounts = session.scalars(
        select(LedgerAccount)
        .where(LedgerAccount.kind == "printing_credit", LedgerAccount.key.like(f"printing_credit:{patron.public_id}:%"))
        .order_by(LedgerAccount.id)
    )
    out = []
    for account in accounts:
        network = session.get(Network, account.network_id)
        out.append(
            {
                "network_id": network.public_id,
                "network_name": network.name,
                "balance": account_balance(session, account),
            }
        )
    return out


def use_printing_credit(
    session: Session, settings: Settings, principal: Principal, staff: StaffUser, data: dict
) -> dict:
    """Printing done at the library, paid from the patron's printing credit: it becomes the library's income.

    The credit account's row is locked first, so two uses at once are counted one after
    the other and the credit never goes below zero.
    """
    library = require_library(principal, library_by_id(session, data["library_id"]))
    patron = find_patron(
        session, settings, card_number=data.get("card_number"), membership_code=data.get("membership_code")
    )
    money, description = data["amount"], data["description"]
    house = printing_of(patron, library.network)
    account = house_account(session, house.kind, house.owner_public_id, money.currency, network=library.network)
    available = locked_balance(session, account)
    if available.amount < money.amount:
        raise DomainError(
            e.PRINTING_CREDIT_INSUFFICIENT, param="amount", shortfall=money - available, available=available
        )
    income = house_account(session, "shop_income", library.public_id, money.currency, library=library)
    post_entry(
        session,
        kind=PRINTING_USED,
        legs=[debit(account, money), credit(income, money)],
        memo=f"printing at {library.code}: {description}"[:300],
        reference=patron.public_id,
        actor=staff.public_id,
    )
    return {
        "network_id": library.network.public_id,
        "network_name": library.network.name,
        "balance": available - money,
    }


def order_for_staff(session: Session, principal: Principal, order_id: str) -> ShopOrder:
    """An order of one of the caller's libraries; another library's is a 404."""
    order = get_or_404(session, ShopOrder, order_id, param="order_id")
    require_library(principal, order.library)
    return order


def library_orders(
    session: Session,
    principal: Principal,
    library_id: str,
    *,
    states: list[str] | None,
    limit: int,
    starting_after: str | None,
) -> Page:
    library = require_library(principal, library_by_id(session, library_id))
    stmt = _with_lines(select(ShopOrder).where(ShopOrder.library_id == library.id))
    if states:
        stmt = stmt.where(ShopOrder.state.in_(states))
    return paginate(session, stmt, ShopOrder, limit=limit, starting_after=starting_after)


def to_prepare(session: Session, principal: Principal, library_id: str) -> list[ShopOrder]:
    """App orders waiting to be prepared or collected at the library, oldest first."""
    library = require_library(principal, library_by_id(session, library_id))
    return list(
        session.scalars(
            _with_lines(
                select(ShopOrder)
                .where(ShopOrder.library_id == library.id, ShopOrder.state.in_((OrderState.PAID, OrderState.READY)))
                .order_by(ShopOrder.id)
                .limit(200)
            )
        )
    )


# --- pickup -------------------------------------------------------------------------------


def move(session: Session, order: ShopOrder, target: OrderState, **values) -> None:
    """The guarded state change; refused (422 with the state) unless the table allows it from the current state."""
    moved = session.execute(
        update(ShopOrder)
        .where(ShopOrder.id == order.id, ShopOrder.state.in_(ORDER_TRANSITIONS.sources_of(target)))
        .values(state=target, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(order)
    if moved != 1:
        raise DomainError(e.ORDER_STATE, param="order_id", state=order.state)


def mark_ready(session: Session, principal: Principal, order_id: str, now: datetime | None = None) -> ShopOrder:
    order = order_for_staff(session, principal, order_id)
    move(session, order, OrderState.READY, ready_at=now or utcnow())
    notify(session, order.patron, "shop_order_ready", description=describe(order), library=order.library.name)
    return order


def mark_collected(session: Session, principal: Principal, order_id: str, now: datetime | None = None) -> ShopOrder:
    order = order_for_staff(session, principal, order_id)
    move(session, order, OrderState.COLLECTED, collected_at=now or utcnow())
    return order


# --- refunds -------------------------------------------------------------------------------


def refund_order(
    session: Session,
    principal: Principal,
    staff: StaffUser,
    order_id: str,
    *,
    cash_session_id: str | None = None,
    now: datetime | None = None,
) -> ShopOrder:
    """Give the whole order back: to the wallet (same funding lots), or in cash if it was paid in cash."""
    order = order_for_staff(session, principal, order_id)
    cash_session = None
    if order.method == CASH:
        if not cash_session_id:
            raise DomainError(e.CASH_SESSION_REQUIRED, param="cash_session_id")
        cash_session = open_cash_session_here(session, principal, cash_session_id, order.library)
    move(session, order, OrderState.REFUNDED, refunded_at=now or utcnow(), refunded_by_id=staff.id)
    refund_entry(session, order, actor=staff.public_id, staff=staff, cash_session=cash_session)
    return order


def open_cash_session_here(session: Session, principal: Principal, cash_session_id: str, library: Library):
    cash_session = cash_session_in_scope(session, principal, cash_session_id)
    if cash_session.desk.library_id != library.id:
        raise DomainError(e.CASH_SESSION_ELSEWHERE, param="cash_session_id")
    return cash_session


def refund_entry(
    session: Session,
    order: ShopOrder,
    *,
    actor: str,
    staff: StaffUser | None = None,
    cash_session: CashSession | None = None,
) -> JournalEntry:
    """The money back for a paid order (already moved to ``refunded``), its stock, its receipt, the patron told."""
    patron, library = order.patron, order.library
    lines = lines_of(order)
    income, printing = split(lines)
    houses = [income_of(library), printing_of(patron, library.network)]
    wallet, (income_account, printing_account) = wallet_and_house_accounts(session, patron, houses, order.currency)
    if printing.amount and locked_balance(session, printing_account).amount < printing.amount:
        raise DomainError(e.PRINTING_CREDIT_USED)
    from_legs = []
    if income.amount:
        from_legs.append(debit(income_account, income))
    if printing.amount:
        from_legs.append(debit(printing_account, printing))
    original = session.get(JournalEntry, order.entry_id)
    memo = f"refund of {order.public_id}"
    if order.method == CASH:
        assert cash_session is not None and staff is not None
        entry, _ = give_cash(
            session,
            cash_session,
            staff,
            patron,
            order.money,
            kind=SHOP_REFUND,
            from_=from_legs,
            reference=order.public_id,
            memo=memo,
        )
        balance = wallet_balance(session, patron, order.currency)
    else:
        entry = post_entry(
            session,
            kind=REFUND,
            legs=[*from_legs, credit(wallet, order.money)],
            memo=memo,
            reference=order.public_id,
            actor=actor,
            refunds=original,
        )
        balance = Money(wallet.balance, wallet.currency)
    give_back_stock(session, order)
    free_room(session, order)
    order.refund_entry_id = entry.id
    operator = staff.name if staff else patron.display_name
    order.refund_receipt_id = issue_order_receipt(
        session, order, entry, order.method, balance, operator=operator, kind="shop_refund"
    ).id
    notify(
        session,
        patron,
        "refund_processed",
        amount=order.money,
        description=f"{library.name}: {describe(order)}"[:300],
    )
    session.flush()
    return entry


def wallet_balance(session: Session, patron: Patron, currency: str) -> Money:
    """The wallet's balance for a receipt (0 without a wallet; reads only)."""
    wallet = find_wallet(session, patron, currency)
    return Money((wallet.balance or 0) if wallet is not None else 0, currency)


def free_room(session: Session, order: ShopOrder) -> None:
    booking = session.scalar(select(RoomBooking).where(RoomBooking.order_id == order.id))
    if booking is None:
        return
    if booking.state == BookingState.BOOKED:
        session.execute(
            update(RoomBooking)
            .where(RoomBooking.id == booking.id, RoomBooking.state == BookingState.BOOKED)
            .values(state=BookingState.CANCELLED, cancelled_at=utcnow(), refunded=True)
            .execution_options(synchronize_session=False)
        )
    else:
        booking.refunded = True
    session.execute(RoomSlot.__table__.delete().where(RoomSlot.booking_id == booking.id))
    session.expire(booking)


# --- what the wallet shows -------------------------------------------------------------------


def _explain(session: Session, patron: Patron, public_id: str, language: str) -> list[references.PaidItem]:
    order = session.scalar(
        select(ShopOrder)
        .where(ShopOrder.public_id == public_id, ShopOrder.patron_id == patron.id)
        .options(selectinload(ShopOrder.lines), selectinload(ShopOrder.library))
    )
    if order is None:
        return []
    return [
        references.PaidItem("shop_order", order.public_id, f"{order.library.name}: {line.quantity}× {line.description}")
        for line in order.lines
    ]


references.register(ShopOrder.PUBLIC_ID_PREFIX, _explain)
references.register_title(PURCHASE, Text(it="Acquisto in biblioteca", en="Library shop purchase"))
references.register_title(REFUND, Text(it="Rimborso acquisto in biblioteca", en="Library shop refund"))
