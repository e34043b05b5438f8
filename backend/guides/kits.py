"""Cultural kits: reservations for a date range, pick-up and return, deposit and fee.

**Never double-booked.** Each kit has one ``KitDay`` row per day with its
``booked`` units; a reservation takes its days with one guarded update per
day, in day order (``booked + n <= units``, a CHECK behind it). On PostgreSQL
a concurrent reservation of the same day waits for that row and then sees
the new count, so the second of two clashing requests gets 0 rows and the
whole request is rolled back; taking the rows in day order means two
requests never wait for each other in a cycle. A clash is 409
``kit_unavailable`` with the next start dates for which the whole range is free.

**Money** (only through the ledger). Reserving places one wallet hold for
deposit + fee (422 ``insufficient_funds`` if the wallet can't cover it);
pick-up captures it: the deposit to the library's ``kit_deposits`` account,
the fee to its ``fee_income``. Return gives the deposit back as a refund of
that capture (the same funding lots). Cancelling or not showing up releases
the hold. Late return charges an ``overdue`` fee through the fees domain.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, and_, or_, select, update
from sqlalchemy.orm import Session

from backend.accounts.models import Library, Network, Patron
from backend.auth.principal import Principal
from backend.auth.scope import acts_for_library, require_library
from backend.db import dialect_insert, utcnow
from backend.errors import NOT_FOUND, DomainError
from backend.fees import services as fees
from backend.guides import notices
from backend.guides.catalog import tell_followers_of
from backend.guides.errors import (
    BAD_DATES,
    KIT_INACTIVE,
    KIT_UNAVAILABLE,
    PICKUP_OUTSIDE_NETWORK,
    RESERVATION_STATE,
    TOO_EARLY_TO_PICK_UP,
    TOO_MANY_UNITS,
    UNITS_BELOW_BOOKED,
)
from backend.guides.models import (
    RESERVATION_TRANSITIONS,
    Guide,
    Kit,
    KitDay,
    KitReservation,
    ReservationState,
)
from backend.i18n import ROME
from backend.ledger.models import Hold, JournalEntry
from backend.ledger.services import (
    capture_hold,
    credit,
    debit,
    house_account,
    place_hold,
    post_entry,
    release_hold,
    wallet_of,
)
from backend.money import Money
from backend.notify.services import notify
from backend.states import transition

BOOKING_HORIZON_DAYS = 366
NEXT_FREE_SHOWN = 3
# Not picked up by the end of the day after the start: the days go back to others.
NO_SHOW_GRACE_DAYS = 1
KIT_FIELDS = ("title", "description", "loan_days", "deposit", "fee", "late_fee_per_day", "active")


def today_in_rome(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(ROME).date()


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


# --- librarians: kits ---------------------------------------------------------------------


def create_kit(session: Session, principal: Principal, data: dict, guides: list[Guide]) -> Kit:
    library = require_library(principal, session.scalar(select(Library).where(Library.public_id == data["library"])))
    kit = Kit(
        library=library,
        title=data["title"],
        description=data.get("description", ""),
        units=data["units"],
        loan_days=data["loan_days"],
        deposit=_cents(data.get("deposit")),
        fee=_cents(data.get("fee")),
        late_fee_per_day=_cents(data.get("late_fee_per_day")),
        currency="EUR",
        active=True,
    )
    session.add(kit)
    session.flush()
    for guide in guides:
        attach_guide(session, kit, guide)
    return kit


def _cents(money: Money | None) -> int:
    return money.amount if money is not None else 0


def update_kit(session: Session, kit: Kit, changes: dict, *, today: date | None = None) -> Kit:
    for name in KIT_FIELDS:
        if name in changes:
            value = changes[name]
            setattr(kit, name, value.amount if isinstance(value, Money) else value)
    if "units" in changes and changes["units"] != kit.units:
        _change_units(session, kit, changes["units"], today or today_in_rome())
    session.flush()
    return kit


def _change_units(session: Session, kit: Kit, units: int, today: date) -> None:
    # Guarded like a reservation: a day whose booked units exceed the new count keeps its
    # old count, and then the change is refused (the unit of work rolls back the others).
    session.execute(
        update(KitDay)
        .where(KitDay.kit_id == kit.id, KitDay.day >= today, KitDay.booked <= units)
        .values(units=units)
        .execution_options(synchronize_session=False)
    )
    if session.scalar(
        select(KitDay.day).where(KitDay.kit_id == kit.id, KitDay.day >= today, KitDay.units != units).limit(1)
    ):
        raise DomainError(UNITS_BELOW_BOOKED, param="units")
    kit.units = units


def attach_guide(session: Session, kit: Kit, guide: Guide) -> None:
    if guide in kit.guides:
        return
    kit.guides.append(guide)
    session.flush()
    tell_followers_of(session, guide, "guide_kit_added", kit_title=kit.title, library=kit.library.name)


def kits_in_scope(session: Session, principal: Principal) -> Select:
    stmt = select(Kit).join(Library, Library.id == Kit.library_id)
    if principal.role == "librarian":
        return stmt.where(Library.public_id.in_(principal.library_ids or ("-",)))
    return stmt.join(Network, Network.id == Library.network_id).where(Network.public_id == principal.network_id)


def calendar(session: Session, kit: Kit, start: date, days: int) -> list[tuple[date, int]]:
    """Free units on each of ``days`` days from ``start``."""
    booked = dict(
        session.execute(
            select(KitDay.day, KitDay.booked).where(
                KitDay.kit_id == kit.id, KitDay.day.between(start, start + timedelta(days=days - 1))
            )
        ).all()
    )
    return [(day, kit.units - booked.get(day, 0)) for day in _days(start, start + timedelta(days=days - 1))]


def visible_kit(session: Session, public_id: str) -> Kit:
    kit = session.scalar(select(Kit).where(Kit.public_id == public_id, Kit.active.is_(True)))
    if kit is None:
        raise DomainError(NOT_FOUND)
    return kit


# --- patrons: reserving ---------------------------------------------------------------------


def reserve(
    session: Session,
    patron: Patron,
    kit: Kit,
    *,
    start: date,
    end: date,
    quantity: int,
    pickup_library_id: str,
    today: date | None = None,
) -> KitReservation:
    today = today or today_in_rome()
    if not kit.active:
        raise DomainError(KIT_INACTIVE)
    if quantity > kit.units:
        raise DomainError(TOO_MANY_UNITS, param="quantity", units=kit.units)
    length = (end - start).days + 1
    if start <= today or end < start or length > kit.loan_days or start > today + timedelta(days=BOOKING_HORIZON_DAYS):
        raise DomainError(BAD_DATES, param="start_date", loan_days=kit.loan_days)
    pickup = session.scalar(select(Library).where(Library.public_id == pickup_library_id))
    if pickup is None:
        raise DomainError(NOT_FOUND, param="pickup_library")
    if pickup.network_id != kit.library.network_id:
        raise DomainError(PICKUP_OUTSIDE_NETWORK, param="pickup_library")

    days = _days(start, end)
    # Cheap refusal from a plain read: most clashes never take a row lock.
    booked = dict(
        session.execute(
            select(KitDay.day, KitDay.booked).where(KitDay.kit_id == kit.id, KitDay.day.between(start, end))
        ).all()
    )
    if any(booked.get(day, 0) + quantity > kit.units for day in days):
        raise _unavailable(session, kit, start, length, quantity, today)
    _ensure_days(session, kit, days)
    for taken, day in enumerate(days):
        changed = session.execute(
            update(KitDay)
            .where(KitDay.kit_id == kit.id, KitDay.day == day, KitDay.booked + quantity <= KitDay.units)
            .values(booked=KitDay.booked + quantity)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed != 1:  # lost a race for this day: the request rolls back what it took
            raise _unavailable(session, kit, start, length, quantity, today, mine={d: quantity for d in days[:taken]})

    reservation = KitReservation(
        kit=kit,
        patron=patron,
        pickup_library=pickup,
        start_date=start,
        end_date=end,
        quantity=quantity,
        state=ReservationState.RESERVED,
        deposit=kit.deposit * quantity,
        fee=kit.fee * quantity,
        currency=kit.currency,
    )
    session.add(reservation)
    session.flush()
    total = reservation.deposit_money + reservation.fee_money
    if total.amount > 0:
        # Held, not taken: it is captured at pick-up; expiry well after the loan, as a backstop
        # (the no-show job releases it first).
        expires = datetime.combine(end + timedelta(days=NO_SHOW_GRACE_DAYS + 2), time(0, 0), ROME)
        hold = place_hold(
            session,
            wallet_of(session, patron, kit.currency),
            total,
            expires_at=expires,
            reference=reservation.public_id,
        )
        reservation.hold_id = hold.id
        session.flush()
    language = patron.language
    notify(
        session,
        patron,
        "kit_reserved",
        kit_title=kit.title,
        start_date=notices.show_date(start, language),
        end_date=notices.show_date(end, language),
        library=pickup.name,
        amount=total,
    )
    return reservation


def _ensure_days(session: Session, kit: Kit, days: list[date]) -> None:
    insert = dialect_insert(session)
    session.execute(
        insert(KitDay)
        .values([dict(kit_id=kit.id, day=day, units=kit.units, booked=0) for day in days])
        .on_conflict_do_nothing(index_elements=["kit_id", "day"])
    )


def next_free_starts(
    session: Session,
    kit: Kit,
    *,
    after: date,
    length: int,
    quantity: int,
    mine: dict[date, int] | None = None,
    limit: int = NEXT_FREE_SHOWN,
    horizon_days: int = 120,
) -> list[date]:
    """The first start dates from ``after`` on for which every day of the range has ``quantity`` free units.

    ``mine``: units this transaction already took (not yet rolled back), not counted as taken.
    """
    last = after + timedelta(days=horizon_days + length)
    booked = dict(
        session.execute(
            select(KitDay.day, KitDay.booked).where(KitDay.kit_id == kit.id, KitDay.day.between(after, last))
        ).all()
    )
    for day, units in (mine or {}).items():
        booked[day] = booked.get(day, 0) - units
    found: list[date] = []
    start = after
    while start <= after + timedelta(days=horizon_days) and len(found) < limit:
        if all(booked.get(day, 0) + quantity <= kit.units for day in _days(start, start + timedelta(days=length - 1))):
            found.append(start)
        start += timedelta(days=1)
    return found


def _unavailable(
    session: Session,
    kit: Kit,
    start: date,
    length: int,
    quantity: int,
    today: date,
    mine: dict[date, int] | None = None,
) -> DomainError:
    after = max(start, today + timedelta(days=1))
    free = next_free_starts(session, kit, after=after, length=length, quantity=quantity, mine=mine)
    return DomainError(
        KIT_UNAVAILABLE,
        param="start_date",
        next_free_dates=[
            {"start_date": d.isoformat(), "end_date": (d + timedelta(days=length - 1)).isoformat()} for d in free
        ],
    )


def _free_days(session: Session, reservation: KitReservation, start: date, end: date) -> None:
    if start > end:
        return
    session.execute(
        update(KitDay)
        .where(
            KitDay.kit_id == reservation.kit_id, KitDay.day.between(start, end), KitDay.booked >= reservation.quantity
        )
        .values(booked=KitDay.booked - reservation.quantity)
        .execution_options(synchronize_session=False)
    )


def _move(session: Session, reservation: KitReservation, target: ReservationState, **values) -> None:
    """Guarded state change; a reservation moved meanwhile is a 409 with its current state."""
    if not RESERVATION_TRANSITIONS.allows(reservation.state, target):
        raise DomainError(RESERVATION_STATE, state=reservation.state)
    changed = session.execute(
        transition(
            KitReservation, RESERVATION_TRANSITIONS, target, KitReservation.id == reservation.id, column="state"
        ).values(**values)
    ).rowcount
    session.refresh(reservation)
    if changed != 1:
        raise DomainError(RESERVATION_STATE, state=reservation.state)


def _hold_of(session: Session, reservation: KitReservation) -> Hold | None:
    return session.get(Hold, reservation.hold_id) if reservation.hold_id else None


def cancel(session: Session, patron: Patron, reservation_id: str, *, today: date | None = None) -> KitReservation:
    """The patron cancels before the pick-up day: the days are freed, the held money released."""
    reservation = my_reservation(session, patron, reservation_id)
    today = today or today_in_rome()
    if reservation.state == ReservationState.RESERVED and reservation.start_date <= today:
        raise DomainError(RESERVATION_STATE, state=reservation.state)
    _move(session, reservation, ReservationState.CANCELLED, cancelled_at=utcnow())
    _free_days(session, reservation, reservation.start_date, reservation.end_date)
    hold = _hold_of(session, reservation)
    if hold is not None:
        release_hold(session, hold)
    return reservation


# --- librarians: pick-up and return ---------------------------------------------------------


def staff_reservation(session: Session, principal: Principal, reservation_id: str) -> KitReservation:
    """A reservation to be picked up at, or of a kit of, one of the caller's libraries."""
    reservation = session.scalar(select(KitReservation).where(KitReservation.public_id == reservation_id))
    if reservation is None or not (
        acts_for_library(principal, reservation.pickup_library) or acts_for_library(principal, reservation.kit.library)
    ):
        raise DomainError(NOT_FOUND)
    return reservation


