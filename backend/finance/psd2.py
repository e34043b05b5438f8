"""PSD2 limited-network monitor: the wallet's payment volume over the last 12 months.

The wallet is used only inside the libraries' networks and with their partners, which
PSD2 (art. 3(k), in Italy d.lgs. 11/2010 art. 2 c. 2 lett. m) leaves outside the payment
services rules, as long as the issuer tells the Banca d'Italia once the payment
transactions executed in the preceding 12 months exceed 1,000,000 € (art. 37(2)).

What counts: every payment made *with* the wallet (a wallet debit: fees, tickets, donations,
supporter cards, partner tills, shop), gross of later refunds. Not payments: money taken back
out of the wallet (cash payouts, refunds to card, disputes) and reversals of postings.

A daily job warns finance and admins from 80 % (once a month per network and level), and
above the threshold the report carries a draft of the notification.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.accounts.models import Network
from backend.auth.principal import Principal
from backend.db import utcnow
from backend.finance.periods import network_of
from backend.i18n import ROME
from backend.ledger.models import JournalEntry, LedgerAccount, Posting
from backend.money import Money
from backend.notify.services import notify_staff

THRESHOLD = 1_000_000_00  # cents
WARN_SHARE = 0.80
# Wallet debits that take money back out, not payments with it.
NOT_PAYMENTS = (
    "payout_cash",
    "card_refund",
    "card_refund_external",
    "card_dispute",
    "reversal",
)


@dataclass(frozen=True)
class Volume:
    amount: int  # cents
    transactions: int

    @property
    def share(self) -> float:
        return self.amount / THRESHOLD

    @property
    def level(self) -> str:
        """ok, warning (from 80 %), exceeded (above 1,000,000 €)."""
        if self.amount > THRESHOLD:
            return "exceeded"
        if self.amount >= THRESHOLD * WARN_SHARE:
            return "warning"
        return "ok"


def window(now: datetime) -> tuple[datetime, datetime]:
    """The preceding 12 months: from the same day and time a year ago (Europe/Rome) to now."""
    local = now.astimezone(ROME)
    try:
        start = local.replace(year=local.year - 1)
    except ValueError:  # 29 February
        start = local.replace(year=local.year - 1, day=28)
    return start, now


def volumes(session: Session, now: datetime | None = None) -> dict[int, Volume]:
    """{network id: Volume} of wallet payments in the window, by the network that issued the wallet."""
    start, end = window(now or utcnow())
    rows = session.execute(
        select(LedgerAccount.network_id, func.sum(Posting.amount), func.count(func.distinct(Posting.entry_id)))
        .join(Posting, Posting.account_id == LedgerAccount.id)
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(
            LedgerAccount.kind == "wallet",
            Posting.amount > 0,  # a wallet debit: the patron paid with it
            JournalEntry.kind.not_in(NOT_PAYMENTS),
            Posting.created_at >= start,
            Posting.created_at < end,
        )
        .group_by(LedgerAccount.network_id)
    ).all()
    return {int(nid): Volume(int(amount), int(count)) for nid, amount, count in rows if nid is not None}


def monitor(session: Session, principal: Principal, *, now: datetime | None = None) -> dict:
    """The caller's network's volume and the total of all networks, with a draft above the threshold."""
    network = network_of(session, principal)
    now = now or utcnow()
    start, end = window(now)
    by_network = volumes(session, now)
    mine = by_network.get(network.id, Volume(0, 0))
    total = Volume(sum(v.amount for v in by_network.values()), sum(v.transactions for v in by_network.values()))
    return {
        "window_start": start,
        "window_end": end,
        "threshold": Money(THRESHOLD),
        "warn_at": Money(int(THRESHOLD * WARN_SHARE)),
        "network": _present(mine),
        "all_networks": _present(total),
        "draft": draft_notification(network, total, start, end) if total.level == "exceeded" else None,
    }


def _present(volume: Volume) -> dict:
    return {
        "volume": Money(volume.amount),
        "transactions": volume.transactions,
        "share": round(volume.share, 4),
        "level": volume.level,
    }


def draft_notification(network: Network, total: Volume, start: datetime, end: datetime) -> str:
    """A draft of the notification to the Banca d'Italia, for finance to complete and sign."""
    amount = Money(total.amount).format("it")
    return (
        "Spett.le Banca d'Italia\n"
        "Dipartimento Circolazione monetaria e pagamenti al dettaglio\n\n"
        "Oggetto: comunicazione ai sensi dell'art. 37, paragrafo 2, della direttiva (UE) 2015/2366 "
        "e dell'art. 2, comma 2, lettera m), del d.lgs. 27 gennaio 2010, n. 11 (rete limitata)\n\n"
        "La cooperazione Rete delle Reti, per il borsellino elettronico delle biblioteche delle reti "
        "aderenti, utilizzabile esclusivamente presso le biblioteche delle reti e i partner convenzionati, "
        f"comunica che il valore complessivo delle operazioni di pagamento eseguite nei dodici mesi "
        f"dal {start.astimezone(ROME):%d/%m/%Y} al {end.astimezone(ROME):%d/%m/%Y} è pari a {amount} "
        f"({total.transactions} operazioni), superiore alla soglia di 1.000.000,00 €.\n\n"
        "Si allegano la descrizione dei servizi offerti e l'elenco delle reti e dei partner presso i quali "
        "lo strumento è utilizzabile, e si indica l'esclusione di cui ci si avvale.\n\n"
        f"Referente: ufficio finanza della rete {network.name}.\n"
        "[Da completare: denominazione e sede del soggetto emittente, codice fiscale, firma del legale "
        "rappresentante.]\n"
    )


def warn(session: Session, *, now: datetime | None = None) -> int:
    """The daily job: tell finance and admins of each network at 80 % and above the threshold (its own
    volume or the total of all networks), once a month per level. Returns how many networks were told."""
    now = now or utcnow()
    by_network = volumes(session, now)
    total = Volume(sum(v.amount for v in by_network.values()), sum(v.transactions for v in by_network.values()))
    month = now.astimezone(ROME).strftime("%Y-%m")
    told = 0
    for network in session.scalars(select(Network).order_by(Network.id)):
        own = by_network.get(network.id, Volume(0, 0))
        worst = max((own, total), key=lambda v: v.amount)
        if worst.level == "ok":
            continue
        notify_staff(
            session,
            network,
            f"psd2_{worst.level}",
            volume=Money(worst.amount),
            network_volume=Money(own.amount),
            share=f"{worst.share:.0%}",
            dedupe_key=f"psd2:{worst.level}:{month}:{network.public_id}",
        )
        told += 1
    return told
