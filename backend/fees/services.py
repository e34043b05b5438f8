"""Library fees: charge, import, pay from the wallet, waive.

Money moves only through the ledger. A payment settles one or several fees
of one patron atomically: the fees are claimed with a guarded update
(``outstanding`` → ``paid``), then one journal entry debits the wallet and
credits each library's ``fee_income``; if the wallet cannot afford the total,
the whole request is rolled back by its unit of work and nothing is paid.
Waiving a paid fee gives its money back to the wallet as a refund of the
payment entry (the same funding lots are restored).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from backend.accounts.models import Library, Network, Patron
from backend.accounts.signin import normalize_card
from backend.auth.principal import Principal
from backend.auth.scope import acts_for_library, require_library
from backend.db import dialect_insert, get_or_404, insert_returning, new_public_id, utcnow
from backend.errors import NOT_FOUND, DomainError
from backend.fees.errors import (
    AMOUNT_REQUIRED,
    FEE_ALREADY_WAIVED,
    FEE_CHANGED,
    FEE_NOT_OUTSTANDING,
    UNKNOWN_FEE_TYPE,
)
from backend.fees.models import FEE_TRANSITIONS, Fee, FeePayment, FeeState, FeeType
from backend.finance import audit
from backend.i18n import normalize_language
from backend.ledger.services import (
    House,
    credit,
    debit,
    house_account,
    post_entry,
    wallet_and_house_accounts,
    wallet_of,
)
from backend.money import Money
from backend.notify.services import notify, notify_low_balance
from backend.pagination import Page, paginate
from backend.states import guard, transition
from backend.wallet import references

# code: (Italian name, English name, default amount in cents; 0 = give the amount each time)
DEFAULT_FEE_TYPES = {
    "overdue": ("Ritardo nella restituzione", "Overdue item", 50),
    "lost_item": ("Documento smarrito", "Lost item", 2000),
    "damaged_item": ("Documento danneggiato", "Damaged item", 1000),
    "new_card": ("Nuova tessera", "New library card", 300),
    "printing": ("Stampe e fotocopie", "Printing and photocopies", 10),
    "interlibrary_loan": ("Prestito interbibliotecario", "Interlibrary loan", 300),
    "room_booking": ("Prenotazione sala", "Room booking", 2500),
    "other": ("Altro", "Other", 0),
}


# --- fee types ----------------------------------------------------------------


def fee_types_of(session: Session, network: Network) -> list[FeeType]:
    """The network's fee types; the standard ones are created on first use."""
    existing = set(session.scalars(select(FeeType.code).where(FeeType.network_id == network.id)))
    missing = [code for code in DEFAULT_FEE_TYPES if code not in existing]
    if missing:
        insert = dialect_insert(session)
        now = utcnow()
        for code in missing:
            name_it, name_en, amount = DEFAULT_FEE_TYPES[code]
            # Two first requests of a network may race: insert-or-ignore.
            session.execute(
                insert(FeeType)
                .values(
                    public_id=new_public_id(FeeType.PUBLIC_ID_PREFIX),
                    network_id=network.id,
                    code=code,
                    name_it=name_it,
                    name_en=name_en,
                    default_amount=amount,
                    currency="EUR",
                    active=True,
                    created_at=now,
                )
                .on_conflict_do_nothing(index_elements=["network_id", "code"])
            )
    return list(session.scalars(select(FeeType).where(FeeType.network_id == network.id).order_by(FeeType.id)))


def fee_type_by_code(session: Session, network: Network, code: str) -> FeeType:
    for fee_type in fee_types_of(session, network):
        if fee_type.code == code and fee_type.active:
            return fee_type
    raise DomainError(UNKNOWN_FEE_TYPE, param="type", fee_type=code)


def set_default_amount(session: Session, principal: Principal, fee_type_id: str, money: Money) -> FeeType:
    fee_type = get_or_404(session, FeeType, fee_type_id)
    if fee_type.network.public_id != principal.network_id:
        raise DomainError(NOT_FOUND)
    fee_type.default_amount = money.amount
    return fee_type


