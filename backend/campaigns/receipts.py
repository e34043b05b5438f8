"""Donation receipts (HTML + PDF, Italian and English), the donor's yearly summary, the owner's Art Bonus report.

Numbers are gap-free per owner and year (``TECA-RHO-2026-000042``, the Europe/Rome
year of the donation, as the receipt's date), from the same counters as desk
receipts (``backend.receipts.services.next_number``). The counter row is the
one place where donations of one owner meet, so it is kept out of the donation
itself: the ``campaigns_issue_receipts`` job numbers collected donations in
order, and a donor asking for a receipt not yet numbered gets it numbered on the
spot. Either way the number is taken in the transaction that writes the
receipt, so a rollback never leaves a gap, and the donor's "donation received,
the receipt is in the app" notification is queued in that same transaction
(once per receipt, so once per donation).

Art Bonus: the receipt states the eligible amount (card money) apart from the
part funded by cash, which is not eligible.

Card money taken back later (a refund made at the provider, a dispute not won, the
refund of a missed all-or-nothing goal, from the deadline on, also while the provider
has not paid it yet) is not a donation any more: the receipt states it, and the
donor's yearly summary and the owner's Art Bonus report count only what the donation
still gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from babel.dates import format_datetime
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from backend.accounts.models import Library, Network, Patron
from backend.campaigns.errors import RECEIPT_NOT_READY
from backend.campaigns.models import Campaign, Donation, DonationReceipt, DonationState, Purpose
from backend.db import utcnow
from backend.errors import DomainError
from backend.events.times import in_rome
from backend.i18n import LOCALES, ROME, Text
from backend.money import Money
from backend.notify.services import notify
from backend.receipts.render import html_page, pdf_document
from backend.receipts.services import next_number

# Receipts exist for money collected; a refund later does not unmake them.
RECEIPTED_STATES = (DonationState.SUCCEEDED, DonationState.REFUND_PENDING, DonationState.REFUNDED)


def series_of(donation: Donation) -> str:
    campaign = donation.campaign
    if campaign is not None and campaign.library is not None:
        return f"TECA-{campaign.library.code.upper()}"
    return f"TECA-{donation.network.code.upper()}"


def beneficiary_and_purpose(donation: Donation) -> tuple[str, str]:
    campaign = donation.campaign
    if campaign is None:
        return donation.network.name, f"Tessera sostenitore +Teca / +Teca supporter card – {donation.network.name}"
    if campaign.art_bonus:
        return (campaign.art_bonus_beneficiary or campaign.owner_name, campaign.art_bonus_purpose or campaign.title)
    return campaign.owner_name, campaign.title


def issue_receipt(session: Session, donation: Donation) -> DonationReceipt:
    """The donation's receipt, numbered now if it has none yet."""
    found = receipt_of(session, donation)
    if found is not None:
        return found
    # The job and the donor may ask at once: the donation's row lock makes the second wait and
    # then find the first one's receipt (taking a number first would leave a gap).
    session.execute(select(Donation.id).where(Donation.id == donation.id).with_for_update())
    found = receipt_of(session, donation)
    if found is not None:
        return found
    if donation.state not in RECEIPTED_STATES:
        raise DomainError(RECEIPT_NOT_READY, state=donation.state)
    series = series_of(donation)
    now = utcnow()
    donated_at = donation.succeeded_at or now
    # The series year is the receipt's date's, in Europe/Rome: 23:30 UTC on 31 December is already
    # the next year there (and a receipt numbered in January for a December donation is December's).
    year = in_rome(donated_at).year
    sequence = next_number(session, series, year)
    beneficiary, purpose = beneficiary_and_purpose(donation)
    receipt = DonationReceipt(
        donation_id=donation.id,
        series=series,
        year=year,
        sequence=sequence,
        number=f"{series}-{year}-{sequence:06d}",
        donor_name=donation.patron.display_name,
        beneficiary=beneficiary[:300],
        purpose=purpose[:500],
        amount=donation.amount,
        eligible_amount=donation.eligible_amount or 0,
        currency=donation.currency,
        method=donation.method,
        donated_at=donated_at,
        created_at=now,
    )
    receipt.donation = donation
    session.add(receipt)
    session.flush()
    if donation.purpose == Purpose.CAMPAIGN and donation.hold_id is None and donation.state == DonationState.SUCCEEDED:
        # The donor's thanks ("the receipt is in the app") goes with the receipt, once, as it is
        # numbered: out of the donation's request, which stays lean in a rush. A pledge collected
        # at the deadline was told "campaign funded" instead.
        notify(
            session, donation.patron, "donation_received", campaign_title=donation.campaign.title, amount=donation.money
        )
    return receipt


def receipt_of(session: Session, donation: Donation) -> DonationReceipt | None:
    return session.scalar(select(DonationReceipt).where(DonationReceipt.donation_id == donation.id))


