"""Top-ups by pagoPA: the notice, its receipt, its expiry.

Our top-up record first, then the debt position at pagoPA (its ``iupd`` is
ours, so a retry finds it rather than making a second debt), published at
once. The patron pays the notice anywhere: in the pagoPA checkout, a bank's
app, a post office. Only a verified receipt credits the wallet, exactly once,
with funding source ``pagopa``: the paid-receipt notification (whose receipt
is read back from pagoPA before anything is booked) or the settle job asking
pagoPA about positions whose receipt never came. Both go through
``apply_receipt``, whose guarded status change credits once whatever the
number and order of deliveries. A notice past its due date is invalidated at
pagoPA and the top-up expires, crediting nothing; a receipt that arrives
after that is still credited (the money arrived) and flagged for finance.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.accounts.models import Network, Patron
from backend.config import Settings
from backend.db import dialect_insert, get_or_404, utcnow
from backend.errors import DomainError
from backend.ledger.services import Funding, house_account
from backend.money import Money
from backend.notify.services import notify, notify_staff
from backend.states import transition
from backend.topups.errors import (
    NOT_A_PAGOPA_TOPUP,
    PAYMENT_PROVIDER_UNAVAILABLE,
    RECEIPT_NOT_AVAILABLE,
    TOPUP_METHOD_NOT_OFFERED,
    TOPUP_NOT_CANCELABLE,
    UNKNOWN_NOTICE,
)
from backend.topups.models import (
    LATE_RECEIPT_STATES,
    TOPUP_TRANSITIONS,
    PagopaNotice,
    ProviderEvent,
    Topup,
    TopupState,
)
from backend.topups.services import check_topup_amount, credit_topup
from payments.base import Creditor, Debtor, NoticeProvider, PaidReceipt, PaymentError
from payments.pagopa import new_iuv, notice_number

log = logging.getLogger(__name__)

PROVIDER = "pagopa"
# A receipt may lag the payment by minutes; the settle job asks after this.
SETTLE_AFTER = timedelta(minutes=10)
# How long after the due date we still look for a late receipt.
LATE_WITHIN = timedelta(days=60)


def subject(language: str = "it") -> str:
    return "Ricarica del borsellino elettronico" if language == "it" else "Electronic wallet top-up"


# --- which methods -----------------------------------------------------------------


def methods_for(settings: Settings, patron: Patron) -> tuple[str, ...]:
    """The top-up methods the patron's network offers (``stripe``, ``pagopa``)."""
    return settings.channels_of(patron.home_network.code)


def check_method_offered(settings: Settings, patron: Patron, method: str) -> None:
    offered = methods_for(settings, patron)
    if method not in offered:
        raise DomainError(TOPUP_METHOD_NOT_OFFERED, param="method", offered=", ".join(offered) or "-")


def creditor_of(settings: Settings, network: Network) -> Creditor:
    creditor = settings.pagopa_creditor(network.code)
    if creditor is None:
        log.error("network %s offers pagoPA but has no creditor configured", network.code)
        raise DomainError(PAYMENT_PROVIDER_UNAVAILABLE)
    return replace(creditor, name=network.name)


# --- starting --------------------------------------------------------------------


@dataclass
class StartedNotice:
    topup: Topup
    notice: PagopaNotice
    creditor: Creditor


def start_pagopa_topup(
    session: Session,
    provider: NoticeProvider,
    settings: Settings,
    patron: Patron,
    money: Money,
    *,
    now: datetime | None = None,
) -> StartedNotice:
    """Our record first, then the debt position (one payment option, one transfer to the network's IBAN)."""
    now = now or utcnow()
    check_method_offered(settings, patron, "pagopa")
    check_topup_amount(session, settings, patron, money)
    creditor = creditor_of(settings, patron.home_network)
    topup = Topup(
        patron_id=patron.id,
        amount=money.amount,
        currency=money.currency,
        status=TopupState.PENDING,
        provider=PROVIDER,
    )
    session.add(topup)
    session.flush()
    iuv = new_iuv(creditor.segregation_code)
    notice = PagopaNotice(
        topup_id=topup.id,
        network_id=patron.home_network_id,
        iupd=f"BRS-{topup.public_id}",
        iuv=iuv,
        notice_number=notice_number(iuv),
        creditor_fiscal_code=creditor.fiscal_code,
        due_at=now + timedelta(days=settings.pagopa_notice_days),
        created_at=now,
    )
    session.add(notice)
    session.flush()
    try:
        provider.create_position(
            creditor,
            iupd=notice.iupd,
            iuv=iuv,
            amount=money.amount,
            description=f"{subject()} {topup.public_id}",
            # No codice fiscale is kept for patrons: the notice goes to the anonymous debtor.
            debtor=Debtor(full_name=patron.display_name or patron.card_number),
            due_at=notice.due_at,
        )
        position = provider.publish(creditor, notice.iupd)
    except PaymentError as exc:
        log.warning("pagoPA refused to open top-up %s: %s", topup.public_id, exc)
        raise DomainError(PAYMENT_PROVIDER_UNAVAILABLE) from exc
    if position.status not in ("valid", "published"):
        log.warning("pagoPA position %s is %s right after publishing", notice.iupd, position.status)
        raise DomainError(PAYMENT_PROVIDER_UNAVAILABLE)
    notice.published_at = now
    session.flush()
    return StartedNotice(topup, notice, creditor)


