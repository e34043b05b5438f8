"""What each kind of notification says, in Italian and English, and the data it needs.

Other domains call ``notify(session, patron, "<kind>", **data)`` with exactly the
fields listed for that kind (a missing or unknown field is a programming error
and raises ``TemplateDataError`` before anything is written). Values:

- ``MONEY``: a ``Money``; shown "12,50 €" in Italian, "€12.50" in English;
- ``WHEN``: an aware ``datetime``; shown in Europe/Rome local time;
- ``TEXT``: a ``str`` (event title, library name, …);
- ``COUNT``: an ``int``.

Kinds and their data
--------------------
===================== ============= ===================================================
kind                  category      data
===================== ============= ===================================================
topup_succeeded       transactional amount: MONEY, balance: MONEY
topup_failed          transactional amount: MONEY
refund_processed      transactional amount: MONEY, description: TEXT
card_disputed         transactional amount: MONEY, taken: MONEY, description: TEXT
low_balance           transactional balance: MONEY, threshold: MONEY (use ``notify_low_balance``)
fee_charged           transactional amount: MONEY, description: TEXT, library: TEXT
fee_paid              transactional amount: MONEY, description: TEXT, library: TEXT, balance: MONEY
ticket_confirmed      transactional event_title: TEXT, starts_at: WHEN, venue: TEXT, quantity: COUNT, amount: MONEY
event_reminder        reminders     event_title: TEXT, starts_at: WHEN, venue: TEXT
occurrence_cancelled  transactional event_title: TEXT, starts_at: WHEN, refund: MONEY
waitlist_offer        transactional event_title: TEXT, starts_at: WHEN, expires_at: WHEN
campaign_update       campaign_news campaign_title: TEXT, message: TEXT
donation_received     transactional campaign_title: TEXT, amount: MONEY
donation_pledged      transactional campaign_title: TEXT, amount: MONEY, deadline: WHEN
campaign_funded       transactional campaign_title: TEXT, amount: MONEY
campaign_goal_missed  transactional campaign_title: TEXT, amount: MONEY, method: TEXT
recurring_failed      transactional campaign_title: TEXT, amount: MONEY, retry_at: WHEN
recurring_paused      transactional campaign_title: TEXT, amount: MONEY
recurring_stopped     transactional campaign_title: TEXT, amount: MONEY, reason: TEXT (``backend.campaigns.recurring``)
supporter_card_issued transactional network: TEXT, amount: MONEY, valid_until: WHEN
partner_offer         marketing     offer_title: TEXT, venue: TEXT
confirmation_request  transactional requester: TEXT, description: TEXT, amount: MONEY, expires_at: WHEN
ledger_audit_failed   staff         discrepancies: COUNT, summary: TEXT (use ``notify_staff``)
donation_card_refunded staff        campaign_title: TEXT, donation: TEXT, amount: MONEY, kept: MONEY (``notify_staff``)
donation_card_disputed staff        campaign_title: TEXT, donation: TEXT, amount: MONEY, kept: MONEY (``notify_staff``)
donation_dispute_won  staff         campaign_title: TEXT, donation: TEXT, amount: MONEY, kept: MONEY (``notify_staff``)
psd2_warning          staff         volume: MONEY, network_volume: MONEY, share: TEXT (``notify_staff``)
psd2_exceeded         staff         volume: MONEY, network_volume: MONEY, share: TEXT (``notify_staff``)
pagopa_late_receipt   staff         amount: MONEY, notice: TEXT, state: TEXT (use ``notify_staff``)
===================== ============= ===================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from babel.dates import format_datetime

from backend.i18n import LOCALES, ROME, Text
from backend.money import Money
from backend.notify.models import CAMPAIGN_NEWS, MARKETING, REMINDERS, TRANSACTIONAL

MONEY, WHEN, TEXT, COUNT = "money", "when", "text", "count"
_PYTHON_TYPES = {MONEY: Money, WHEN: datetime, TEXT: str, COUNT: int}


class TemplateDataError(TypeError):
    """``notify`` was called with data that does not match the kind's template."""


