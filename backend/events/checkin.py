"""Door check-in: a ticket gets in once, whoever scans it and however often.

The unique key on ``ticket_checkins.ticket_id`` decides: the first insert
wins, every other scan (a second gate, a screenshot, a re-upload) finds the
first one and is told when and where the ticket was used. The same statement
moves the ticket ``valid → used`` (guarded), so a used ticket can no longer
be cancelled or refunded, and a ticket cancelled meanwhile does not get in.
Offline scanners
upload batches of scans, each with its own ``scan_id``: uploading the same
scan again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.auth.principal import Principal
from backend.config import Settings
from backend.db import dialect_insert, utcnow
from backend.errors import DomainError
from backend.events.access import may_manage
from backend.events.errors import ALREADY_CHECKED_IN, INVALID_QR
from backend.events.models import TICKET_TRANSITIONS, CheckIn, Occurrence, Ticket, TicketState
from backend.events.qr import verify
from backend.states import transition


@dataclass
class ScanResult:
    outcome: str  # accepted | already_uploaded | already_checked_in | invalid
    ticket: Ticket | None = None
    checkin: CheckIn | None = None
    error: DomainError | None = None
    extra: dict = field(default_factory=dict)
    scan_id: str | None = None


def _ticket_for(
    session: Session, settings: Settings, principal: Principal, code: str, occurrence_id: str | None
) -> Ticket:
    claims = verify(code, settings)
    ticket = session.scalar(select(Ticket).where(Ticket.public_id == claims["tkt"]))
    # Another organizer's ticket is as unknown to this door as a forged one.
    if ticket is None or not may_manage(session, principal, ticket.occurrence.event):
        raise DomainError(INVALID_QR, param="code", reason="unknown_ticket")
    if claims["v"] != ticket.version:
        raise DomainError(INVALID_QR, param="code", reason="superseded")
    # A used ticket goes on to the insert, which finds its first check-in (409 with when and where).
    if ticket.status not in (TicketState.VALID, TicketState.USED):
        raise DomainError(INVALID_QR, param="code", reason=ticket.status)
    if claims["occ"] != ticket.occurrence.public_id or (
        occurrence_id is not None and ticket.occurrence.public_id != occurrence_id
    ):
        raise DomainError(INVALID_QR, param="code", reason="other_date")
    return ticket


def _first_use(checkin: CheckIn) -> DomainError:
    return DomainError(ALREADY_CHECKED_IN, param="code", first_used_at=checkin.scanned_at, gate=checkin.gate or "-")


def scan(
    session: Session,
    settings: Settings,
    principal: Principal,
    code: str,
    *,
    gate: str = "",
    occurrence_id: str | None = None,
    scan_id: str | None = None,
    scanned_at: datetime | None = None,
) -> ScanResult:
    """Record one scan; raises 422 for a bad code and 409 if the ticket was already used."""
    if scan_id is not None:
        earlier = session.scalar(select(CheckIn).where(CheckIn.scan_id == scan_id))
        if earlier is not None:
            return ScanResult("already_uploaded", session.get(Ticket, earlier.ticket_id), earlier)
    ticket = _ticket_for(session, settings, principal, code, occurrence_id)
    now = utcnow()
    insert = dialect_insert(session)
    inserted = session.execute(
        insert(CheckIn)
        .values(
            ticket_id=ticket.id,
            occurrence_id=ticket.occurrence_id,
            scan_id=scan_id,
            scanned_at=min(scanned_at or now, now),
            gate=gate[:120],
            staff=principal.subject,
            created_at=now,
        )
        .on_conflict_do_nothing()
        .returning(CheckIn.id)
    ).scalar()
    checkin = session.scalar(select(CheckIn).where(CheckIn.ticket_id == ticket.id))
    if inserted is None or checkin.id != inserted:
        if checkin is not None and (scan_id is None or checkin.scan_id != scan_id):
            raise _first_use(checkin)
        if checkin is not None:
            return ScanResult("already_uploaded", ticket, checkin)
        # Only the scan_id collided (a concurrent upload of the same scan).
        earlier = session.scalar(select(CheckIn).where(CheckIn.scan_id == scan_id))
        return ScanResult("already_uploaded", ticket, earlier)
    used = session.execute(transition(Ticket, TICKET_TRANSITIONS, TicketState.USED, Ticket.id == ticket.id)).rowcount
    session.refresh(ticket)
    if used != 1:  # cancelled by a concurrent request: the raise rolls the check-in back
        raise DomainError(INVALID_QR, param="code", reason=ticket.status)
    return ScanResult("accepted", ticket, checkin)


def scan_batch(session: Session, settings: Settings, principal: Principal, scans: list[dict]) -> list[ScanResult]:
    """Offline scans uploaded together: each one is judged alone, none fails the others."""
    results = []
    for item in scans:
        try:
            with session.begin_nested():
                results.append(
                    scan(
                        session,
                        settings,
                        principal,
                        item["code"],
                        gate=item.get("gate", ""),
                        scan_id=item["scan_id"],
                        scanned_at=item.get("scanned_at"),
                    )
                )
        except DomainError as refused:
            outcome = "already_checked_in" if refused.error is ALREADY_CHECKED_IN else "invalid"
            results.append(ScanResult(outcome, error=refused, extra=refused.extra))
        results[-1].scan_id = item["scan_id"]
    return results


def door_count(session: Session, occurrence: Occurrence) -> dict:
    checked_in = (
        session.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.occurrence_id == occurrence.id)) or 0
    )
    return {
        "occurrence": occurrence,
        "checked_in": checked_in,
        "sold": occurrence.sold,
        "capacity": occurrence.capacity,
    }
