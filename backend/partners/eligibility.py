"""Who may use an offer, when, and how many uses are left.

Supporter-card hook
-------------------
Offers may require a network's supporter card (e.g. CSBNO's). Cards are issued by
another domain (the +Teca campaigns), which registers its check here::

    from backend.partners.eligibility import register_supporter_card_check

    @register_supporter_card_check
    def holds_card(session, patron_id: int, network_id: int, at: datetime) -> bool: ...

``patron_id`` and ``network_id`` are internal ids (``Patron.id``, ``Network.id`` of
the agreement's network); ``at`` is the aware UTC time of the use. A patron holds a
card when any registered check says so; with nothing registered, nobody does.

Limits
------
Per patron per Europe/Rome day, ISO week (Monday to Sunday), calendar month and in
total, counted in uses (one redemption is one use, whatever its quantity), over
accepted, flagged and approved redemptions; and in total for the offer
(``Offer.used``, kept only when ``total_limit`` is set).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import Session

from backend.accounts.models import Patron
from backend.i18n import ROME
from backend.partners.models import COUNTED_STATES, AgreementState, Offer, OfferState, Redemption, agreement_networks

SupporterCardCheck = Callable[[Session, int, int, datetime], bool]
_supporter_card_checks: list[SupporterCardCheck] = []


def register_supporter_card_check(check: SupporterCardCheck) -> SupporterCardCheck:
    _supporter_card_checks.append(check)
    return check


def holds_supporter_card(session: Session, patron_id: int, network_id: int, at: datetime) -> bool:
    return any(check(session, patron_id, network_id, at) for check in _supporter_card_checks)


def age_band(birth_date: date | None, on: date) -> str | None:
    if birth_date is None:
        return None
    age = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
    if age < 14:
        return "under_14"
    if age < 18:
        return "14_17"
    if age < 26:
        return "18_25"
    if age < 65:
        return "26_64"
    return "65_plus"


# Built once: every validation runs it (on the session's connection: it reads a link table).
_AGREEMENT_COVERS = select(agreement_networks.c.agreement_id).where(
    agreement_networks.c.agreement_id == bindparam("agreement_id"),
    agreement_networks.c.network_id == bindparam("network_id"),
)


def ineligibility(
    session: Session, offer: Offer, patron: Patron, at: datetime, covered: bool | None = None
) -> str | None:
    """Why ``patron`` may not use ``offer`` (``network``, ``home_library``, ``age_band``,
    ``supporter_card``), or None. ``covered``: whether the agreement covers the patron's network,
    when the caller read it already (a till's validation reads it with the pass)."""
    agreement = offer.agreement
    if covered is None:
        covered = bool(
            session.connection().scalar(
                _AGREEMENT_COVERS, {"agreement_id": agreement.id, "network_id": patron.home_network_id}
            )
        )
    if not covered:
        return "network"
    if offer.network_ids and patron.home_network.public_id not in offer.network_ids:
        return "network"
    if offer.library_ids and (patron.home_library is None or patron.home_library.public_id not in offer.library_ids):
        return "home_library"
    if offer.age_bands and age_band(patron.birth_date, at.astimezone(ROME).date()) not in offer.age_bands:
        return "age_band"
    if offer.requires_supporter_card and not holds_supporter_card(session, patron.id, agreement.network_id, at):
        return "supporter_card"
    return None


def invalidity(offer: Offer, at: datetime) -> tuple[str, str] | None:
    """``("revoked" | "dates", …)`` or ``("hours", when)`` when the offer can't be used at ``at``."""
    agreement = offer.agreement
    # A revocation counts from its moment: an offline till's earlier use stays good.
    for thing, active in ((offer, OfferState.ACTIVE), (agreement, AgreementState.ACTIVE)):
        if thing.state != active and (thing.revoked_at is None or thing.revoked_at <= at):
            return "revoked", ""
    local = at.astimezone(ROME)
    day = local.date()
    if not (offer.valid_from <= day <= offer.valid_to and agreement.valid_from <= day <= agreement.valid_to):
        return "dates", f"{offer.valid_from.isoformat()} – {offer.valid_to.isoformat()}"
    if offer.weekdays and local.isoweekday() not in offer.weekdays:
        return "hours", schedule_text(offer)
    now_hm = local.strftime("%H:%M")
    if offer.time_from and now_hm < offer.time_from or offer.time_to and now_hm >= offer.time_to:
        return "hours", schedule_text(offer)
    return None


_DAY_NAMES = {1: "lun/Mon", 2: "mar/Tue", 3: "mer/Wed", 4: "gio/Thu", 5: "ven/Fri", 6: "sab/Sat", 7: "dom/Sun"}


def schedule_text(offer: Offer) -> str:
    days = ", ".join(_DAY_NAMES[d] for d in sorted(offer.weekdays)) if offer.weekdays else "*"
    hours = f"{offer.time_from or '00:00'}–{offer.time_to or '24:00'}"
    return f"{days} {hours}"


# --- limits -------------------------------------------------------------------------------

PATRON_PERIODS = ("day", "week", "month", "total")


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), ROME).astimezone(UTC)


