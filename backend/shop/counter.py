"""Selling at the desk: items or a free amount, for a patron found by card or membership QR.

Paid from the wallet, the sale is a request the patron confirms in the app within
2 minutes (``backend.confirmations``, the flow partners' tills use too): confirming
pays it in the same transaction (insufficient funds: 422, and the request stays
open so the patron can top up and confirm again). Paid in cash, the money goes
into the open cash session's drawer (``backend.desk``) at once. Either way one
order, one ledger entry, one receipt from the library's series.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.accounts.models import StaffUser
from backend.auth.principal import Principal
from backend.auth.scope import require_library
from backend.config import Settings
from backend.confirmations.models import Confirmation
from backend.confirmations.services import register_handler, request_confirmation
from backend.db import utcnow
from backend.desk.models import SHOP_SALE
from backend.desk.services import find_patron, take_cash
from backend.errors import DomainError
from backend.i18n import normalize_language
from backend.shop import errors as e
from backend.shop.catalog import library_by_id
from backend.shop.models import CASH, DESK, WALLET, OrderState, ShopOrder
from backend.shop.orders import (
    Line,
    cart_lines,
    credit_legs,
    describe,
    issue_order_receipt,
    lines_of,
    move,
    new_order,
    open_cash_session_here,
    pay_from_wallet,
    take_stock,
    wallet_balance,
)

PURPOSE = "shop.desk_sale"
CONFIRM_WITHIN = timedelta(minutes=2)


def ring_up(
    session: Session,
    settings: Settings,
    principal: Principal,
    staff: StaffUser,
    data: dict,
    *,
    now: datetime | None = None,
) -> ShopOrder:
    """A sale at the desk: asks the patron to confirm (wallet) or takes the cash (cash)."""
    now = now or utcnow()
    library = require_library(principal, library_by_id(session, data["library_id"]))
    patron = find_patron(
        session, settings, card_number=data.get("card_number"), membership_code=data.get("membership_code")
    )
    if bool(data.get("lines")) == (data.get("amount") is not None):
        raise DomainError(e.LINES_OR_AMOUNT, param="lines")
    cash_session = None
    if data["method"] == CASH:
        if not data.get("cash_session_id"):
            raise DomainError(e.CASH_SESSION_REQUIRED, param="cash_session_id")
        cash_session = open_cash_session_here(session, principal, data["cash_session_id"], library)
    if data.get("lines"):
        lines = cart_lines(session, library, data["lines"], normalize_language(patron.language), now)
    else:
        lines = [Line(data["description"], data["category"], data["vat"], 1, data["amount"])]
    state = OrderState.AWAITING_CONFIRMATION if data["method"] == WALLET else OrderState.COMPLETED
    order = new_order(
        session,
        library=library,
        patron=patron,
        lines=lines,
        channel=DESK,
        method=data["method"],
        state=state,
        staff=staff,
        now=now,
    )
    if cash_session is None:
        confirmation = request_confirmation(
            session,
            patron,
            purpose=PURPOSE,
            reference=order.public_id,
            requester=library.name,
            description=describe(order),
            amount=order.money,
            ttl=CONFIRM_WITHIN,
            now=now,
        )
        order.confirmation_id = confirmation.id
        session.flush()
        return order
    entry, operation = take_cash(
        session,
        cash_session,
        staff,
        patron,
        order.money,
        kind=SHOP_SALE,
        to=credit_legs(session, patron, library, lines),
        reference=order.public_id,
        memo=f"shop {library.code}: {describe(order)}"[:300],
    )
    take_stock(session, lines)
    order.entry_id = entry.id
    order.paid_at = entry.created_at
    order.cash_session_id = cash_session.id
    balance = wallet_balance(session, patron, order.currency)
    receipt = issue_order_receipt(session, order, entry, CASH, balance, operator=staff.name)
    order.receipt_id = operation.receipt_id = receipt.id
    session.flush()
    return order


def _order_of(session: Session, confirmation: Confirmation) -> ShopOrder:
    return session.scalars(select(ShopOrder).where(ShopOrder.confirmation_id == confirmation.id)).one()


def _confirmed(session: Session, confirmation: Confirmation) -> None:
    order = _order_of(session, confirmation)
    move(session, order, OrderState.COMPLETED)
    operator = order.staff_user.name if order.staff_user is not None else order.library.name
    pay_from_wallet(session, order, lines_of(order), actor=order.patron.public_id, operator=operator)


def _declined(session: Session, confirmation: Confirmation) -> None:
    move(session, _order_of(session, confirmation), OrderState.DECLINED)


def _expired(session: Session, confirmation: Confirmation) -> None:
    move(session, _order_of(session, confirmation), OrderState.EXPIRED)


register_handler(PURPOSE, on_confirmed=_confirmed, on_declined=_declined, on_expired=_expired)