@dataclass(frozen=True)
class Template:
    kind: str
    category: str
    title: Text
    body: Text
    fields: dict[str, str] = field(default_factory=dict)
    for_staff: bool = False

    def check(self, data: dict) -> None:
        missing = set(self.fields) - set(data)
        unknown = set(data) - set(self.fields)
        if missing or unknown:
            raise TemplateDataError(f"{self.kind}: missing {sorted(missing)}, unknown {sorted(unknown)}")
        for name, kind in self.fields.items():
            value = data[name]
            if not isinstance(value, _PYTHON_TYPES[kind]) or isinstance(value, bool):
                raise TemplateDataError(f"{self.kind}.{name} must be {kind}, got {value!r}")
            if kind == WHEN and value.tzinfo is None:
                raise TemplateDataError(f"{self.kind}.{name} must be an aware datetime")

    def render(self, language: str, data: dict) -> tuple[str, str]:
        shown = {name: _show(value, language) for name, value in data.items()}
        return self.title.render(language, **shown), self.body.render(language, **shown)


def _show(value, language: str) -> str:
    if isinstance(value, Money):
        return value.format(language)
    if isinstance(value, datetime):
        pattern = "EEEE d MMMM 'alle' HH:mm" if language == "it" else "EEEE d MMMM 'at' HH:mm"
        return format_datetime(value.astimezone(ROME), pattern, locale=LOCALES[language])
    return str(value)


def to_json(data: dict) -> dict:
    """The values as stored with the notification and sent to the app."""
    out = {}
    for name, value in data.items():
        if isinstance(value, Money):
            out[name] = value.as_dict()
        elif isinstance(value, datetime):
            out[name] = value.astimezone(ROME).isoformat()
        else:
            out[name] = value
    return out


TEMPLATES: dict[str, Template] = {}


def register(template: Template) -> Template:
    if template.kind in TEMPLATES:
        raise ValueError(f"template {template.kind!r} registered twice")
    TEMPLATES[template.kind] = template
    return template


def template_for(kind: str) -> Template:
    try:
        return TEMPLATES[kind]
    except KeyError:
        raise TemplateDataError(f"unknown notification kind {kind!r}") from None