def notice_of(session: Session, patron: Patron, topup_id: str) -> tuple[Topup, PagopaNotice]:
    topup = get_or_404(session, Topup, topup_id, patron_id=patron.id)
    notice = session.scalar(select(PagopaNotice).where(PagopaNotice.topup_id == topup.id))
    if notice is None:
        raise DomainError(NOT_A_PAGOPA_TOPUP)
    return topup, notice


def notices_by_topup(session: Session, topup_ids: list[int]) -> dict[int, PagopaNotice]:
    if not topup_ids:
        return {}
    return {n.topup_id: n for n in session.scalars(select(PagopaNotice).where(PagopaNotice.topup_id.in_(topup_ids)))}


# --- the receipt ------------------------------------------------------------------


def _move(session: Session, topup: Topup, target: TopupState, **values) -> bool:
    changed = session.execute(
        transition(Topup, TOPUP_TRANSITIONS, target, Topup.id == topup.id).values(updated_at=utcnow(), **values)
    ).rowcount
    session.refresh(topup)
    return changed == 1


def apply_receipt(session: Session, notice: PagopaNotice, receipt: PaidReceipt) -> str:
    """Book a verified receipt once (by receipt id, and by the guarded status change); returns what was done."""
    if receipt.outcome != "OK":
        return "not_paid"
    if (receipt.iuv, receipt.creditor_fiscal_code) != (notice.iuv, notice.creditor_fiscal_code):
        raise ValueError("receipt of another notice")
    claimed = session.execute(
        dialect_insert(session)(ProviderEvent)
        .values(provider=PROVIDER, event_id=f"rt:{receipt.receipt_id}"[:120], type="paid_receipt", received_at=utcnow())
        .on_conflict_do_nothing(index_elements=["provider", "event_id"])
        .returning(ProviderEvent.id)
    ).scalar()
    if claimed is None:
        return "duplicate"
    topup = notice.topup
    outcome = _settle(session, notice, topup, receipt)
    session.execute(ProviderEvent.__table__.update().where(ProviderEvent.id == claimed).values(outcome=outcome[:40]))
    log.info("pagoPA receipt for top-up %s: %s", topup.public_id, outcome)
    return outcome


def _settle(session: Session, notice: PagopaNotice, topup: Topup, receipt: PaidReceipt) -> str:
    was = TopupState(topup.status)
    if receipt.amount != topup.amount:
        if _move(session, topup, TopupState.AMOUNT_MISMATCH, failure_code=f"pagoPA receipt of {receipt.amount}"):
            log.error("top-up %s: pagoPA receipt of another amount; not credited", topup.public_id)
            return "amount_mismatch"
        return "already_settled"
    if not _move(session, topup, TopupState.SUCCEEDED, settled_at=utcnow(), failure_code=None):
        return "already_settled"
    late = was in LATE_RECEIPT_STATES
    notice.receipt_id = receipt.receipt_id
    notice.paid_at = receipt.paid_at
    notice.psp_id = receipt.psp_id[:35] or None
    notice.psp_name = receipt.psp[:140] or None
    notice.late_receipt = late
    _credit_wallet(session, topup, notice)
    if late:
        log.warning("top-up %s: receipt after the notice was %s; credited and flagged", topup.public_id, was)
        notify_staff(
            session,
            notice.network,
            "pagopa_late_receipt",
            dedupe_key=f"pagopa_late:{notice.iuv}",
            amount=Money(topup.amount, topup.currency),
            notice=notice.notice_number,
            state=was.value,
        )
        return "credited_late"
    return "credited"


def _credit_wallet(session: Session, topup: Topup, notice: PagopaNotice) -> None:
    network = notice.network
    clearing = house_account(session, "pagopa_clearing", network.public_id, topup.currency, network=network)
    credit_topup(
        session,
        topup,
        clearing,
        kind="topup_pagopa",
        memo=f"pagoPA top-up, notice {notice.notice_number}",
        funding=Funding("pagopa", provider_ref=notice.iuv),
        method="pagopa",
    )


def find_notice(session: Session, creditor_fiscal_code: str, iuv: str) -> PagopaNotice:
    notice = session.scalar(
        select(PagopaNotice).where(PagopaNotice.creditor_fiscal_code == creditor_fiscal_code, PagopaNotice.iuv == iuv)
    )
    if notice is None:
        raise DomainError(UNKNOWN_NOTICE, param="creditorReferenceId")
    return notice


def creditor_for_notice(settings: Settings, notice: PagopaNotice) -> Creditor:
    return creditor_of(settings, notice.network)


