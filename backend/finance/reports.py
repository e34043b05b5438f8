"""Finance reports of one network and month: read from the ledger, shown as tables.

Each report is a ``Table`` (columns and rows of plain values, money in cents, times UTC);
``backend.finance.exports`` writes it as CSV for machines (ISO dates, cents), CSV for
people in Italy (``;``, dd/mm/yyyy, 1.234,56) or XLSX (real dates and numbers, euros).

A network sees its own accounts only. What its entries put on accounts shared by every
network (the card processor's clearing) is shown, other networks' accounts never: a
payment between networks shows this network's side and its settlement account.

A donor who chose to be anonymous stays so here too. The accounts that are one patron's
(wallet, printing credit) are shown per kind in the trial balance (``wallet:patrons``: what
the network owes all its patrons), and the journal names the patron's side of an anonymous
donation's entries ``wallet:anonymous``: finance reconciles every euro per account kind, and
no report ties a patron to a donation the public wall shows (by its id and amount) without a
name, neither directly nor by subtracting a wallet's other lines from its balance.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from backend.accounts.models import Library, Network
from backend.auth.principal import Principal
from backend.campaigns.models import Campaign, Donation, Visibility
from backend.campaigns.receipts import art_bonus_donations
from backend.errors import NOT_FOUND, DomainError
from backend.finance.models import StaffAuditEvent
from backend.finance.periods import network_of, parse_month
from backend.i18n import ROME, Text
from backend.ledger.models import JournalEntry, LedgerAccount, Posting
from backend.ledger.periods import month_bounds, trial_balance

# Income accounts and the column they go in; an entry kind can name its own (a supporter card
# credits the network's +Teca fund but is not a donation). Other ``*_income`` kinds (a shop's)
# get a column of their own name.
INCOME_ACCOUNT_KINDS = {
    "fee_income": "fees",
    "ticket_income": "tickets",
    "campaign_fund": "donations",
    "donation_income": "donations",
}
INCOME_ENTRY_KINDS = {"supporter_card": "supporter_cards"}
INCOME_CATEGORIES = ("fees", "tickets", "donations", "supporter_cards")
# The entry a campaign's closing books: its fund to the owner's donation income (campaigns.closing).
CAMPAIGN_CLOSING_KIND = "campaign_settlement"
# Accounts that are one patron's: reports show them per kind, never per patron.
PATRON_ACCOUNT_KINDS = ("wallet", "printing_credit")


@dataclass(frozen=True)
class Column:
    name: str  # machine name (CSV header, JSON key)
    label: Text  # human header
    type: str = "text"  # text, int, money (cents), date (a UTC datetime shown as a Rome date), datetime


@dataclass
class Table:
    name: str
    title: Text
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    currency: str = "EUR"

    def total(self, column: str) -> int:
        i = [c.name for c in self.columns].index(column)
        return sum(row[i] or 0 for row in self.rows)


def _c(name: str, it: str, en: str, type: str = "text") -> Column:
    return Column(name, Text(it=it, en=en), type)


def _own_or_shared(network: Network):
    return or_(LedgerAccount.network_id == network.id, LedgerAccount.network_id.is_(None))


def _in_month(month: str):
    start, end = month_bounds(month)
    return and_(Posting.created_at >= start, Posting.created_at < end)


# --- the reports ---------------------------------------------------------------------------


def trial_balance_report(session: Session, network: Network, month: str) -> Table:
    """Every account's balance at the month's end; debits and credits total the same."""
    _, end = month_bounds(month)
    table = Table(
        "trial_balance",
        Text(it=f"Bilancio di verifica al {_last_day(month)}", en=f"Trial balance at {_last_day(month)}"),
        [
            _c("account", "Conto", "Account"),
            _c("kind", "Tipo", "Kind"),
            _c("library", "Biblioteca", "Library"),
            _c("debit", "Dare", "Debit", "money"),
            _c("credit", "Avere", "Credit", "money"),
        ],
    )
    names = _library_names(session, network)
    for line in shown_balances(trial_balance(session, network.id, end)):
        account = line.account
        table.rows.append(
            [
                line.key,
                line.kind,
                names.get(account.library_id, "") if account else "",
                max(line.amount, 0),
                max(-line.amount, 0),
            ]
        )
    return table


@dataclass(frozen=True)
class ShownBalance:
    """A trial-balance line as finance sees it; ``account`` None: a kind's patron accounts summed
    (``wallet:patrons``) or the network's part of the shared accounts (``shared:counterpart``)."""

    account: LedgerAccount | None
    kind: str
    key: str
    amount: int