register(
    Template(
        "topup_succeeded",
        TRANSACTIONAL,
        Text(it="Ricarica di {amount} riuscita", en="Top-up of {amount} received"),
        Text(
            it="Abbiamo accreditato {amount} sul tuo borsellino. Saldo attuale: {balance}.",
            en="We added {amount} to your wallet. Your balance is now {balance}.",
        ),
        {"amount": MONEY, "balance": MONEY},
    )
)
register(
    Template(
        "topup_failed",
        TRANSACTIONAL,
        Text(it="Ricarica di {amount} non riuscita", en="Top-up of {amount} failed"),
        Text(
            it="La ricarica di {amount} non è andata a buon fine e il borsellino non è stato "
            "ricaricato. Puoi riprovare dall'app.",
            en="Your top-up of {amount} did not go through and your wallet was not credited. "
            "You can try again in the app.",
        ),
        {"amount": MONEY},
    )
)
register(
    Template(
        "refund_processed",
        TRANSACTIONAL,
        Text(it="Rimborso di {amount}", en="Refund of {amount}"),
        Text(it="Ti abbiamo rimborsato {amount} per: {description}.", en="We refunded {amount} for: {description}."),
        {"amount": MONEY, "description": TEXT},
    )
)
register(
    Template(
        "card_disputed",
        TRANSACTIONAL,
        Text(it="Contestazione del pagamento con carta: {amount}", en="Card payment disputed: {amount}"),
        Text(
            it="La tua banca ha contestato il pagamento di {amount} ({description}) e lo ha "
            "ripreso. Abbiamo tolto {taken} dal borsellino. Per chiarimenti rivolgiti alla tua "
            "biblioteca.",
            en="Your bank disputed the payment of {amount} ({description}) and took it back. "
            "We removed {taken} from your wallet. Ask your library if anything is unclear.",
        ),
        {"amount": MONEY, "taken": MONEY, "description": TEXT},
    )
)
register(
    Template(
        "low_balance",
        TRANSACTIONAL,
        Text(it="Saldo basso: {balance}", en="Low balance: {balance}"),
        Text(
            it="Il saldo del tuo borsellino è sceso a {balance}, sotto la soglia di {threshold} "
            "che hai scelto. Puoi ricaricarlo dall'app o in biblioteca.",
            en="Your wallet balance is down to {balance}, below your {threshold} threshold. "
            "You can top it up in the app or at the library.",
        ),
        {"balance": MONEY, "threshold": MONEY},
    )
)
register(
    Template(
        "fee_charged",
        TRANSACTIONAL,
        Text(it="Nuovo addebito di {amount}", en="New charge of {amount}"),
        Text(
            it="{library} ti ha addebitato {amount} per: {description}.",
            en="{library} charged you {amount} for: {description}.",
        ),
        {"amount": MONEY, "description": TEXT, "library": TEXT},
    )
)
register(
    Template(
        "fee_paid",
        TRANSACTIONAL,
        Text(it="Ricevuta: pagati {amount}", en="Receipt: {amount} paid"),
        Text(
            it="Hai pagato {amount} a {library} per: {description}. Saldo del borsellino: {balance}.",
            en="You paid {amount} to {library} for: {description}. Wallet balance: {balance}.",
        ),
        {"amount": MONEY, "description": TEXT, "library": TEXT, "balance": MONEY},
    )
)
register(
    Template(
        "ticket_confirmed",
        TRANSACTIONAL,
        Text(it="Biglietti confermati: {event_title}", en="Tickets confirmed: {event_title}"),
        Text(
            it="{quantity} biglietto/i per «{event_title}», {starts_at}, {venue}. Totale: {amount}. "
            "Mostra il codice QR dall'app all'ingresso.",
            en='{quantity} ticket(s) for "{event_title}", {starts_at}, {venue}. Total: {amount}. '
            "Show the QR code in the app at the door.",
        ),
        {"event_title": TEXT, "starts_at": WHEN, "venue": TEXT, "quantity": COUNT, "amount": MONEY},
    )
)
register(
    Template(
        "event_reminder",
        REMINDERS,
        Text(it="Domani: {event_title}", en="Tomorrow: {event_title}"),
        Text(
            it="Ti aspettiamo a «{event_title}», {starts_at}, {venue}.",
            en='See you at "{event_title}", {starts_at}, {venue}.',
        ),
        {"event_title": TEXT, "starts_at": WHEN, "venue": TEXT},
    )
)
register(
    Template(
        "occurrence_cancelled",
        TRANSACTIONAL,
        Text(it="Annullato: {event_title}", en="Cancelled: {event_title}"),
        Text(
            it="«{event_title}» di {starts_at} è stato annullato. Ti abbiamo rimborsato {refund} sul borsellino.",
            en='"{event_title}" on {starts_at} has been cancelled. We refunded {refund} to your wallet.',
        ),
        {"event_title": TEXT, "starts_at": WHEN, "refund": MONEY},
    )
)
register(
    Template(
        "waitlist_offer",
        TRANSACTIONAL,
        Text(it="Si è liberato un posto: {event_title}", en="A place is free: {event_title}"),
        Text(
            it="Si è liberato un posto per «{event_title}», {starts_at}. Confermalo dall'app "
            "entro {expires_at}, poi passerà al prossimo in lista.",
            en='A place is free for "{event_title}", {starts_at}. Confirm it in the app by '
            "{expires_at}; after that it goes to the next person on the list.",
        ),
        {"event_title": TEXT, "starts_at": WHEN, "expires_at": WHEN},
    )
)
register(
    Template(
        "campaign_update",
        CAMPAIGN_NEWS,
        Text(it="Novità da +Teca: {campaign_title}", en="+Teca news: {campaign_title}"),
        Text(it="{message}", en="{message}"),
        {"campaign_title": TEXT, "message": TEXT},
    )
)
register(
    Template(
        "donation_received",
        TRANSACTIONAL,
        Text(it="Grazie per la tua donazione: {campaign_title}", en="Thank you for your donation: {campaign_title}"),
        Text(
            it="Abbiamo ricevuto la tua donazione di {amount} per «{campaign_title}». La ricevuta è nell'app.",
            en='We received your donation of {amount} to "{campaign_title}". The receipt is in the app.',
        ),
        {"campaign_title": TEXT, "amount": MONEY},
    )
)
register(
    Template(
        "donation_pledged",
        TRANSACTIONAL,
        Text(it="Promessa registrata: {campaign_title}", en="Pledge recorded: {campaign_title}"),
        Text(
            it="Abbiamo riservato {amount} sul tuo borsellino per «{campaign_title}». Se l'obiettivo sarà "
            "raggiunto entro {deadline} la donazione sarà incassata, altrimenti l'importo tornerà disponibile.",
            en='We reserved {amount} in your wallet for "{campaign_title}". If the goal is reached by '
            "{deadline} the donation is collected, otherwise the amount becomes available again.",
        ),
        {"campaign_title": TEXT, "amount": MONEY, "deadline": WHEN},
    )
)
register(
    Template(
        "campaign_funded",
        TRANSACTIONAL,
        Text(it="Obiettivo raggiunto: {campaign_title}", en="Goal reached: {campaign_title}"),
        Text(
            it="«{campaign_title}» ha raggiunto l'obiettivo: la tua donazione di {amount} è stata incassata. Grazie!",
            en='"{campaign_title}" reached its goal: your donation of {amount} has been collected. Thank you!',
        ),
        {"campaign_title": TEXT, "amount": MONEY},
    )
)
register(
    Template(
        "campaign_goal_missed",
        TRANSACTIONAL,
        Text(it="Obiettivo non raggiunto: {campaign_title}", en="Goal not reached: {campaign_title}"),
        Text(
            it="«{campaign_title}» non ha raggiunto l'obiettivo: i tuoi {amount} ti sono restituiti ({method}).",
            en='"{campaign_title}" did not reach its goal: your {amount} is given back ({method}).',
        ),
        {"campaign_title": TEXT, "amount": MONEY, "method": TEXT},
    )
)
register(
    Template(
        "recurring_failed",
        TRANSACTIONAL,
        Text(it="Donazione periodica non riuscita: {campaign_title}", en="Recurring donation failed: {campaign_title}"),
        Text(
            it="Il borsellino non aveva {amount} per la donazione periodica a «{campaign_title}». Riproveremo "
            "il {retry_at}: se non riuscirà, la donazione sarà sospesa.",
            en='Your wallet did not hold {amount} for the recurring donation to "{campaign_title}". We will '
            "try again on {retry_at}; if that fails too, the donation is paused.",
        ),
        {"campaign_title": TEXT, "amount": MONEY, "retry_at": WHEN},
    )
)
register(
    Template(
        "recurring_paused",
        TRANSACTIONAL,
        Text(it="Donazione periodica sospesa: {campaign_title}", en="Recurring donation paused: {campaign_title}"),
        Text(
            it="La donazione periodica di {amount} a «{campaign_title}» è sospesa: il borsellino non aveva "
            "fondi sufficienti. Puoi riattivarla dall'app.",
            en='The recurring donation of {amount} to "{campaign_title}" is paused: the wallet did not hold '
            "enough. You can resume it in the app.",
        ),
        {"campaign_title": TEXT, "amount": MONEY},
    )
)
register(
    Template(
        "supporter_card_issued",
        TRANSACTIONAL,
        Text(it="Tessera sostenitore: {network}", en="Supporter card: {network}"),
        Text(
            it="Grazie! La tua tessera sostenitore di {network} ({amount}) è valida fino al {valid_until}.",
            en="Thank you! Your {network} supporter card ({amount}) is valid until {valid_until}.",
        ),
        {"network": TEXT, "amount": MONEY, "valid_until": WHEN},
    )
)
register(
    Template(
        "partner_offer",
        MARKETING,
        Text(it="Nuova convenzione: {offer_title}", en="New partner offer: {offer_title}"),
        Text(
            it="{venue} offre «{offer_title}» ai lettori delle biblioteche della rete.",
            en='{venue} offers "{offer_title}" to the network\'s library patrons.',
        ),
        {"offer_title": TEXT, "venue": TEXT},
    )
)
register(
    Template(
        "confirmation_request",
        TRANSACTIONAL,
        Text(it="Conferma il pagamento di {amount}", en="Confirm the payment of {amount}"),
        Text(
            it="{requester} chiede {amount} dal tuo borsellino per: {description}. Conferma nell'app "
            "entro {expires_at}, altrimenti non sarà addebitato nulla.",
            en="{requester} asks for {amount} from your wallet for: {description}. Confirm in the app "
            "by {expires_at}, otherwise nothing is charged.",
        ),
        {"requester": TEXT, "description": TEXT, "amount": MONEY, "expires_at": WHEN},
    )
)
register(
    Template(
        "ledger_audit_failed",
        TRANSACTIONAL,
        Text(it="Verifica contabile: {discrepancies} anomalie", en="Ledger audit: {discrepancies} discrepancies"),
        Text(
            it="La verifica notturna del registro contabile ha trovato {discrepancies} anomalie. Dettagli: {summary}",
            en="The nightly ledger audit found {discrepancies} discrepancies. Details: {summary}",
        ),
        {"discrepancies": COUNT, "summary": TEXT},
        for_staff=True,
    )
)
register(
    Template(
        "pagopa_late_receipt",
        TRANSACTIONAL,
        Text(it="pagoPA: avviso {notice} pagato in ritardo", en="pagoPA: notice {notice} paid late"),
        Text(
            it="L'avviso {notice} era già {state}, ma è arrivata la ricevuta di pagamento: {amount} è stato "
            "accreditato sul borsellino dell'utente. Verificare con il flusso di rendicontazione.",
            en="Notice {notice} was already {state}, but its payment receipt arrived: {amount} was credited "
            "to the patron's wallet. Check it against the reporting flow.",
        ),
        {"amount": MONEY, "notice": TEXT, "state": TEXT},
        for_staff=True,
    )
)