# --- charging ---------------------------------------------------------------


def describe(fee: Fee, language: str) -> str:
    name = fee.fee_type.name(language)
    return f"{name}: {fee.description}" if fee.description else name


def _amount(fee_type: FeeType, money: Money | None) -> Money:
    if money is not None:
        return money
    if fee_type.default_amount <= 0:
        raise DomainError(AMOUNT_REQUIRED, param="amount")
    return Money(fee_type.default_amount, fee_type.currency)


def charge_fee(
    session: Session,
    principal: Principal,
    *,
    patron: Patron,
    library: Library,
    type_code: str,
    amount: Money | None = None,
    description: str = "",
) -> Fee:
    """A librarian charges ``patron`` a fee owed to ``library`` (within the librarian's scope)."""
    require_library(principal, library)
    fee_type = fee_type_by_code(session, library.network, type_code)
    money = _amount(fee_type, amount)
    fee = Fee(
        network_id=library.network_id,
        library=library,
        patron=patron,
        fee_type=fee_type,
        amount=money.amount,
        currency=money.currency,
        description=description,
        status=FeeState.OUTSTANDING,
        charged_by=principal.subject,
    )
    session.add(fee)
    session.flush()
    # A charge books nothing in the ledger (the patron owes it until paid), so the entry hook
    # cannot see it: the audit trail needs its own record of who made the patron owe what.
    audit.record(session, "fee.charge", target=fee.public_id, before=None, after=_fee_audit(fee))
    _tell_charged(session, fee)
    return fee


def _fee_audit(fee: Fee) -> dict:
    return {
        "status": str(fee.status),
        "amount": fee.amount,
        "currency": fee.currency,
        "type": fee.fee_type.code,
        "library": fee.library.public_id,
        "patron": fee.patron.public_id,
    }


def _tell_charged(session: Session, fee: Fee) -> None:
    language = normalize_language(fee.patron.language)
    notify(
        session,
        fee.patron,
        "fee_charged",
        amount=Money(fee.amount, fee.currency),
        description=describe(fee, language),
        library=fee.library.name,
    )


@dataclass
class ImportResult:
    external_id: str
    result: str  # created | unchanged | rejected
    fee: Fee | None = None
    error: str | None = None


