"""The staff audit trail: every staff action that changes money or rights, in one append-only table.

Where it is written (one hook each, not an edit in every domain):

- **Money:** every journal entry posted while a staff member is the caller, from the
  ledger's entry hook (``backend.ledger.services.register_entry_hook``): the entry, its
  kind, memo, reference and each posting (account key and amount) as ``after``. That
  covers desk top-ups and payouts, fee waivers and refunds, ticket refunds, partner
  approvals, adjustments, clearing settlements: whatever a staff request books.
- **Rights:** staff created or deactivated (``backend.accounts.staffing``), with the role
  and scope before and after.
- **Finance decisions:** a period closed or reopened, a clearing transfer marked paid, a
  partner settlement approved or paid.
- **Money owed or promised without an entry:** a fee charged or waived (``backend.fees``), a
  partner agreement (its budget cap) or offer created or revoked and a partner's IBAN or
  terms changed (``backend.partners.catalog``), each with before and after.

A command-line operator has no staff account: ``borsellino admin`` binds a ``system``
principal named after the OS user (``cli:<user>``) with the channel ``cli``.

The caller is bound to the request's database session by the web layer (``bind_staff``
from ``@allow`` and the console's ``@staff_page``), so services need no extra argument
and a job or a patron's request writes nothing here. Rows are only ever inserted: the
code has no update or delete path and PostgreSQL refuses both with a trigger.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from backend.accounts.models import Network
from backend.auth.principal import Principal
from backend.db import utcnow
from backend.finance.models import StaffAuditEvent
from backend.ledger.models import JournalEntry
from backend.ledger.services import Leg, register_entry_hook

_KEY = "audit_staff"


@dataclass(frozen=True)
class StaffContext:
    principal: Principal
    channel: str  # api, console, cli


def bind_staff(session: Session, principal: Principal, channel: str) -> None:
    """Make ``principal`` the author of what this session writes (staff only; patrons are not audited here)."""
    if principal.role != "patron":
        session.info[_KEY] = StaffContext(principal, channel)


def bound_staff(session: Session) -> StaffContext | None:
    context = session.info.get(_KEY)
    return context if isinstance(context, StaffContext) else None


def record(
    session: Session,
    action: str,
    *,
    target: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    principal: Principal | None = None,
    channel: str | None = None,
    now: datetime | None = None,
) -> StaffAuditEvent | None:
    """Append one event by ``principal`` (default: the staff member bound to the session); None without one."""
    context = bound_staff(session)
    if principal is None and context is not None:
        principal = context.principal
    if principal is None or principal.role == "patron":
        return None
    network_id = (
        session.scalar(select(Network.id).where(Network.public_id == principal.network_id))
        if principal.network_id
        else None
    )
    event = StaffAuditEvent(
        actor=principal.subject,
        actor_role=principal.role,
        network_id=network_id,
        session_id=principal.session_id,
        channel=channel or (context.channel if context else "api"),
        action=action,
        target=target,
        before=before,
        after=after,
        created_at=now or utcnow(),
    )
    session.add(event)
    return event


def events_for(
    session: Session,
    network_id: int,
    *,
    action: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select:
    """The network's audit events (its staff's actions), for ``paginate``.

    Filters: action prefix, actor, and when (``since`` included, ``until`` excluded).
    """
    stmt = select(StaffAuditEvent).where(StaffAuditEvent.network_id == network_id)
    if action:
        stmt = stmt.where(StaffAuditEvent.action.startswith(action, autoescape=True))
    if actor:
        stmt = stmt.where(StaffAuditEvent.actor == actor)
    if since is not None:
        stmt = stmt.where(StaffAuditEvent.created_at >= since)
    if until is not None:
        stmt = stmt.where(StaffAuditEvent.created_at < until)
    return stmt


def _entry_posted(session: Session, entry: JournalEntry, legs: Sequence[Leg]) -> None:
    if bound_staff(session) is None:
        return
    record(
        session,
        "ledger.entry",
        target=entry.public_id,
        after={
            "kind": entry.kind,
            "memo": entry.memo,
            "reference": entry.reference,
            "currency": entry.currency,
            "postings": [{"account": leg.account.key, "amount": leg.amount} for leg in legs],
        },
    )


register_entry_hook(_entry_posted)