def pick_up(
    session: Session, principal: Principal, reservation_id: str, *, today: date | None = None
) -> KitReservation:
    reservation = staff_reservation(session, principal, reservation_id)
    require_library(principal, reservation.pickup_library)
    today = today or today_in_rome()
    if reservation.state == ReservationState.RESERVED and today < reservation.start_date:
        raise DomainError(TOO_EARLY_TO_PICK_UP, start_date=reservation.start_date.isoformat())
    _move(session, reservation, ReservationState.PICKED_UP, picked_up_at=utcnow(), handled_by=principal.subject)
    hold = _hold_of(session, reservation)
    if hold is not None:
        kit = reservation.kit
        legs = []
        if reservation.deposit:
            legs.append(credit(_deposits(session, kit), reservation.deposit_money))
        if reservation.fee:
            legs.append(
                credit(
                    house_account(session, "fee_income", kit.library.public_id, kit.currency, library=kit.library),
                    reservation.fee_money,
                )
            )
        entry = capture_hold(
            session,
            hold,
            legs,
            kind="kit_loan",
            reference=reservation.public_id,
            actor=principal.subject,
            memo=f"kit {kit.public_id}",
        )
        reservation.charge_entry_id = entry.id
        session.flush()
    return reservation


def _deposits(session: Session, kit: Kit):
    return house_account(session, "kit_deposits", kit.library.public_id, kit.currency, library=kit.library)