def import_fees(session: Session, principal: Principal, network: Network, items: list[dict]) -> list[ImportResult]:
    """Fees sent by the library management system, keyed by its own fee id.

    Sending the same batch again changes nothing (``unchanged``); an external
    id already used for a different fee is ``rejected`` (``external_id_reused``),
    as is an item naming an unknown card, library or type, or a library
    outside the caller's scope. Other items of the batch still go in.
    """
    libraries = {lib.code: lib for lib in session.scalars(select(Library).where(Library.network_id == network.id))}
    cards = {normalize_card(item["card_number"]) for item in items}
    patrons = {p.card_number: p for p in session.scalars(select(Patron).where(Patron.card_number.in_(cards)))}
    types = {t.code: t for t in fee_types_of(session, network) if t.active}
    insert = dialect_insert(session)
    results = []
    for item in items:
        external_id = item["external_id"]
        library = libraries.get(item["library_code"])
        patron = patrons.get(normalize_card(item["card_number"]))
        fee_type = types.get(item["type"])
        error = None
        if library is None or not acts_for_library(principal, library):
            error = "unknown_library_code"
        elif patron is None or patron.status == "deleted":
            error = "unknown_card_number"
        elif fee_type is None:
            error = "unknown_fee_type"
        elif item.get("amount") is None and fee_type.default_amount <= 0:
            error = "amount_required"
        if error:
            results.append(ImportResult(external_id, "rejected", error=error))
            continue
        money = _amount(fee_type, item.get("amount"))
        description = item.get("description") or ""
        # Insert-or-ignore on (network, external id): a batch sent twice, even
        # at the same moment, creates each fee once.
        created_id = session.execute(
            insert(Fee)
            .values(
                public_id=new_public_id(Fee.PUBLIC_ID_PREFIX),
                created_at=utcnow(),
                network_id=network.id,
                library_id=library.id,
                patron_id=patron.id,
                fee_type_id=fee_type.id,
                amount=money.amount,
                currency=money.currency,
                description=description,
                status=FeeState.OUTSTANDING,
                external_id=external_id,
                charged_by=principal.subject,
            )
            .on_conflict_do_nothing(index_elements=["network_id", "external_id"])
            .returning(Fee.id)
        ).scalar()
        if created_id is not None:
            fee = session.get(Fee, created_id)
            # Only what was created: a batch sent again charges nothing and records nothing.
            audit.record(
                session,
                "fee.charge",
                target=fee.public_id,
                before=None,
                after={**_fee_audit(fee), "external_id": external_id},
            )
            _tell_charged(session, fee)
            results.append(ImportResult(external_id, "created", fee))
            continue
        fee = session.scalar(select(Fee).where(Fee.network_id == network.id, Fee.external_id == external_id))
        same = (fee.patron_id, fee.library_id, fee.fee_type_id, fee.amount, fee.currency, fee.description) == (
            patron.id,
            library.id,
            fee_type.id,
            money.amount,
            money.currency,
            description,
        )
        if same and acts_for_library(principal, fee.library):
            results.append(ImportResult(external_id, "unchanged", fee))
        else:
            results.append(ImportResult(external_id, "rejected", error="external_id_reused"))
    session.flush()
    return results


# --- paying -----------------------------------------------------------------


def my_fee_payments(session: Session, patron: Patron, *, limit: int, starting_after: str | None) -> Page:
    stmt = (
        select(FeePayment)
        .where(FeePayment.patron_id == patron.id)
        .options(joinedload(FeePayment.entry), selectinload(FeePayment.fees))
    )
    return paginate(session, stmt, FeePayment, limit=limit, starting_after=starting_after)


_fees = Fee.__table__
# Built once: every fee payment runs them.
_PATRON_FEES = (
    select(Fee)
    .where(Fee.public_id.in_(bindparam("public_ids", expanding=True)), Fee.patron_id == bindparam("patron_id"))
    .options(joinedload(Fee.library), joinedload(Fee.fee_type))
    .order_by(Fee.id)
)
_CLAIM_FEES = (
    update(_fees)
    .where(_fees.c.id.in_(bindparam("fee_ids", expanding=True)), guard(_fees.c.status, FEE_TRANSITIONS, FeeState.PAID))
    .values(status=FeeState.PAID, paid_at=bindparam("paid_at"), payment_id=bindparam("payment_id"))
)