def shown_balances(lines: Iterable[Any]) -> list[ShownBalance]:
    """Trial-balance lines (each with ``account`` and signed ``amount``) with the patrons' accounts
    summed into one line per kind, where the first of them was; the total is unchanged."""
    out: list[ShownBalance] = []
    patrons: dict[str, int] = {}  # kind -> index in out
    for line in lines:
        account = line.account
        if account is None:
            out.append(ShownBalance(None, "shared", "shared:counterpart", line.amount))
        elif account.kind in PATRON_ACCOUNT_KINDS:
            at = patrons.setdefault(account.kind, len(out))
            if at == len(out):
                out.append(ShownBalance(None, account.kind, f"{account.kind}:patrons", 0))
            summed = out[at]
            out[at] = ShownBalance(None, summed.kind, summed.key, summed.amount + line.amount)
        else:
            out.append(ShownBalance(account, account.kind, account.key, line.amount))
    return out


def wallet_float_report(session: Session, network: Network, month: str) -> Table:
    """What the network owes its patrons (the sum of their wallets) at the month's start and end."""
    start, end = month_bounds(month)
    table = Table(
        "wallet_float",
        Text(it="Giacenza dei borsellini (debito verso gli utenti)", en="Wallet float (owed to patrons)"),
        [
            _c("at", "Al", "At", "datetime"),
            _c("wallets", "Borsellini", "Wallets", "int"),
            _c("liability", "Debito verso gli utenti", "Owed to patrons", "money"),
        ],
    )
    for moment in (start, end):
        count, total = session.execute(
            select(func.count(func.distinct(LedgerAccount.id)), func.coalesce(func.sum(Posting.amount), 0))
            .join(Posting, Posting.account_id == LedgerAccount.id)
            .where(LedgerAccount.kind == "wallet", LedgerAccount.network_id == network.id, Posting.created_at < moment)
        ).one()
        table.rows.append([moment, int(count), -int(total)])
    return table


def wallet_float_now(session: Session, network: Network) -> tuple[int, int]:
    """(cached sum of the network's wallets, the same from their postings): the audit says they agree."""
    cached = session.scalar(
        select(func.coalesce(func.sum(LedgerAccount.balance), 0)).where(
            LedgerAccount.kind == "wallet", LedgerAccount.network_id == network.id
        )
    )
    posted = session.scalar(
        select(func.coalesce(func.sum(Posting.amount), 0))
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .where(LedgerAccount.kind == "wallet", LedgerAccount.network_id == network.id)
    )
    return int(cached or 0), -int(posted or 0)