def return_kit(
    session: Session, principal: Principal, reservation_id: str, *, today: date | None = None
) -> KitReservation:
    """Record the return: deposit back to the wallet, days after today freed, lateness charged as a fee."""
    reservation = staff_reservation(session, principal, reservation_id)
    require_library(principal, reservation.pickup_library)
    today = today or today_in_rome()
    _move(session, reservation, ReservationState.RETURNED, returned_at=utcnow(), handled_by=principal.subject)
    kit, patron = reservation.kit, reservation.patron
    _free_days(session, reservation, today + timedelta(days=1), reservation.end_date)
    if reservation.deposit and reservation.charge_entry_id:
        charge = session.get(JournalEntry, reservation.charge_entry_id)
        refund = post_entry(
            session,
            kind="kit_deposit_refund",
            legs=[
                debit(_deposits(session, kit), reservation.deposit_money),
                credit(wallet_of(session, patron, reservation.currency), reservation.deposit_money),
            ],
            refunds=charge,
            reference=reservation.public_id,
            actor=principal.subject,
            memo=f"kit {kit.public_id}",
        )
        reservation.deposit_refund_entry_id = refund.id
        session.flush()
        notify(session, patron, "kit_returned", kit_title=kit.title, deposit=reservation.deposit_money)
    late_days = (today - reservation.end_date).days
    if late_days > 0 and kit.late_fee_per_day > 0:
        amount = Money(kit.late_fee_per_day * late_days * reservation.quantity, kit.currency)
        fee = fees.charge_fee(
            session,
            principal,
            patron=patron,
            library=reservation.pickup_library,
            type_code="overdue",
            amount=amount,
            description=f"Kit «{kit.title}»: {late_days} gg di ritardo / days late",
        )
        reservation.late_fee_id = fee.id
        session.flush()
    return reservation


