"""A pass used at a till: online (judged now, exactly once) or uploaded from an offline till.

Online, every rule refuses with a precise 422. The patron's row is locked
(``FOR NO KEY UPDATE``, as ticket purchases do) before the uses are counted, so the
same pass at two tills at the same moment with one use left gives one acceptance;
the offer's total and the agreement's budget are guarded UPDATEs on their rows,
taken only when a limit or cap exists (an offer without them never queues on a row).

Offline tills verified the code themselves (cached keys and revocation list) and
gave the benefit, so at upload a use that breaks a rule (a limit, eligibility, a
revocation made before the scan, hours, budget) is **kept and flagged** for finance,
not reimbursed until approved; a code that is not genuine, another partner's venue or
offer are refused. Each scan carries the till's ``scan_id``: uploading it again
returns the first result and changes nothing.

A network-borne benefit is reimbursed in the same transaction: one ledger entry
debiting the network's ``partner_reimbursements`` expense and crediting what the
network owes the partner (``partner_payable``), so the audit covers it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from babel.dates import format_datetime
from sqlalchemy import bindparam, exists, insert, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from backend.accounts.models import Network, Partner, PartnerVenue, Patron
from backend.auth.principal import Principal
from backend.config import Settings
from backend.db import get_or_404, insert_returning, new_public_id, utcnow
from backend.errors import NOT_FOUND, DomainError, ErrorCode
from backend.i18n import LOCALES, ROME, normalize_language
from backend.ledger.services import credit, debit, house_account, post_entry
from backend.money import Money
from backend.partners import errors as e
from backend.partners.eligibility import (
    Allowance,
    allowance,
    ineligibility,
    invalidity,
    patron_limits,
    usage,
    usage_params,
    usage_statement,
)
from backend.partners.models import (
    REDEMPTION_TRANSITIONS,
    Agreement,
    Offer,
    PassState,
    Redemption,
    RedemptionState,
    offer_venues,
)
from backend.partners.passes import holder_of, loaded, read_code_locking_patron
from backend.partners.scope import TillScope


@dataclass
class Outcome:
    outcome: str  # accepted | flagged | already_recorded
    redemption: Redemption
    holder: dict
    allowance: Allowance | None = None


class _Problem(Exception):
    """A business rule broken: raised online, a flag offline."""

    def __init__(self, error: ErrorCode, **values) -> None:
        super().__init__(error.code)
        self.error, self.values = error, values


def price(offer: Offer, list_price: int, quantity: int) -> tuple[int, int, int]:
    """(discount, price to ask, reimbursement due from the network), all in cents, for ``quantity``."""
    gross = list_price * quantity
    kind, value = offer.benefit_kind, offer.benefit_value
    if kind == "percent_off":
        discount = (gross * value + 50) // 100
    elif kind == "amount_off":
        discount = min(value, list_price) * quantity
    elif kind == "fixed_price":
        discount = max(list_price - value, 0) * quantity
    elif kind == "free_entry":
        discount = gross
    else:  # two_for_one: every second ticket is free
        discount = list_price * (quantity // 2)
    discount = min(discount, gross)
    reimbursement = 0
    if offer.bearer == "network":
        if offer.reimbursement_rule == "percent":
            reimbursement = (gross * offer.reimbursement_value + 50) // 100
        elif offer.reimbursement_rule == "fixed":
            reimbursement = offer.reimbursement_value
        # The network never pays back more than the patron was spared.
        reimbursement = min(reimbursement, discount)
    return discount, gross - discount, reimbursement


def resets_text(moment: datetime | None, language: str) -> str:
    if moment is None:
        return "mai" if language == "it" else "never"
    return format_datetime(moment.astimezone(ROME), "d MMM yyyy HH:mm", locale=LOCALES[language])


def _iso(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


_VENUES, _OFFERS, _AGREEMENTS = PartnerVenue.__table__, Offer.__table__, Agreement.__table__
# Built once: every validation reads the partner's venue, the offer with its agreement (if
# the partner has it) and whether the venue offers it, in one statement.
_SCENE = (
    select(
        *_VENUES.c,
        *_OFFERS.c,
        *_AGREEMENTS.c,
        exists()
        .where(offer_venues.c.offer_id == _OFFERS.c.id, offer_venues.c.venue_id == _VENUES.c.id)
        .label("at_venue"),
    )
    .select_from(
        _VENUES.outerjoin(
            _OFFERS.join(
                _AGREEMENTS,
                (_AGREEMENTS.c.id == _OFFERS.c.agreement_id) & (_AGREEMENTS.c.partner_id == bindparam("partner_id")),
            ),
            _OFFERS.c.public_id == bindparam("offer_id"),
        )
    )
    .where(_VENUES.c.public_id == bindparam("venue_id"), _VENUES.c.partner_id == bindparam("partner_id"))
)


def _scene(session: Session, scope: TillScope, venue_id: str, offer_id: str) -> tuple[PartnerVenue, Offer, bool]:
    """The till's venue (404 ``venue_id`` if not theirs), the partner's offer (404 ``offer_id``)
    with its agreement, and whether the venue offers it."""
    if scope.venue is not None and scope.venue.public_id != venue_id:  # staff of one venue: no other
        raise DomainError(NOT_FOUND, param="venue_id")
    row = (
        session.connection()
        .execute(_SCENE, {"venue_id": venue_id, "offer_id": offer_id, "partner_id": scope.partner.id})
        .first()
    )
    if row is None:
        raise DomainError(NOT_FOUND, param="venue_id")
    venues, offers = len(_VENUES.c), len(_VENUES.c) + len(_OFFERS.c)
    if row[offers] is None:  # the agreement's id: no offer of this partner by that id
        raise DomainError(NOT_FOUND, param="offer_id")
    venue = loaded(session, PartnerVenue, row[:venues])
    offer = loaded(session, Offer, row[venues:offers])
    set_committed_value(offer, "agreement", loaded(session, Agreement, row[offers:-1]))
    return venue, offer, bool(row[-1])


def _payable_accounts(session: Session, network: Network, partner: Partner, currency: str):
    payable = house_account(
        session, "partner_payable", f"{network.public_id}:{partner.public_id}", currency, network=network
    )
    return payable


def reimburse(session: Session, redemption: Redemption, agreement: Agreement, partner: Partner, actor: str) -> bool:
    """Within the budget, book the reimbursement (False: the budget is used up)."""
    amount = redemption.reimbursement
    if amount <= 0:
        return True
    if agreement.budget_cap is not None:
        moved = session.execute(
            update(Agreement)
            .where(Agreement.id == agreement.id, Agreement.reimbursed + amount <= Agreement.budget_cap)
            .values(reimbursed=Agreement.reimbursed + amount)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not moved:
            return False
    money = Money(amount, redemption.currency)
    network = agreement.network
    expense = house_account(session, "partner_reimbursements", network.public_id, redemption.currency, network=network)
    payable = _payable_accounts(session, network, partner, redemption.currency)
    entry = post_entry(
        session,
        kind="partner_reimbursement",
        legs=[debit(expense, money), credit(payable, money)],
        memo=f"reimbursement {redemption.public_id}",
        reference=redemption.public_id,
        actor=actor,
    )
    redemption.reimbursement_entry_id = entry.id
    return True


def _take_offer_use(session: Session, offer: Offer) -> bool:
    if offer.total_limit is None:
        return True
    return (
        session.execute(
            update(Offer)
            .where(Offer.id == offer.id, Offer.used + 1 <= Offer.total_limit)
            .values(used=Offer.used + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )


def _limit_reached(room: Allowance, language: str) -> _Problem:
    return _Problem(
        e.LIMIT_REACHED,
        period=room.period,
        limit=room.limit,
        resets=resets_text(room.resets_at, normalize_language(language)),
        resets_at=_iso(room.resets_at),
    )


_REDEMPTIONS = Redemption.__table__
# What an online validation inserts (``redeem``'s row, and the public id).
_ONLINE_COLUMNS = (
    "public_id",
    "offer_id",
    "agreement_id",
    "partner_id",
    "venue_id",
    "patron_id",
    "pass_id",
    "staff_user_id",
    "scan_id",
    "channel",
    "scanned_at",
    "quantity",
    "currency",
    "list_price",
    "discount",
    "price_to_pay",
    "reimbursement",
    "state",
    "flag_reason",
    "created_at",
)


@cache
def _insert_under_limits_statement(periods: tuple[str, ...]):
    """Built once per combination of limited periods (PostgreSQL): the patron's uses of the
    offer counted and the redemption inserted only if every count is under its limit, in one
    statement; it answers the counts and, when inserted, the new row. The patron is locked
    before it runs, so the count and the insert see the same redemptions."""
    counts = usage_statement(periods).cte("counts")
    values = select(*(bindparam(f"new_{name}", type_=_REDEMPTIONS.c[name].type) for name in _ONLINE_COLUMNS)).where(
        *(counts.c[period] < bindparam(f"{period}_limit") for period in periods)
    )
    inserted = (
        insert(_REDEMPTIONS)
        .from_select(list(_ONLINE_COLUMNS), values, include_defaults=False)
        .returning(*_REDEMPTIONS.c)
        .cte("inserted")
    )
    return select(*counts.c, *inserted.c).select_from(counts.outerjoin(inserted, true()))


def _insert_under_limits(session: Session, offer: Offer, at: datetime, row: dict) -> tuple[dict[str, int], Any]:
    limits = patron_limits(offer)
    params = usage_params(row["patron_id"], offer, at)
    params.update({f"{period}_limit": limit for period, limit in limits.items()})
    params.update({f"new_{name}": value for name, value in row.items()})
    params["new_public_id"] = new_public_id(Redemption.PUBLIC_ID_PREFIX)
    found = session.connection().execute(_insert_under_limits_statement(tuple(limits)), params).one()
    counts = {period: int(value) for period, value in zip(limits, found)}
    inserted = found[len(limits) :]
    return counts, (loaded(session, Redemption, inserted) if inserted[0] is not None else None)


def redeem(
    session: Session,
    settings: Settings,
    scope: TillScope,
    *,
    code: str,
    venue_id: str,
    offer_id: str,
    list_price: Money,
    quantity: int,
    scan_id: str | None = None,
    scanned_at: datetime | None = None,
    offline: bool = False,
    language: str = "it",
    now: datetime | None = None,
) -> Outcome:
    now = now or utcnow()
    partner = scope.partner
    if scan_id is not None:
        earlier = session.scalar(
            select(Redemption).where(Redemption.partner_id == partner.id, Redemption.scan_id == scan_id)
        )
        if earlier is not None:
            return Outcome("already_recorded", earlier, holder_of(earlier.patron, earlier.scanned_at.date()))
    at = min(scanned_at, now) if (offline and scanned_at is not None) else now
    venue, offer, at_venue = _scene(session, scope, venue_id, offer_id)
    if not 1 <= quantity <= offer.max_quantity:
        raise DomainError(e.QUANTITY_INVALID, param="quantity", max_quantity=offer.max_quantity)
    pass_, covered = read_code_locking_patron(session, settings, code, at, offer.agreement_id)
    if not at_venue:
        raise DomainError(e.WRONG_VENUE, param="venue_id")
    patron: Patron = pass_.patron
    agreement = offer.agreement
    holder = holder_of(patron, at.astimezone(ROME).date())
    discount, to_pay, reimbursement = price(offer, list_price.amount, quantity)
    flag: _Problem | None = None
    room = None
    # Online on PostgreSQL, the patron's uses are counted by the insert itself (below).
    counted_with_insert = (
        not offline
        and scan_id is None
        and bool(patron_limits(offer))
        and (offer.total_limit is None or offer.used < offer.total_limit)
        and session.get_bind().dialect.name == "postgresql"
    )
    try:
        if pass_.state != PassState.ACTIVE and (pass_.revoked_at is None or pass_.revoked_at <= at):
            raise _Problem(e.PASS_REVOKED)
        problem = invalidity(offer, at)
        if problem is not None:
            reason, when = problem
            if reason == "hours":
                raise _Problem(e.OUTSIDE_HOURS, when=when)
            raise _Problem(e.OFFER_NOT_VALID, reason=reason)
        reason = ineligibility(session, offer, patron, at, covered)
        if reason is not None:
            raise _Problem(e.NOT_ELIGIBLE, reason=reason)
        # The patron is locked since the pass was read: the uses counted now are all of them.
        if not counted_with_insert:
            room = allowance(offer, usage(session, patron.id, offer, at), at)
            if room.uses_left == 0:
                raise _limit_reached(room, language)
    except _Problem as broken:
        if not offline:
            raise DomainError(broken.error, **broken.values) from None
        flag = broken
    row = dict(
        offer_id=offer.id,
        agreement_id=agreement.id,
        partner_id=partner.id,
        venue_id=venue.id,
        patron_id=patron.id,
        pass_id=pass_.id,
        staff_user_id=scope.staff.id,
        scan_id=scan_id,
        channel="offline" if offline else "online",
        scanned_at=at,
        quantity=quantity,
        currency=list_price.currency,
        list_price=list_price.amount,
        discount=discount,
        price_to_pay=to_pay,
        reimbursement=reimbursement,
        state=RedemptionState.FLAGGED if flag else RedemptionState.ACCEPTED,
        flag_reason=flag.error.code if flag else None,
        created_at=now,
    )
    if scan_id is not None:
        redemption = Redemption(**row)
        try:
            with session.begin_nested():
                session.add(redemption)
                session.flush()
        except IntegrityError:  # the same scan uploaded at the same moment by another request
            earlier = session.scalar(
                select(Redemption).where(Redemption.partner_id == partner.id, Redemption.scan_id == scan_id)
            )
            return Outcome("already_recorded", earlier, holder)
    elif counted_with_insert:
        session.flush()  # what is pending first (the statement writes only its row)
        counts, redemption = _insert_under_limits(session, offer, at, row)
        room = allowance(offer, counts, at)
        if redemption is None:  # a patron limit is reached: nothing was written
            broken = _limit_reached(room, language)
            raise DomainError(broken.error, **broken.values)
    else:
        session.flush()  # what is pending first (insert_returning writes only its row)
        [redemption] = insert_returning(session, Redemption, [row])
    # The response shows them: held by the redemption, not looked up (or read again) later.
    for name, value in (("offer", offer), ("venue", venue), ("patron", patron)):
        set_committed_value(redemption, name, value)
    if flag is None:
        refusal = None
        if not _take_offer_use(session, offer):
            refusal = _Problem(
                e.LIMIT_REACHED,
                period="offer",
                limit=offer.total_limit,
                resets=resets_text(None, normalize_language(language)),
                resets_at=None,
            )
        elif not reimburse(session, redemption, agreement, partner, scope.staff.public_id):
            refusal = _Problem(e.BUDGET_EXHAUSTED)
        if refusal is not None:
            if not offline:
                raise DomainError(refusal.error, **refusal.values)
            redemption.state, redemption.flag_reason = RedemptionState.FLAGGED, refusal.error.code
            flag = refusal
            session.flush()
    if room is not None and room.uses_left is not None and flag is None:
        room = Allowance(room.uses_left - 1, room.resets_at, room.period, room.limit)
    return Outcome("flagged" if flag else "accepted", redemption, holder, room)


@dataclass
class BatchItemResult:
    scan_id: str
    outcome: str  # accepted | flagged | already_recorded | refused
    redemption: Redemption | None = None
    error: DomainError | None = None


def redeem_batch(
    session: Session,
    settings: Settings,
    scope: TillScope,
    scans: list[dict],
    *,
    language: str = "it",
    now: datetime | None = None,
) -> list[BatchItemResult]:
    """Offline uses uploaded together: each judged alone, none fails the others."""
    now = now or utcnow()
    results = []
    for item in scans:
        try:
            with session.begin_nested():
                outcome = redeem(
                    session,
                    settings,
                    scope,
                    code=item["code"],
                    venue_id=item["venue_id"],
                    offer_id=item["offer_id"],
                    list_price=item["list_price"],
                    quantity=item["quantity"],
                    scan_id=item["scan_id"],
                    scanned_at=item["scanned_at"],
                    offline=True,
                    language=language,
                    now=now,
                )
            results.append(BatchItemResult(item["scan_id"], outcome.outcome, outcome.redemption))
        except DomainError as refused:
            results.append(BatchItemResult(item["scan_id"], "refused", error=refused))
    return results


# --- review of flagged uses (finance) -----------------------------------------------------


def _reviewable(session: Session, principal: Principal, redemption_id: str) -> Redemption:
    redemption = get_or_404(session, Redemption, redemption_id, param="redemption_id")
    agreement = session.get(Agreement, redemption.agreement_id)
    if agreement.network.public_id != principal.network_id:
        raise DomainError(NOT_FOUND, param="redemption_id")
    return redemption


def _move(session: Session, redemption: Redemption, target: RedemptionState, actor: str, now: datetime) -> None:
    moved = session.execute(
        update(Redemption)
        .where(Redemption.id == redemption.id, Redemption.state.in_(REDEMPTION_TRANSITIONS.sources_of(target)))
        .values(state=target, reviewed_by=actor, reviewed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(redemption)
    if not moved:
        REDEMPTION_TRANSITIONS.check(RedemptionState(redemption.state), target, state=redemption.state)


def approve(session: Session, principal: Principal, redemption_id: str, now: datetime | None = None) -> Redemption:
    """Finance accepts a flagged use: it is reimbursed now, within the budget."""
    now = now or utcnow()
    redemption = _reviewable(session, principal, redemption_id)
    _move(session, redemption, RedemptionState.APPROVED, principal.subject, now)
    agreement = session.get(Agreement, redemption.agreement_id)
    if not reimburse(session, redemption, agreement, agreement.partner, principal.subject):
        raise DomainError(e.BUDGET_EXHAUSTED)
    session.flush()
    return redemption


def reject(session: Session, principal: Principal, redemption_id: str, now: datetime | None = None) -> Redemption:
    now = now or utcnow()
    redemption = _reviewable(session, principal, redemption_id)
    _move(session, redemption, RedemptionState.REJECTED, principal.subject, now)
    return redemption