def income_report(session: Session, network: Network, month: str) -> Table:
    """The month's income per library and kind (net of refunds): fees, tickets, donations, supporter cards."""
    rows = session.execute(
        select(LedgerAccount.library_id, LedgerAccount.kind, JournalEntry.kind, func.sum(Posting.amount))
        .join(Posting, Posting.account_id == LedgerAccount.id)
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(
            LedgerAccount.network_id == network.id,
            or_(LedgerAccount.kind.in_(INCOME_ACCOUNT_KINDS), LedgerAccount.kind.like("%\\_income", escape="\\")),
            _in_month(month),
        )
        .group_by(LedgerAccount.library_id, LedgerAccount.kind, JournalEntry.kind)
    ).all()
    totals: dict[int | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    extra: list[str] = []
    for library_id, account_kind, entry_kind, amount in rows:
        category = INCOME_ENTRY_KINDS.get(entry_kind) or INCOME_ACCOUNT_KINDS.get(account_kind)
        if category is None:
            category = account_kind.removesuffix("_income")
            if category not in extra:
                extra.append(category)
        totals[library_id][category] -= int(amount)  # income is credit-normal
    categories = [*INCOME_CATEGORIES, *sorted(extra)]
    labels = {
        "fees": Text(it="Sanzioni e tariffe", en="Fees"),
        "tickets": Text(it="Biglietti", en="Tickets"),
        "donations": Text(it="Donazioni", en="Donations"),
        "supporter_cards": Text(it="Tessere sostenitore", en="Supporter cards"),
    }
    table = Table(
        "income",
        Text(it=f"Entrate di {month} per biblioteca e tipo", en=f"Income of {month} per library and kind"),
        [
            _c("library", "Biblioteca", "Library"),
            *[Column(c, labels.get(c, Text(it=c, en=c)), "money") for c in categories],
            _c("total", "Totale", "Total", "money"),
        ],
    )
    names = _library_names(session, network)
    for library_id in sorted(totals, key=lambda i: (i is None, names.get(i, ""))):
        values = [totals[library_id].get(c, 0) for c in categories]
        table.rows.append([names.get(library_id, network.name) if library_id else network.name, *values, sum(values)])
    return table


def card_fees_report(session: Session, network: Network, month: str) -> Table:
    """What the card processor kept on the network's payouts in the month (where booked)."""
    return _by_library_of_kind(
        session,
        network,
        month,
        "card_fees",
        "card_fees",
        Text(it="Commissioni Stripe", en="Stripe fees"),
        Text(it="Commissioni", en="Fees"),
    )


def cash_over_short_report(session: Session, network: Network, month: str) -> Table:
    """Counted cash differences per library: a deficit is positive, a surplus negative."""
    return _by_library_of_kind(
        session,
        network,
        month,
        "cash_over_short",
        "cash_over_short",
        Text(it="Differenze di cassa", en="Cash over/short"),
        Text(it="Ammanco (+) / eccedenza (−)", en="Short (+) / over (−)"),
    )


def journal_report(session: Session, network: Network, month: str) -> Table:
    """The prima nota: every posting of the month on the network's accounts, entry by entry.

    The patron's side of an entry about an anonymous donation (the donation, its pledge collected,
    a refund or reversal of it: the entries that reference it) is ``wallet:anonymous``.
    """
    own = select(Posting.entry_id).join(LedgerAccount, LedgerAccount.id == Posting.account_id)
    own = own.where(LedgerAccount.network_id == network.id, _in_month(month))
    rows = session.execute(
        select(
            Posting.created_at,
            JournalEntry.public_id,
            JournalEntry.kind,
            LedgerAccount.key,
            LedgerAccount.kind,
            Posting.amount,
            JournalEntry.memo,
            JournalEntry.reference,
            Donation.id.is_not(None),
        )
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .outerjoin(
            Donation,
            and_(Donation.public_id == JournalEntry.reference, Donation.visibility == Visibility.ANONYMOUS),
        )
        .where(Posting.entry_id.in_(own), _own_or_shared(network))
        .order_by(Posting.created_at, JournalEntry.id, Posting.id)
    ).all()
    table = Table(
        "journal",
        Text(it=f"Prima nota di {month}", en=f"Journal of {month}"),
        [
            _c("date", "Data", "Date", "date"),
            _c("entry", "Registrazione", "Entry"),
            _c("kind", "Operazione", "Operation"),
            _c("account", "Conto", "Account"),
            _c("debit", "Dare", "Debit", "money"),
            _c("credit", "Avere", "Credit", "money"),
            _c("memo", "Causale", "Memo"),
            _c("reference", "Riferimento", "Reference"),
        ],
    )
    for at, entry, kind, account, account_kind, amount, memo, reference, anonymous in rows:
        if anonymous and account_kind in PATRON_ACCOUNT_KINDS:
            account = f"{account_kind}:anonymous"
        table.rows.append([at, entry, kind, account, max(amount, 0), max(-amount, 0), memo or "", reference or ""])
    return table


def treasury_report(session: Session, network: Network, month: str) -> Table:
    """The monthly list for the treasury: per kind of operation, how many and how much moved
    through the network's accounts, between the wallet float at the start and at the end."""
    debits = func.sum(case((Posting.amount > 0, Posting.amount), else_=0))
    credits = func.sum(case((Posting.amount < 0, -Posting.amount), else_=0))
    per_entry = session.execute(
        select(JournalEntry.kind, debits, credits)
        .join(Posting, Posting.entry_id == JournalEntry.id)
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .where(LedgerAccount.network_id == network.id, _in_month(month))
        .group_by(JournalEntry.id, JournalEntry.kind)
    ).all()
    # What an entry moved through the network's books: the larger of its debits and credits
    # there (a card top-up only credits the wallet; its debit is the shared card clearing).
    moved: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for kind, debit_total, credit_total in per_entry:
        moved[kind][0] += 1
        moved[kind][1] += max(int(debit_total), int(credit_total))
    rows = [(kind, count, amount) for kind, (count, amount) in sorted(moved.items())]
    table = Table(
        "treasury",
        Text(it=f"Elenco mensile per la tesoreria, {month}", en=f"Monthly list for the treasury, {month}"),
        [
            _c("operation", "Operazione", "Operation"),
            _c("count", "Numero", "Count", "int"),
            _c("amount", "Importo", "Amount", "money"),
        ],
    )
    floats = wallet_float_report(session, network, month).rows
    table.rows.append(["wallet_float_opening", floats[0][1], floats[0][2]])
    for kind, count, amount in rows:
        table.rows.append([kind, int(count), int(amount)])
    table.rows.append(["wallet_float_closing", floats[1][1], floats[1][2]])
    return table


def audit_report(session: Session, network: Network, month: str) -> Table:
    """The staff audit trail of the month (who changed money or rights)."""
    start, end = month_bounds(month)
    table = Table(
        "audit",
        Text(it=f"Registro delle azioni del personale, {month}", en=f"Staff audit trail, {month}"),
        [
            _c("at", "Quando", "When", "datetime"),
            _c("actor", "Chi", "Who"),
            _c("role", "Ruolo", "Role"),
            _c("session", "Sessione", "Session"),
            _c("channel", "Canale", "Channel"),
            _c("action", "Azione", "Action"),
            _c("target", "Oggetto", "Target"),
            _c("before", "Prima", "Before"),
            _c("after", "Dopo", "After"),
        ],
    )
    for event in session.scalars(
        select(StaffAuditEvent)
        .where(
            StaffAuditEvent.network_id == network.id,
            StaffAuditEvent.created_at >= start,
            StaffAuditEvent.created_at < end,
        )
        .order_by(StaffAuditEvent.id)
    ):
        table.rows.append(
            [
                event.created_at,
                event.actor,
                event.actor_role,
                event.session_id or "",
                event.channel,
                event.action,
                event.target or "",
                _json(event.before),
                _json(event.after),
            ]
        )
    return table


def campaign_closings_report(session: Session, network: Network, month: str) -> Table:
    """Campaigns settled in the month: what each closing moved from its fund to the owner's income."""
    rows = session.execute(
        select(
            Posting.created_at, JournalEntry.public_id, JournalEntry.reference, LedgerAccount.library_id, Posting.amount
        )
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .where(
            JournalEntry.kind == CAMPAIGN_CLOSING_KIND,
            LedgerAccount.kind == "donation_income",
            LedgerAccount.network_id == network.id,
            _in_month(month),
        )
        .order_by(Posting.created_at, Posting.id)
    ).all()
    titles = dict(
        session.execute(
            select(Campaign.public_id, Campaign.title).where(
                Campaign.network_id == network.id, Campaign.public_id.in_({r[2] for r in rows if r[2]})
            )
        ).all()
    )
    table = Table(
        "campaign_closings",
        Text(it=f"Chiusure delle campagne di {month}", en=f"Campaign closing transfers of {month}"),
        [
            _c("date", "Data", "Date", "date"),
            _c("entry", "Registrazione", "Entry"),
            _c("campaign", "Campagna", "Campaign"),
            _c("title", "Titolo", "Title"),
            _c("owner", "Beneficiario", "Owner"),
            _c("amount", "Trasferito alle entrate", "Moved to income", "money"),
        ],
    )
    names = _library_names(session, network)
    for at, entry, campaign, library_id, amount in rows:
        owner = names.get(library_id, network.name) if library_id else network.name
        table.rows.append([at, entry, campaign or "", titles.get(campaign, ""), owner, -int(amount)])
    return table


def art_bonus_totals_report(session: Session, network: Network, month: str) -> Table:
    """Per owner, the Art Bonus donations received in the month: the totals of the campaigns'
    monthly Art Bonus report (the same donations, without the donors' details)."""
    start, end = month_bounds(month)
    per_owner: dict[int | None, list[int]] = defaultdict(lambda: [0, 0, 0])
    for donation in art_bonus_donations(session, Campaign.network_id == network.id, start, end):
        totals = per_owner[donation.campaign.library_id]
        totals[0] += 1
        totals[1] += donation.kept_amount
        totals[2] += donation.kept_eligible
    table = Table(
        "art_bonus",
        Text(it=f"Art Bonus di {month}: erogazioni ricevute per beneficiario", en=f"Art Bonus of {month} per owner"),
        [
            _c("owner", "Beneficiario", "Owner"),
            _c("donations", "Erogazioni", "Donations", "int"),
            _c("amount", "Importo", "Amount", "money"),
            _c("eligible", "Importo ammesso all'Art Bonus", "Eligible for the Art Bonus", "money"),
        ],
    )
    names = _library_names(session, network)
    for library_id in sorted(per_owner, key=lambda i: (i is None, names.get(i, ""))):
        owner = names.get(library_id, network.name) if library_id else network.name
        table.rows.append([owner, *per_owner[library_id]])
    return table


def report_for(session: Session, principal: Principal, month: str, name: str) -> tuple[Table, Network]:
    """The caller's network's report ``name`` for ``month`` (404 for an unknown report)."""
    network = network_of(session, principal)
    month = parse_month(month)
    build = REPORTS.get(name)
    if build is None:
        raise DomainError(NOT_FOUND)
    return build(session, network, month), network


REPORTS: dict[str, Callable[[Session, Network, str], Table]] = {
    "trial_balance": trial_balance_report,
    "wallet_float": wallet_float_report,
    "income": income_report,
    "card_fees": card_fees_report,
    "cash_over_short": cash_over_short_report,
    "journal": journal_report,
    "treasury": treasury_report,
    "audit": audit_report,
    "campaign_closings": campaign_closings_report,
    "art_bonus": art_bonus_totals_report,
}


# --- helpers -------------------------------------------------------------------------------


def _by_library_of_kind(
    session: Session, network: Network, month: str, name: str, kind: str, title: Text, label: Text
) -> Table:
    rows = session.execute(
        select(LedgerAccount.library_id, func.sum(Posting.amount))
        .join(Posting, Posting.account_id == LedgerAccount.id)
        .where(LedgerAccount.network_id == network.id, LedgerAccount.kind == kind, _in_month(month))
        .group_by(LedgerAccount.library_id)
    ).all()
    names = _library_names(session, network)
    table = Table(name, title, [_c("library", "Biblioteca", "Library"), Column("amount", label, "money")])
    for library_id, amount in sorted(rows, key=lambda r: names.get(r[0], "")):
        table.rows.append([names.get(library_id, network.name) if library_id else network.name, int(amount)])
    return table


def _library_names(session: Session, network: Network) -> dict[int | None, str]:
    return dict(session.execute(select(Library.id, Library.name).where(Library.network_id == network.id)).all())


def _last_day(month: str) -> str:
    _, end = month_bounds(month)
    return (end.astimezone(ROME) - timedelta(days=1)).strftime("%d/%m/%Y")


def _json(value: dict[str, Any] | None) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value is not None else ""