def pay_fees(session: Session, patron: Patron, fee_ids: list[str]) -> FeePayment:
    """Pay the patron's ``fee_ids`` from the wallet, all or nothing, in one ledger entry.

    Every object the response shows is loaded here, once (fees with their type
    and library, the two ledger accounts in one query), and the fees' new state
    is set from the guarded update itself: serializing the payment reads nothing.
    """
    wanted = list(dict.fromkeys(fee_ids))
    fees = list(session.scalars(_PATRON_FEES, {"public_ids": wanted, "patron_id": patron.id}))
    if len(fees) != len(wanted):
        raise DomainError(NOT_FOUND, param="fee_ids")
    for fee in fees:
        FEE_TRANSITIONS.check(
            fee.status, FeeState.PAID, FEE_NOT_OUTSTANDING, param="fee_ids", fee_id=fee.public_id, status=fee.status
        )
    currencies = {fee.currency for fee in fees}
    if len(currencies) != 1:
        raise DomainError(FEE_CHANGED, param="fee_ids")

    currency = currencies.pop()
    per_library: dict[int, int] = defaultdict(int)
    libraries: dict[int, Library] = {}
    for fee in fees:
        per_library[fee.library_id] += fee.amount
        libraries[fee.library_id] = fee.library
    total = Money(sum(per_library.values()), currency)
    paying = sorted(per_library)
    wallet, incomes = wallet_and_house_accounts(
        session, patron, [House("fee_income", libraries[i].public_id, library=libraries[i]) for i in paying], currency
    )
    legs = [debit(wallet, total)]
    legs += [credit(income, Money(per_library[i], currency)) for i, income in zip(paying, incomes)]
    payment_id = new_public_id(FeePayment.PUBLIC_ID_PREFIX)
    # The guarded wallet debit comes first: it takes the wallet's row lock, so two
    # payments of the same patron (the only ones that can name the same fees) run
    # one after the other from here on.
    entry = post_entry(
        session,
        kind="fee_payment",
        legs=legs,
        reference=payment_id,
        actor=patron.public_id,
        memo="fees " + " ".join(f.public_id for f in fees),
    )
    [payment] = insert_returning(
        session,
        FeePayment,
        [
            dict(
                public_id=payment_id,
                patron_id=patron.id,
                entry_id=entry.id,
                amount=total.amount,
                currency=currency,
                created_at=entry.created_at,
            )
        ],
    )
    set_committed_value(payment, "entry", entry)
    # Guarded claim: only fees still outstanding become paid. If a concurrent payment
    # or waiver got any of them first, nothing is paid: the unit of work rolls the
    # whole request back, wallet debit included. A Core UPDATE (the ORM's bulk path
    # costs more CPU than the statement); the loaded fees then take the values it
    # wrote, so the response reads nothing again.
    claimed = (
        session.connection()
        .execute(_CLAIM_FEES, {"fee_ids": [f.id for f in fees], "paid_at": entry.created_at, "payment_id": payment.id})
        .rowcount
    )
    if claimed != len(fees):
        raise DomainError(FEE_CHANGED, param="fee_ids")
    set_committed_value(payment, "fees", fees)
    for fee in fees:
        for name, value in (
            ("status", FeeState.PAID),
            ("paid_at", entry.created_at),
            ("payment_id", payment.id),
            ("payment", payment),
            ("patron", patron),
        ):  # patron: selected by patron_id
            set_committed_value(fee, name, value)
    # Shown in the response; not stored (the ledger has it).
    payment.balance_after = Money(wallet.balance, wallet.currency)
    _tell_paid(session, patron, fees, total, payment.balance_after)
    return payment


def _tell_paid(session: Session, patron: Patron, fees: list[Fee], total: Money, after: Money) -> None:
    language = normalize_language(patron.language)
    libraries = list(dict.fromkeys(fee.library.name for fee in fees))
    notify(
        session,
        patron,
        "fee_paid",
        amount=total,
        balance=after,
        description="; ".join(describe(fee, language) for fee in fees),
        library=", ".join(libraries),
    )
    notify_low_balance(session, patron, before=after + total, after=after)


# --- waiving ----------------------------------------------------------------