def issue_pending_receipts(session: Session, limit: int = 500) -> int:
    """The job: number collected donations that have no receipt yet, oldest first."""
    ids = session.scalars(
        select(Donation.id)
        .where(
            Donation.state.in_(RECEIPTED_STATES),
            ~select(DonationReceipt.id).where(DonationReceipt.donation_id == Donation.id).exists(),
        )
        .order_by(Donation.id)
        .limit(limit)
    ).all()
    for donation_id in ids:
        issue_receipt(session, session.get(Donation, donation_id))
    return len(ids)


# --- rendering ---------------------------------------------------------------------------

LABELS = {
    "title": Text(it="Ricevuta di erogazione liberale", en="Donation receipt"),
    "title_art_bonus": Text(it="Ricevuta di erogazione liberale – Art Bonus", en="Donation receipt – Art Bonus"),
    "receipt": Text(it="Ricevuta n.", en="Receipt no."),
    "date": Text(it="Data", en="Date"),
    "beneficiary": Text(it="Beneficiario", en="Beneficiary"),
    "purpose": Text(it="Finalità", en="Purpose"),
    "donor": Text(it="Donatore", en="Donor"),
    "tax_code": Text(it="Codice fiscale", en="Tax code (codice fiscale)"),
    "amount": Text(it="Importo", en="Amount"),
    "method": Text(it="Metodo di pagamento", en="Payment method"),
    "eligible": Text(it="Importo ammesso all'Art Bonus", en="Amount eligible for the Art Bonus"),
    "not_eligible": Text(it="Non ammesso (versato in contanti)", en="Not eligible (paid in cash)"),
    "taken_back": Text(
        it="Restituito al donatore (rimborso o contestazione sulla carta)",
        en="Given back to the donor (card refund or dispute)",
    ),
    "being_given_back": Text(
        it="In restituzione al donatore (obiettivo non raggiunto: rimborso sulla carta in corso)",
        en="Being given back to the donor (goal not reached: card refund under way)",
    ),
    "kept": Text(it="Importo della donazione", en="Amount donated"),
    "footer": Text(
        it="+Teca – Rete delle Reti. Erogazione liberale a favore della cultura.",
        en="+Teca – Rete delle Reti. A donation in support of culture.",
    ),
    "footer_art_bonus": Text(
        it="Erogazione liberale ai sensi dell'art. 1 del D.L. 31 maggio 2014, n. 83 (Art Bonus), "
        "effettuata con mezzi tracciabili per l'importo ammesso. Conservare per la dichiarazione dei redditi.",
        en="Donation under art. 1 of Decree-Law 83 of 31 May 2014 (Art Bonus), made by traceable means for the "
        "eligible amount. Keep it for your tax return.",
    ),
}
METHODS = {
    "wallet": Text(it="borsellino elettronico", en="electronic wallet"),
    "card": Text(it="carta di pagamento", en="payment card"),
}


def _when(moment: datetime, language: str) -> str:
    return format_datetime(moment.astimezone(ROME), "d MMMM yyyy HH:mm", locale=LOCALES.get(language, "it_IT"))


def receipt_rows(receipt: DonationReceipt, language: str) -> tuple[str, list[tuple[str, str]], str]:
    donation = receipt.donation
    art_bonus = donation.art_bonus_requested
    money = lambda amount: Money(amount, receipt.currency).format(language)  # noqa: E731
    rows = [
        (LABELS["receipt"].render(language), receipt.number),
        (LABELS["date"].render(language), _when(receipt.donated_at, language)),
        (LABELS["beneficiary"].render(language), receipt.beneficiary),
        (LABELS["purpose"].render(language), receipt.purpose),
        (LABELS["donor"].render(language), receipt.donor_name),
    ]
    if art_bonus and donation.tax_code:
        rows.append((LABELS["tax_code"].render(language), donation.tax_code))
    rows += [
        (LABELS["amount"].render(language), money(receipt.amount)),
        (LABELS["method"].render(language), METHODS[receipt.method].render(language)),
    ]
    kept = min(receipt.amount, donation.kept_amount)
    if kept < receipt.amount:
        given_back = "being_given_back" if donation.state == DonationState.REFUND_PENDING else "taken_back"
        rows.append((LABELS[given_back].render(language), money(receipt.amount - kept)))
        rows.append((LABELS["kept"].render(language), money(kept)))
    if art_bonus:
        eligible = min(receipt.eligible_amount, kept)
        rows.append((LABELS["eligible"].render(language), money(eligible)))
        if eligible < kept:
            rows.append((LABELS["not_eligible"].render(language), money(kept - eligible)))
    title = LABELS["title_art_bonus" if art_bonus else "title"].render(language)
    footer = LABELS["footer_art_bonus" if art_bonus else "footer"].render(language)
    return title, rows, footer