# --- lists ------------------------------------------------------------------------------------


def my_reservation(session: Session, patron: Patron, reservation_id: str) -> KitReservation:
    reservation = session.scalar(
        select(KitReservation).where(KitReservation.public_id == reservation_id, KitReservation.patron_id == patron.id)
    )
    if reservation is None:
        raise DomainError(NOT_FOUND)
    return reservation


def my_reservations(patron: Patron, state: str | None = None) -> Select:
    stmt = select(KitReservation).where(KitReservation.patron_id == patron.id)
    return stmt.where(KitReservation.state == state) if state else stmt


def reservations_for_staff(principal: Principal, *, kit_id: str | None = None, state: str | None = None) -> Select:
    kit_library = select(Kit.library_id).where(Kit.id == KitReservation.kit_id).scalar_subquery()
    if principal.role == "librarian":
        mine = select(Library.id).where(Library.public_id.in_(principal.library_ids or ("-",)))
    else:
        mine = (
            select(Library.id)
            .join(Network, Network.id == Library.network_id)
            .where(Network.public_id == principal.network_id)
        )
    stmt = select(KitReservation).where(or_(KitReservation.pickup_library_id.in_(mine), kit_library.in_(mine)))
    if kit_id:
        stmt = stmt.where(KitReservation.kit_id == select(Kit.id).where(Kit.public_id == kit_id).scalar_subquery())
    if state:
        stmt = stmt.where(KitReservation.state == state)
    return stmt


