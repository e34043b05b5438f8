"""The reconciliation engine, the same for every source.

A source adapter (``stripe_payouts`` for card payouts; a pagoPA flow later)
stores the statement's lines on a run and says what of ours could be behind
them (``OurMovement``: one ledger entry each, keyed like the lines). The engine
then, per key (kind + payment id):

1. pairs lines and movements of equal amount (within the tolerance) one to one;
   a match within the tolerance whose amounts differ books the difference once, on
   the run's account against the network's ``reconciliation_differences``, and the
   item names that entry (it stays matched, so re-runs never book it again);
2. matches what is left as a group when the sums agree (Stripe groups: two
   refunds made at Stripe booked as one cumulative refund, a payment in parts),
   or records an ``amount_difference`` when they don't;
3. leaves lines with nothing behind them ``unexpected``, and our movements booked
   before the run's cut-off that no statement carries ``missing_external``.

Re-running is idempotent: matched and resolved items are kept, open exceptions
are recomputed from the same lines and the ledger as it is now, and a ledger
entry is consumed by one matching item only (a unique index, not a promise).
An exception of an earlier run that a later statement matches is resolved
there automatically, with a note naming the run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from backend.accounts.models import Network
from backend.auth.principal import Principal
from backend.db import dialect_insert, get_or_404, new_public_id, utcnow
from backend.errors import DomainError
from backend.finance import audit
from backend.finance.reconciliation.errors import EXCEPTION_NOT_OPEN, NOTE_REQUIRED
from backend.finance.reconciliation.models import (
    ITEM_TRANSITIONS,
    RUN_TRANSITIONS,
    ItemRef,
    ItemState,
    LineKind,
    Outcome,
    ReconciliationItem,
    ReconciliationRun,
    RunState,
    StatementLine,
)
from backend.ledger.models import LedgerAccount
from backend.ledger.services import credit, debit, house_account, post_entry
from backend.money import Money
from backend.states import transition

DIFFERENCE_ENTRY_KIND = "reconciliation_difference"

# Lines the run's own booking accounts for: matched by that booking, never exceptions.
BOOKED_BY_RUN = (LineKind.FEE, LineKind.ADJUSTMENT)

# Our bookings and the source's own clock differ by the time a webhook takes:
# a movement this close to the cut-off is not yet called missing.
CUTOFF_GRACE = timedelta(minutes=15)


@dataclass(frozen=True)
class OurMovement:
    """One of our ledger entries as the source should see it (signed like its lines)."""

    ref: str  # the journal entry's public id
    label: str  # the business object behind it (a top-up, a donation, a refund)
    kind: str  # LineKind
    match_key: str | None
    amount: int
    occurred_at: datetime
    network_id: int | None = None


@dataclass(frozen=True)
class StatementEntry:
    """One line of an external statement, in the engine's words (signed: > 0 into the account)."""

    external_id: str
    kind: str  # LineKind
    amount: int
    fee: int
    match_key: str | None
    occurred_at: datetime
    description: str = ""