def period_bounds(period: str, at: datetime) -> tuple[datetime | None, datetime | None]:
    """[start, end) in UTC of the Europe/Rome period containing ``at`` (None, None for total)."""
    day = at.astimezone(ROME).date()
    if period == "day":
        return _local_midnight(day), _local_midnight(day + timedelta(days=1))
    if period == "week":
        monday = day - timedelta(days=day.isoweekday() - 1)
        return _local_midnight(monday), _local_midnight(monday + timedelta(days=7))
    if period == "month":
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return _local_midnight(first), _local_midnight(following)
    return None, None


def patron_limits(offer: Offer) -> dict[str, int]:
    limits = {
        "day": offer.per_patron_day,
        "week": offer.per_patron_week,
        "month": offer.per_patron_month,
        "total": offer.per_patron_total,
    }
    return {period: limit for period, limit in limits.items() if limit is not None}


def usage_params(patron_id: int, offer: Offer, at: datetime) -> dict:
    """The parameters of ``usage_statement``: the patron, the offer, each limited period's bounds."""
    params: dict = {"patron_id": patron_id, "offer_id": offer.id}
    for period in patron_limits(offer):
        if period != "total":
            params[f"{period}_start"], params[f"{period}_end"] = period_bounds(period, at)
    return params


def usage(session: Session, patron_id: int, offer: Offer, at: datetime) -> dict[str, int]:
    """Uses of ``offer`` by the patron in each limited period containing ``at`` (one query)."""
    limits = patron_limits(offer)
    if not limits:
        return {}
    row = session.connection().execute(usage_statement(tuple(limits)), usage_params(patron_id, offer, at)).one()
    return {period: int(value) for period, value in zip(limits, row)}


@cache
def usage_statement(periods: tuple[str, ...]):
    """Built once per combination of limited periods (at most 16): the count of each, in one row
    (a column named after each period)."""
    redemptions = Redemption.__table__
    columns = []
    for period in periods:
        if period == "total":
            columns.append(func.count().label(period))
        else:
            inside = (redemptions.c.scanned_at >= bindparam(f"{period}_start", type_=redemptions.c.scanned_at.type)) & (
                redemptions.c.scanned_at < bindparam(f"{period}_end", type_=redemptions.c.scanned_at.type)
            )
            columns.append(func.coalesce(func.sum(case((inside, 1), else_=0)), 0).label(period))
    return select(*columns).where(
        redemptions.c.patron_id == bindparam("patron_id"),
        redemptions.c.offer_id == bindparam("offer_id"),
        redemptions.c.state.in_(COUNTED_STATES),
    )


@dataclass(frozen=True)
class Allowance:
    """How many uses are left now (None: unlimited) and when the binding limit resets."""

    uses_left: int | None
    resets_at: datetime | None
    period: str | None  # the binding limit: day | week | month | total | offer
    limit: int | None


def allowance(offer: Offer, counts: dict[str, int], at: datetime) -> Allowance:
    """The tightest limit; among exhausted ones, the one that resets last (never, for totals)."""
    candidates = []
    for period, limit in patron_limits(offer).items():
        resets = period_bounds(period, at)[1]
        candidates.append((period, limit, max(limit - counts.get(period, 0), 0), resets))
    if offer.total_limit is not None:
        candidates.append(("offer", offer.total_limit, max(offer.total_limit - offer.used, 0), None))
    if not candidates:
        return Allowance(None, None, None, None)
    period, limit, left, resets = min(candidates, key=lambda c: (c[2], -(c[3].timestamp() if c[3] else float("inf"))))
    return Allowance(left, resets, period, limit)