# --- scheduler ----------------------------------------------------------------------------------


def send_kit_reminders(session: Session, now: datetime | None = None) -> dict:
    """Pick-up and return reminders the day before (once each), and no-shows released."""
    today = today_in_rome(now)
    tomorrow = today + timedelta(days=1)
    sent = 0
    for reservation in session.scalars(
        select(KitReservation)
        .where(
            or_(
                and_(KitReservation.state == ReservationState.RESERVED, KitReservation.start_date == tomorrow),
                and_(KitReservation.state == ReservationState.PICKED_UP, KitReservation.end_date == tomorrow),
            )
        )
        .order_by(KitReservation.id)
        .limit(1000)
    ):
        patron, language = reservation.patron, reservation.patron.language
        if reservation.state == ReservationState.RESERVED:
            note = notify(
                session,
                patron,
                "kit_pickup_reminder",
                dedupe_key=f"kit-pickup:{reservation.public_id}",
                kit_title=reservation.kit.title,
                library=reservation.pickup_library.name,
                start_date=notices.show_date(reservation.start_date, language),
            )
        else:
            note = notify(
                session,
                patron,
                "kit_return_reminder",
                dedupe_key=f"kit-return:{reservation.public_id}",
                kit_title=reservation.kit.title,
                library=reservation.pickup_library.name,
                end_date=notices.show_date(reservation.end_date, language),
            )
        sent += note is not None
    no_shows = 0
    for reservation in session.scalars(
        select(KitReservation)
        .where(
            KitReservation.state == ReservationState.RESERVED,
            KitReservation.start_date < today - timedelta(days=NO_SHOW_GRACE_DAYS),
        )
        .order_by(KitReservation.id)
        .limit(500)
    ):
        try:
            with session.begin_nested():
                _move(session, reservation, ReservationState.NO_SHOW, cancelled_at=utcnow())
                _free_days(session, reservation, today, reservation.end_date)
                hold = _hold_of(session, reservation)
                if hold is not None and hold.status == "pending":
                    release_hold(session, hold)
            no_shows += 1
        except DomainError:
            continue  # picked up meanwhile
    return {"reminders": sent, "no_shows": no_shows}