def record_statement(
    session: Session,
    *,
    source: str,
    external_ref: str,
    network: Network,
    account: LedgerAccount,
    amount: int,
    statement_date: date,
    lines: list[StatementEntry],
    cutoff_at: datetime,
) -> tuple[ReconciliationRun, bool]:
    """The run of one statement with its lines, created once; ``True`` when this call created it.

    Two deliveries of the same statement (a webhook and the job) may race: the run is
    insert-or-ignore on (source, statement id), then locked, so one of them books it.
    """
    fees = sum(line.fee for line in lines) - sum(line.amount for line in lines if line.kind == LineKind.FEE)
    inserted = session.execute(
        dialect_insert(session)(ReconciliationRun)
        .values(
            public_id=new_public_id(ReconciliationRun.PUBLIC_ID_PREFIX),
            source=source,
            external_ref=external_ref,
            network_id=network.id,
            account_id=account.id,
            currency=account.currency,
            status=RunState.OPEN,
            statement_amount=amount,
            statement_date=statement_date,
            gross_amount=sum(line.amount for line in lines if line.kind != LineKind.FEE),
            fee_amount=fees,
            cutoff_at=cutoff_at,
            matched_count=0,
            exception_count=0,
            open_exception_count=0,
            run_count=0,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["source", "external_ref"])
        .returning(ReconciliationRun.id)
    ).scalar()
    run = session.scalars(
        select(ReconciliationRun)
        .where(ReconciliationRun.source == source, ReconciliationRun.external_ref == external_ref)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if inserted is None:
        return run, False
    if lines:
        session.execute(
            insert(StatementLine),
            [
                dict(
                    run_id=run.id,
                    source=source,
                    external_id=line.external_id,
                    kind=line.kind,
                    amount=line.amount,
                    fee=line.fee,
                    currency=account.currency,
                    match_key=line.match_key,
                    occurred_at=line.occurred_at,
                    description=line.description[:300],
                )
                for line in lines
            ],
        )
    return run, True


# source -> fn(session, run) -> our movements not yet consumed by any match
Candidates = Callable[[Session, ReconciliationRun], list[OurMovement]]
_CANDIDATES: dict[str, Candidates] = {}


def register_source(source: str, candidates: Candidates) -> None:
    """A source says where its candidates come from; the engine does the rest."""
    _CANDIDATES[source] = candidates


def consumed_refs(session: Session, source: str, side: str) -> set[str]:
    return set(
        session.scalars(
            select(ItemRef.ref).where(ItemRef.source == source, ItemRef.side == side, ItemRef.consumed.is_(True))
        )
    )


def _already_flagged(session: Session, source: str, run: ReconciliationRun) -> set[str]:
    """Our refs that a run already lists as missing (open or resolved; this run's open ones are gone)."""
    return set(
        session.scalars(
            select(ItemRef.ref)
            .join(ReconciliationItem, ReconciliationItem.id == ItemRef.item_id)
            .where(
                ItemRef.source == source,
                ItemRef.side == "ours",
                ReconciliationItem.outcome == Outcome.MISSING_EXTERNAL,
            )
        )
    )


def reconcile(session: Session, run: ReconciliationRun, *, tolerance: int = 0, now: datetime | None = None) -> None:
    """Match the run's lines against our movements; safe to call any number of times."""
    now = now or utcnow()
    # One re-run at a time per run (the row lock; SQLite writers are serialized anyway).
    session.scalars(select(ReconciliationRun.id).where(ReconciliationRun.id == run.id).with_for_update()).one_or_none()
    open_ids = set(
        session.scalars(
            select(ReconciliationItem.id).where(
                ReconciliationItem.run_id == run.id, ReconciliationItem.status == ItemState.OPEN
            )
        )
    )
    if open_ids:
        session.execute(
            delete(ItemRef).where(ItemRef.item_id.in_(open_ids)).execution_options(synchronize_session=False)
        )
        session.execute(
            delete(ReconciliationItem)
            .where(ReconciliationItem.id.in_(open_ids))
            .execution_options(synchronize_session=False)
        )
        # Forget the deleted rows only (SQLite may hand their ids to the new items).
        for obj in list(session.identity_map.values()):
            if (isinstance(obj, ReconciliationItem) and obj.id in open_ids) or (
                isinstance(obj, ItemRef) and obj.item_id in open_ids
            ):
                session.expunge(obj)

    kept_external = set(
        session.scalars(
            select(ItemRef.ref)
            .join(ReconciliationItem, ReconciliationItem.id == ItemRef.item_id)
            .where(ReconciliationItem.run_id == run.id, ItemRef.side == "external")
        )
    )
    lines = [
        line
        for line in session.scalars(
            select(StatementLine).where(StatementLine.run_id == run.id).order_by(StatementLine.id)
        )
        if line.external_id not in kept_external
    ]
    ours = _CANDIDATES[run.source](session, run)

    by_key_lines: dict[tuple[str, str | None], list[StatementLine]] = defaultdict(list)
    by_key_ours: dict[tuple[str, str | None], list[OurMovement]] = defaultdict(list)
    for line in lines:
        if line.kind in BOOKED_BY_RUN:
            # What the source kept for itself or corrected on its own: nothing of ours behind
            # it, booked by the run (``stripe_payouts.book_payout``).
            _item(session, run, Outcome.MATCHED, line.kind, None, [line], [], our_amount=line.amount)
            continue
        by_key_lines[(line.kind, line.match_key)].append(line)
    for movement in ours:
        by_key_ours[(movement.kind, movement.match_key)].append(movement)

    leftover: list[OurMovement] = []
    for key in list(by_key_ours) + [k for k in by_key_lines if k not in by_key_ours]:
        kind, match_key = key
        theirs = list(by_key_lines.get(key, []))
        mine = list(by_key_ours.get(key, []))
        if match_key is None:
            # Nothing to pair them by: each line is unexpected, each of ours waits.
            for line in theirs:
                _item(session, run, Outcome.UNEXPECTED, kind, None, [line], [])
            leftover.extend(mine)
            continue
        # 1. one to one, equal amounts first, then within the tolerance
        for exact in (True, False):
            for line in list(theirs):
                found = next(
                    (
                        m
                        for m in mine
                        if (m.amount == line.amount if exact else abs(m.amount - line.amount) <= tolerance)
                    ),
                    None,
                )
                if found is not None:
                    _item(session, run, Outcome.MATCHED, kind, match_key, [line], [found])
                    theirs.remove(line)
                    mine.remove(found)
        # 2. what is left, as a group
        if theirs and mine:
            same = abs(sum(line.amount for line in theirs) - sum(m.amount for m in mine)) <= tolerance
            _item(session, run, Outcome.MATCHED if same else Outcome.AMOUNT_DIFFERENCE, kind, match_key, theirs, mine)
            continue
        for line in theirs:
            _item(session, run, Outcome.UNEXPECTED, kind, match_key, [line], [])
        leftover.extend(mine)

    # 3. ours, booked before the cut-off, in no statement
    flagged = _already_flagged(session, run.source, run)
    cutoff = run.cutoff_at - CUTOFF_GRACE
    for movement in leftover:
        if movement.occurred_at <= cutoff and movement.ref not in flagged:
            _item(session, run, Outcome.MISSING_EXTERNAL, movement.kind, movement.match_key, [], [movement])

    session.flush()
    _resolve_found_elsewhere(session, run, now)
    refresh_counts(session, run, now=now, ran=True)


def _item(
    session: Session,
    run: ReconciliationRun,
    outcome: Outcome,
    kind: str,
    match_key: str | None,
    lines: Iterable[StatementLine],
    ours: Iterable[OurMovement],
    *,
    our_amount: int | None = None,
) -> ReconciliationItem:
    lines, ours = list(lines), list(ours)
    consumed = outcome in (Outcome.MATCHED, Outcome.AMOUNT_DIFFERENCE)
    networks = {m.network_id for m in ours if m.network_id is not None}
    item = ReconciliationItem(
        run_id=run.id,
        outcome=outcome,
        status=ItemState.MATCHED if outcome == Outcome.MATCHED else ItemState.OPEN,
        kind=kind,
        match_key=match_key,
        currency=run.currency,
        external_amount=sum(line.amount for line in lines),
        our_amount=our_amount if our_amount is not None else sum(m.amount for m in ours),
        network_id=networks.pop() if len(networks) == 1 else None,
    )
    session.add(item)
    session.flush()
    if outcome == Outcome.MATCHED and item.difference:
        _book_difference(session, run, item)
    session.add_all(
        [
            ItemRef(
                item_id=item.id,
                source=run.source,
                side="external",
                ref=line.external_id,
                label=line.description[:64],
                amount=line.amount,
                consumed=consumed,
            )
            for line in lines
        ]
        + [
            ItemRef(
                item_id=item.id,
                source=run.source,
                side="ours",
                ref=m.ref,
                label=m.label,
                amount=m.amount,
                consumed=consumed,
            )
            for m in ours
        ]
    )
    return item


def _book_difference(session: Session, run: ReconciliationRun, item: ReconciliationItem) -> None:
    """The run's account moves to what the statement says; the gap is the network's gain or cost.

    Lines and our movements are signed alike (> 0 into the account), so a statement that
    says more than we booked debits the account and credits the differences account."""
    network = session.get(Network, run.network_id)
    account = session.get(LedgerAccount, run.account_id)
    differences = house_account(session, "reconciliation_differences", network.public_id, run.currency, network=network)
    gap = Money(abs(item.difference), run.currency)
    legs = (
        [debit(account, gap), credit(differences, gap)]
        if item.difference > 0
        else [debit(differences, gap), credit(account, gap)]
    )
    entry = post_entry(
        session,
        kind=DIFFERENCE_ENTRY_KIND,
        legs=legs,
        memo=f"{run.source} {run.external_ref}: {item.kind} {item.match_key or ''} differs by {item.difference}"[:300],
        reference=item.public_id,
    )
    item.difference_entry_id = entry.id
    session.flush()


def _resolve_found_elsewhere(session: Session, run: ReconciliationRun, now: datetime) -> None:
    """A movement another run called missing turned up in this statement: that exception is settled."""
    matched_here = (
        select(ItemRef.ref)
        .join(ReconciliationItem, ReconciliationItem.id == ItemRef.item_id)
        .where(ReconciliationItem.run_id == run.id, ItemRef.side == "ours", ItemRef.consumed.is_(True))
    )
    stale = session.execute(
        select(ReconciliationItem.id, ReconciliationItem.run_id)
        .join(ItemRef, ItemRef.item_id == ReconciliationItem.id)
        .where(
            ReconciliationItem.outcome == Outcome.MISSING_EXTERNAL,
            ReconciliationItem.status == ItemState.OPEN,
            ReconciliationItem.run_id != run.id,
            ItemRef.side == "ours",
            ItemRef.ref.in_(matched_here),
        )
    ).all()
    for item_id, run_id in stale:
        session.execute(
            transition(
                ReconciliationItem, ITEM_TRANSITIONS, ItemState.RESOLVED, ReconciliationItem.id == item_id
            ).values(note=f"found in a later statement ({run.external_ref})", resolved_by="system", resolved_at=now)
        )
        other = session.get(ReconciliationRun, run_id)
        if other is not None:
            refresh_counts(session, other, now=now)


def refresh_counts(session: Session, run: ReconciliationRun, *, now: datetime, ran: bool = False) -> None:
    counts = dict(
        session.execute(
            select(ReconciliationItem.status, func.count())
            .where(ReconciliationItem.run_id == run.id)
            .group_by(ReconciliationItem.status)
        ).all()
    )
    open_count = counts.get(ItemState.OPEN, 0)
    values: dict = dict(
        matched_count=counts.get(ItemState.MATCHED, 0),
        exception_count=open_count + counts.get(ItemState.RESOLVED, 0),
        open_exception_count=open_count,
    )
    if ran:
        values.update(run_count=ReconciliationRun.run_count + 1, last_run_at=now)
    session.execute(
        update(ReconciliationRun)
        .where(ReconciliationRun.id == run.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    target = RunState.OPEN if open_count else RunState.RECONCILED
    if run.status != target:
        session.execute(
            transition(ReconciliationRun, RUN_TRANSITIONS, target, ReconciliationRun.id == run.id).values(status=target)
        )
    session.refresh(run)


# --- what finance does -------------------------------------------------------------


def network_of(session: Session, principal: Principal) -> Network:
    return get_or_404(session, Network, principal.network_id or "")


def run_in_scope(session: Session, principal: Principal, run_id: str) -> ReconciliationRun:
    """A run of the caller's network (another network's run is a 404)."""
    return get_or_404(session, ReconciliationRun, run_id, network_id=network_of(session, principal).id)


def runs_query(session: Session, principal: Principal, *, status: str | None = None, source: str | None = None):
    stmt = select(ReconciliationRun).where(ReconciliationRun.network_id == network_of(session, principal).id)
    if status:
        stmt = stmt.where(ReconciliationRun.status == status)
    if source:
        stmt = stmt.where(ReconciliationRun.source == source)
    return stmt


def items_query(run: ReconciliationRun, *, exceptions_only: bool = False, status: str | None = None):
    stmt = select(ReconciliationItem).where(ReconciliationItem.run_id == run.id)
    if exceptions_only:
        stmt = stmt.where(ReconciliationItem.outcome != Outcome.MATCHED)
    if status:
        stmt = stmt.where(ReconciliationItem.status == status)
    return stmt


def rerun(session: Session, principal: Principal, run_id: str, *, tolerance: int, now: datetime | None = None):
    run = run_in_scope(session, principal, run_id)
    reconcile(session, run, tolerance=tolerance, now=now)
    return run


def resolve_item(
    session: Session, principal: Principal, run_id: str, item_id: str, note: str, *, now: datetime | None = None
) -> ReconciliationItem:
    """Finance closes an exception with a note; the note and who wrote it are kept for good."""
    now = now or utcnow()
    note = (note or "").strip()
    if not note:
        raise DomainError(NOTE_REQUIRED, param="note")
    run = run_in_scope(session, principal, run_id)
    item = get_or_404(session, ReconciliationItem, item_id, run_id=run.id)
    moved = session.execute(
        transition(ReconciliationItem, ITEM_TRANSITIONS, ItemState.RESOLVED, ReconciliationItem.id == item.id).values(
            note=note[:1000], resolved_by=principal.subject, resolved_at=now
        )
    ).rowcount
    if moved != 1:
        raise DomainError(EXCEPTION_NOT_OPEN, status=item.status)
    session.refresh(item)
    audit.record(
        session,
        "reconciliation.exception_resolved",
        target=item.public_id,
        before={"status": ItemState.OPEN.value},
        after={"status": ItemState.RESOLVED.value, "note": item.note, "run": run.public_id},
        principal=principal,
        now=now,
    )
    refresh_counts(session, run, now=now)
    return item
