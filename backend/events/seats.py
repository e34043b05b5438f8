"""The capacity guard: seats change only through guarded single-row updates.

``take_seats`` is one ``UPDATE occurrences SET sold = sold + n WHERE … AND
sold + n <= capacity``: the database decides who gets the last seat, nobody
reads-then-writes, and the row stays locked only from that statement to the
commit. Purchases therefore call it as their *last* statement, after the
wallet debit, the tickets and the notification are written, so a sell-out
serializes on one short update rather than on whole requests.
"""

from __future__ import annotations

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from backend.db import dialect_insert
from backend.errors import DomainError
from backend.events.errors import SOLD_OUT, TYPE_SOLD_OUT
from backend.events.models import Occurrence, OccurrenceState, TicketType, TypeSales

_occurrences = Occurrence.__table__
# Built once: the one statement of a sell-out on the shared row.
_TAKE_SEATS = (
    update(_occurrences)
    .where(
        _occurrences.c.id == bindparam("occurrence_id"),
        _occurrences.c.status == OccurrenceState.SCHEDULED,
        _occurrences.c.sold + bindparam("count") <= _occurrences.c.capacity,
    )
    .values(sold=_occurrences.c.sold + bindparam("count"))
    .returning(_occurrences.c.sold)
)


def try_take_seats(session: Session, occurrence: Occurrence, count: int) -> bool:
    new_sold = session.connection().execute(_TAKE_SEATS, {"occurrence_id": occurrence.id, "count": count}).scalar()
    if new_sold is None:
        return False
    set_committed_value(occurrence, "sold", new_sold)
    return True


def take_seats(session: Session, occurrence: Occurrence, count: int) -> None:
    if not try_take_seats(session, occurrence, count):
        session.refresh(occurrence, ["sold", "capacity"])
        raise DomainError(SOLD_OUT, param="quantity", seats_left=occurrence.available)


def give_back_seats(session: Session, occurrence: Occurrence, count: int) -> None:
    new_sold = session.execute(
        update(Occurrence)
        .where(Occurrence.id == occurrence.id, Occurrence.sold >= count)
        .values(sold=Occurrence.sold - count)
        .returning(Occurrence.sold)
        .execution_options(synchronize_session=False)
    ).scalar()
    if new_sold is None:
        raise AssertionError(f"giving back {count} seats that {occurrence.public_id} never sold")
    set_committed_value(occurrence, "sold", new_sold)


def take_type_seats(session: Session, occurrence: Occurrence, ticket_type: TicketType, count: int) -> None:
    """Per-type cap (e.g. 20 reduced seats): a guarded upsert on one (occurrence, type) row."""
    if ticket_type.capacity is None:
        return
    if count > ticket_type.capacity:
        raise DomainError(TYPE_SOLD_OUT, param="items", ticket_type=ticket_type.name)
    insert = dialect_insert(session)
    stmt = insert(TypeSales).values(occurrence_id=occurrence.id, ticket_type_id=ticket_type.id, sold=count)
    stmt = stmt.on_conflict_do_update(
        index_elements=["occurrence_id", "ticket_type_id"],
        set_={"sold": TypeSales.__table__.c.sold + count},
        where=TypeSales.__table__.c.sold + count <= ticket_type.capacity,
    ).returning(TypeSales.sold)
    if session.execute(stmt).scalar() is None:
        raise DomainError(TYPE_SOLD_OUT, param="items", ticket_type=ticket_type.name)


def give_back_type_seats(session: Session, occurrence: Occurrence, ticket_type: TicketType, count: int) -> None:
    if ticket_type.capacity is None:
        return
    session.execute(
        update(TypeSales)
        .where(
            TypeSales.occurrence_id == occurrence.id,
            TypeSales.ticket_type_id == ticket_type.id,
            TypeSales.sold >= count,
        )
        .values(sold=TypeSales.sold - count)
        .execution_options(synchronize_session=False)
    )