# The wallet's payment volume near or above the PSD2 limited-network threshold (finance and admins).
for _kind, _subject, _body in (
    (
        "psd2_warning",
        Text(
            it="Borsellino: volume pagamenti al {share} della soglia PSD2",
            en="Wallet: payments at {share} of the PSD2 threshold",
        ),
        Text(
            it="Negli ultimi 12 mesi i pagamenti con il borsellino sono stati {volume} ({share} di 1.000.000 €; "
            "la tua rete {network_volume}). Oltre la soglia va informata la Banca d'Italia (rete limitata).",
            en="Wallet payments over the last 12 months came to {volume} ({share} of 1,000,000 €; your network "
            "{network_volume}). Above the threshold the Banca d'Italia must be notified (limited network).",
        ),
    ),
    (
        "psd2_exceeded",
        Text(it="Borsellino: superata la soglia PSD2", en="Wallet: PSD2 threshold exceeded"),
        Text(
            it="Negli ultimi 12 mesi i pagamenti con il borsellino sono stati {volume} ({share} di 1.000.000 €; "
            "la tua rete {network_volume}). La bozza della comunicazione alla Banca d'Italia è nella console, "
            "sezione Finanza.",
            en="Wallet payments over the last 12 months came to {volume} ({share} of 1,000,000 €; your network "
            "{network_volume}). The draft notification to the Banca d'Italia is in the console, Finance section.",
        ),
    ),
):
    register(
        Template(
            _kind,
            TRANSACTIONAL,
            _subject,
            _body,
            {"volume": MONEY, "network_volume": MONEY, "share": TEXT},
            for_staff=True,
        )
    )