def receive_receipt_notification(
    session: Session, provider: NoticeProvider, settings: Settings, creditor_fiscal_code: str, iuv: str
) -> str:
    """A paid-receipt notification (already authenticated): the receipt is read back from pagoPA, then booked.

    Nothing in the notification's body is trusted beyond which notice it names.
    Unknown notice: 404 (the notifier retries; our top-up may not be committed
    yet). pagoPA not confirming yet: 409, retried the same way.
    """
    notice = find_notice(session, creditor_fiscal_code, iuv)
    receipt = _fetch_receipt(provider, creditor_for_notice(settings, notice), iuv)
    if receipt is None:
        raise DomainError(RECEIPT_NOT_AVAILABLE)
    return apply_receipt(session, notice, receipt)


def _fetch_receipt(provider: NoticeProvider, creditor: Creditor, iuv: str) -> PaidReceipt | None:
    try:
        return provider.retrieve_receipt(creditor, iuv)
    except PaymentError as exc:
        raise DomainError(PAYMENT_PROVIDER_UNAVAILABLE) from exc


# --- giving up on a notice -----------------------------------------------------------


def _withdraw(
    session: Session, provider: NoticeProvider, settings: Settings, notice: PagopaNotice, target: TopupState
) -> str:
    """Invalidate the position at pagoPA, then move the top-up (unless a receipt turns out to be there)."""
    creditor = creditor_for_notice(settings, notice)
    receipt = _fetch_receipt(provider, creditor, notice.iuv)
    if receipt is not None:
        return apply_receipt(session, notice, receipt)
    try:
        position = provider.invalidate(creditor, notice.iupd)
    except PaymentError as exc:
        raise DomainError(PAYMENT_PROVIDER_UNAVAILABLE) from exc
    if position.status in ("paid", "partially_paid", "reported"):
        return "paid_awaiting_receipt"  # the receipt will follow; the settle job asks again
    if not _move(session, notice.topup, target, settled_at=utcnow()):
        return "already_settled"
    notify(session, notice.topup.patron, "topup_failed", amount=Money(notice.topup.amount, notice.topup.currency))
    return target.value


def cancel_pagopa_topup(
    session: Session, provider: NoticeProvider, settings: Settings, patron: Patron, topup_id: str
) -> Topup:
    """The patron withdraws an unpaid notice: nobody can pay it any more."""
    topup, notice = notice_of(session, patron, topup_id)
    if topup.status != TopupState.PENDING:
        raise DomainError(TOPUP_NOT_CANCELABLE)
    outcome = _withdraw(session, provider, settings, notice, TopupState.INVALIDATED)
    if outcome == "paid_awaiting_receipt":
        raise DomainError(TOPUP_NOT_CANCELABLE)
    session.refresh(topup)
    return topup


# --- settle job ------------------------------------------------------------------------


def notices_to_settle(session: Session, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Open notices old enough to ask about, and given-up ones still within reach of a late receipt."""
    now = now or utcnow()
    return list(
        session.scalars(
            select(PagopaNotice.id)
            .join(Topup, Topup.id == PagopaNotice.topup_id)
            .where(
                ((Topup.status == TopupState.PENDING) & (PagopaNotice.created_at <= now - SETTLE_AFTER))
                | (Topup.status.in_(LATE_RECEIPT_STATES) & (PagopaNotice.due_at >= now - LATE_WITHIN))
            )
            .order_by(PagopaNotice.id)
            .limit(limit)
        )
    )


def settle_notice(
    session: Session, provider: NoticeProvider, settings: Settings, notice_id: int, now: datetime | None = None
) -> str:
    now = now or utcnow()
    notice = session.get(PagopaNotice, notice_id)
    if notice is None:
        return "gone"
    status = notice.topup.status
    if status not in (TopupState.PENDING, *LATE_RECEIPT_STATES):
        return "already_settled"
    if status == TopupState.PENDING and now >= notice.due_at:
        return _withdraw(session, provider, settings, notice, TopupState.EXPIRED)
    receipt = _fetch_receipt(provider, creditor_for_notice(settings, notice), notice.iuv)
    if receipt is None:
        return "still_pending" if status == TopupState.PENDING else "no_late_receipt"
    return apply_receipt(session, notice, receipt)


# --- the demo ----------------------------------------------------------------------------


def sandbox_pay(session: Session, provider: NoticeProvider, settings: Settings, topup: Topup) -> str:
    """Pay a notice in the offline sandbox and book its receipt as a real one would be (demo only)."""
    from payments.pagopa_sandbox import SandboxNoticeProvider

    if not isinstance(provider, SandboxNoticeProvider):
        raise RuntimeError("paying a notice offline needs the pagoPA sandbox")
    notice = session.scalar(select(PagopaNotice).where(PagopaNotice.topup_id == topup.id))
    if notice is None:
        raise DomainError(NOT_A_PAGOPA_TOPUP)
    receipt = provider.pay(creditor_for_notice(settings, notice), iuv=notice.iuv, amount=topup.amount)
    return apply_receipt(session, notice, receipt)