def render_html(receipt: DonationReceipt, language: str) -> str:
    title, rows, footer = receipt_rows(receipt, language)
    return html_page(title, rows, receipt.number, language, footer)


def render_pdf(receipt: DonationReceipt, language: str) -> bytes:
    title, rows, footer = receipt_rows(receipt, language)
    return pdf_document(title, rows, receipt.number, footer)


# --- summaries ---------------------------------------------------------------------------


def _rome_bounds(year: int, month: int | None = None) -> tuple[datetime, datetime]:
    if month is None:
        start, end = datetime(year, 1, 1, tzinfo=ROME), datetime(year + 1, 1, 1, tzinfo=ROME)
    else:
        start = datetime(year, month, 1, tzinfo=ROME)
        end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=ROME)
    return start.astimezone(UTC), end.astimezone(UTC)


@dataclass
class SummaryLine:
    donation: Donation
    receipt: DonationReceipt | None


def donor_summary(session: Session, patron: Patron, year: int) -> dict:
    """The donor's collected donations of a (Europe/Rome) year, for the tax return."""
    start, end = _rome_bounds(year)
    donations = list(
        session.scalars(
            select(Donation)
            .where(
                Donation.patron_id == patron.id,
                Donation.state.in_(RECEIPTED_STATES),
                Donation.succeeded_at >= start,
                Donation.succeeded_at < end,
            )
            .order_by(Donation.succeeded_at, Donation.id)
        )
    )
    donations = [d for d in donations if d.kept_amount > 0]  # all of it taken back: nothing to declare
    lines = [SummaryLine(d, issue_receipt(session, d)) for d in donations]
    currency = "EUR"
    return {
        "year": year,
        "total": Money(sum(d.kept_amount for d in donations), currency),
        "art_bonus_eligible": Money(sum(d.kept_eligible for d in donations if d.art_bonus_requested), currency),
        "donations": [_summary_item(line) for line in lines],
    }


def _summary_item(line: SummaryLine) -> dict:
    donation, receipt = line.donation, line.receipt
    beneficiary, purpose = beneficiary_and_purpose(donation)
    return {
        "donation_id": donation.public_id,
        "receipt_number": receipt.number if receipt else None,
        "date": donation.succeeded_at,
        "beneficiary": beneficiary,
        "purpose": purpose,
        "amount": Money(donation.kept_amount, donation.currency),
        "method": donation.method,
        "art_bonus": donation.art_bonus_requested,
        "art_bonus_eligible": Money(donation.kept_eligible if donation.art_bonus_requested else 0, donation.currency),
    }


def art_bonus_donations(session: Session, owner: ColumnElement[bool], start: datetime, end: datetime) -> list[Donation]:
    """The Art Bonus donations of the campaigns ``owner`` selects received in [start, end), as
    the owner must report them: asked for, collected, and still giving something."""
    donations = session.scalars(
        select(Donation)
        .join(Campaign, Campaign.id == Donation.campaign_id)
        .where(
            owner,
            Campaign.art_bonus.is_(True),
            Donation.purpose == Purpose.CAMPAIGN,
            Donation.state.in_(RECEIPTED_STATES),
            Donation.art_bonus_requested.is_(True),
            Donation.succeeded_at >= start,
            Donation.succeeded_at < end,
        )
        .order_by(Donation.succeeded_at, Donation.id)
    )
    return [d for d in donations if d.kept_amount > 0]


def art_bonus_report(session: Session, network: Network, library: Library | None, year: int, month: int) -> dict:
    """Art Bonus donations an owner received in a (Europe/Rome) month: what it must report.

    It lists the donors who asked for an Art Bonus receipt, with name and
    codice fiscale, also those who chose to be anonymous on the wall (the
    report is for the tax declaration, never published; ``anonymous`` says so).
    """
    start, end = _rome_bounds(year, month)
    owner = (
        (Campaign.library_id == library.id)
        if library is not None
        else ((Campaign.network_id == network.id) & Campaign.library_id.is_(None))
    )
    donations = art_bonus_donations(session, owner, start, end)
    rows = []
    for donation in donations:
        receipt = issue_receipt(session, donation)
        rows.append(
            {
                "receipt_number": receipt.number,
                "date": donation.succeeded_at,
                "campaign_id": donation.campaign.public_id,
                "campaign_title": donation.campaign.title,
                "donor_name": receipt.donor_name,
                "tax_code": donation.tax_code,
                "amount": Money(donation.kept_amount, donation.currency),
                "art_bonus_eligible": Money(donation.kept_eligible, donation.currency),
                "method": donation.method,
                "anonymous": donation.visibility == "anonymous",
            }
        )
    return {
        "owner": library.name if library is not None else network.name,
        "year": year,
        "month": month,
        "total": Money(sum(d.kept_amount for d in donations), "EUR"),
        "total_eligible": Money(sum(d.kept_eligible for d in donations), "EUR"),
        "donations": rows,
    }