# Card donations whose money the provider took back, or gave back (campaign owners and finance).
_DONATION_TAKEBACK_DATA = {"campaign_title": TEXT, "donation": TEXT, "amount": MONEY, "kept": MONEY}
for _kind, _subject, _body in (
    (
        "donation_card_refunded",
        Text(it="Donazione rimborsata sulla carta: {amount}", en="Card donation refunded: {amount}"),
        Text(
            it="Il gestore dei pagamenti ha rimborsato {amount} della donazione {donation} a «{campaign_title}». "
            "Il totale raccolto e l'importo Art Bonus sono stati ridotti; della donazione restano {kept}.",
            en="The payment provider refunded {amount} of donation {donation} to '{campaign_title}'. "
            "The raised total and the Art Bonus amount were reduced; {kept} of the donation remains.",
        ),
    ),
    (
        "donation_card_disputed",
        Text(it="Donazione contestata dalla banca: {amount}", en="Card donation disputed: {amount}"),
        Text(
            it="La banca del donatore ha contestato {amount} della donazione {donation} a «{campaign_title}» "
            "e il gestore dei pagamenti li ha ripresi. Il totale raccolto è stato ridotto; se la "
            "contestazione viene vinta la somma torna alla campagna. Della donazione restano {kept}.",
            en="The donor's bank disputed {amount} of donation {donation} to '{campaign_title}' and the "
            "payment provider took it back. The raised total was reduced; if the dispute is won the money "
            "returns to the campaign. {kept} of the donation remains.",
        ),
    ),
    (
        "donation_dispute_won",
        Text(it="Contestazione vinta: {amount} tornati alla campagna", en="Dispute won: {amount} back to the campaign"),
        Text(
            it="La contestazione della donazione {donation} a «{campaign_title}» è stata vinta: {amount} "
            "tornano alla campagna. Della donazione restano {kept}.",
            en="The dispute on donation {donation} to '{campaign_title}' was won: {amount} returns to the "
            "campaign. {kept} of the donation remains.",
        ),
    ),
):
    register(Template(_kind, TRANSACTIONAL, _subject, _body, _DONATION_TAKEBACK_DATA, for_staff=True))