def waive_fee(session: Session, principal: Principal, fee_id: str, reason: str) -> Fee:
    """Cancel a fee; a paid one gives its money back to the wallet (refund of the payment entry)."""
    # Locked as it is read: a payment racing the waiver either claimed the fee first (the waiver
    # then reads it paid and refunds it) or waits for the waiver and finds it waived.
    fee = get_fee_for_staff(session, principal, fee_id, lock=True)
    FEE_TRANSITIONS.check(fee.status, FeeState.WAIVED, FEE_ALREADY_WAIVED, fee_id=fee.public_id)
    was = fee.status
    before = _fee_audit(fee)
    # Also still in the state read: a fee paid meanwhile must be refunded, not waived as outstanding.
    changed = session.execute(
        transition(Fee, FEE_TRANSITIONS, FeeState.WAIVED, Fee.id == fee.id, Fee.status == was).values(
            waived_at=utcnow(), waived_by=principal.subject, waive_reason=reason
        )
    ).rowcount
    if changed != 1:
        raise DomainError(FEE_CHANGED)
    session.expire(fee)
    if was == FeeState.PAID:
        money = Money(fee.amount, fee.currency)
        income = house_account(session, "fee_income", fee.library.public_id, fee.currency, library=fee.library)
        refund = post_entry(
            session,
            kind="fee_refund",
            legs=[debit(income, money), credit(wallet_of(session, fee.patron, fee.currency), money)],
            refunds=fee.payment.entry,
            reference=fee.public_id,
            actor=principal.subject,
            memo=f"waived: {reason}",
        )
        fee.refund_entry_id = refund.id
        session.flush()
        language = normalize_language(fee.patron.language)
        notify(session, fee.patron, "refund_processed", amount=money, description=describe(fee, language))
    # Waiving an outstanding fee books nothing (the refund entry of a paid one is in the trail
    # already); either way the decision itself, with its reason, is recorded.
    audit.record(session, "fee.waive", target=fee.public_id, before=before, after={**_fee_audit(fee), "reason": reason})
    return fee


# --- reading ----------------------------------------------------------------


def get_fee_for_patron(session: Session, patron: Patron, fee_id: str) -> Fee:
    fee = get_or_404(session, Fee, fee_id, patron_id=patron.id)
    return fee


def get_fee_for_staff(session: Session, principal: Principal, fee_id: str, *, lock: bool = False) -> Fee:
    if lock:
        fee = session.scalar(
            select(Fee).where(Fee.public_id == fee_id).with_for_update(of=Fee).execution_options(populate_existing=True)
        )
        if fee is None:
            raise DomainError(NOT_FOUND)
    else:
        fee = get_or_404(session, Fee, fee_id)
    require_library(principal, fee.library)
    return fee


def fees_of_patron(patron: Patron, *, status: str | None = None) -> Select:
    stmt = select(Fee).where(Fee.patron_id == patron.id)
    return stmt.where(Fee.status == status) if status else stmt


def fees_for_staff(
    session: Session,
    principal: Principal,
    *,
    status: str | None = None,
    patron_id: str | None = None,
    library_id: str | None = None,
) -> Select:
    """Fees of the libraries the staff member acts for (a librarian's, or the admin's network's)."""
    stmt = select(Fee).join(Library, Library.id == Fee.library_id)
    if principal.role == "librarian":
        stmt = stmt.where(Library.public_id.in_(principal.library_ids or ("-",)))
    else:
        stmt = stmt.join(Network, Network.id == Library.network_id).where(Network.public_id == principal.network_id)
    if library_id:
        stmt = stmt.where(Library.public_id == library_id)
    if patron_id:
        stmt = stmt.where(Fee.patron_id == select(Patron.id).where(Patron.public_id == patron_id).scalar_subquery())
    if status:
        stmt = stmt.where(Fee.status == status)
    return stmt


# --- what a wallet transaction paid for -------------------------------------


def _explain_payment(session: Session, patron: Patron, public_id: str, language: str) -> list[references.PaidItem]:
    payment = session.scalar(
        select(FeePayment).where(FeePayment.public_id == public_id, FeePayment.patron_id == patron.id)
    )
    if payment is None:
        return []
    return [
        references.PaidItem("fee", fee.public_id, f"{describe(fee, language)} – {fee.library.name}")
        for fee in payment.fees
    ]


def _explain_fee(session: Session, patron: Patron, public_id: str, language: str) -> list[references.PaidItem]:
    fee = session.scalar(select(Fee).where(Fee.public_id == public_id, Fee.patron_id == patron.id))
    if fee is None:
        return []
    return [references.PaidItem("fee", fee.public_id, f"{describe(fee, language)} – {fee.library.name}")]


references.register(FeePayment.PUBLIC_ID_PREFIX, _explain_payment)
references.register(Fee.PUBLIC_ID_PREFIX, _explain_fee)
