"""What Socialbook tells patrons (registered with ``backend.notify.templates``).

News of a followed guide (new titles, kits, events) counts as a *reminder*:
the patron asked for it by following, and can turn it off with the existing
``reminders`` preference. Kit reservations and the badge are transactional.
Dates are given already formatted (``TEXT``) in the patron's language.
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

from backend.i18n import LOCALES, Text, normalize_language
from backend.notify.models import REMINDERS, TRANSACTIONAL
from backend.notify.templates import COUNT, MONEY, TEMPLATES, TEXT, WHEN, Template, register


def show_date(day: date, language: str | None) -> str:
    language = normalize_language(language)
    return format_date(day, "EEEE d MMMM y", locale=LOCALES[language])


_TEMPLATES = [
    Template(
        "guide_event_added",
        REMINDERS,
        Text(it="Nuovo appuntamento per «{guide_title}»", en='New event for "{guide_title}"'),
        Text(
            it="Alla guida «{guide_title}» che segui si aggiunge «{event_title}», {starts_at}, {venue}.",
            en='The guide "{guide_title}" you follow now has "{event_title}", {starts_at}, {venue}.',
        ),
        {"guide_title": TEXT, "event_title": TEXT, "starts_at": WHEN, "venue": TEXT},
    ),
    Template(
        "guide_items_added",
        REMINDERS,
        Text(it="Nuovi titoli in «{guide_title}»", en='New titles in "{guide_title}"'),
        Text(
            it="La guida «{guide_title}» che segui ha {count} nuovi titoli.",
            en='The guide "{guide_title}" you follow has {count} new titles.',
        ),
        {"guide_title": TEXT, "count": COUNT},
    ),
    Template(
        "guide_kit_added",
        REMINDERS,
        Text(it="Un kit per «{guide_title}»", en='A kit for "{guide_title}"'),
        Text(
            it="Per la guida «{guide_title}» si può prenotare il kit «{kit_title}» ({library}).",
            en='The kit "{kit_title}" ({library}) can now be reserved for the guide "{guide_title}".',
        ),
        {"guide_title": TEXT, "kit_title": TEXT, "library": TEXT},
    ),
    Template(
        "guide_completed",
        TRANSACTIONAL,
        Text(it="Guida completata: «{guide_title}»", en='Guide completed: "{guide_title}"'),
        Text(
            it="Hai letto tutti i titoli di «{guide_title}»: ecco il tuo badge!",
            en='You read every title of "{guide_title}": here is your badge!',
        ),
        {"guide_title": TEXT},
    ),
    Template(
        "kit_reserved",
        TRANSACTIONAL,
        Text(it="Kit prenotato: {kit_title}", en="Kit reserved: {kit_title}"),
        Text(
            it="Hai prenotato «{kit_title}» dal {start_date} al {end_date}, ritiro a {library}. "
            "Al ritiro pagherai {amount} dal borsellino (già riservati).",
            en='You reserved "{kit_title}" from {start_date} to {end_date}, pick-up at {library}. '
            "{amount} (already set aside) will be taken from your wallet at pick-up.",
        ),
        {"kit_title": TEXT, "start_date": TEXT, "end_date": TEXT, "library": TEXT, "amount": MONEY},
    ),
    Template(
        "kit_pickup_reminder",
        REMINDERS,
        Text(it="Domani ritiri il kit «{kit_title}»", en='Tomorrow: pick up "{kit_title}"'),
        Text(
            it="Il kit «{kit_title}» ti aspetta a {library} il {start_date}.",
            en='The kit "{kit_title}" is waiting for you at {library} on {start_date}.',
        ),
        {"kit_title": TEXT, "library": TEXT, "start_date": TEXT},
    ),
    Template(
        "kit_return_reminder",
        REMINDERS,
        Text(it="Domani si restituisce il kit «{kit_title}»", en='Tomorrow: return "{kit_title}"'),
        Text(
            it="Ricordati di restituire «{kit_title}» a {library} entro il {end_date}.",
            en='Remember to return "{kit_title}" to {library} by {end_date}.',
        ),
        {"kit_title": TEXT, "library": TEXT, "end_date": TEXT},
    ),
    Template(
        "kit_returned",
        TRANSACTIONAL,
        Text(it="Kit restituito: {kit_title}", en="Kit returned: {kit_title}"),
        Text(
            it="Grazie! Abbiamo registrato la restituzione di «{kit_title}» e ti abbiamo reso la cauzione "
            "di {deposit}.",
            en='Thank you! We recorded the return of "{kit_title}" and gave back your deposit of {deposit}.',
        ),
        {"kit_title": TEXT, "deposit": MONEY},
    ),
]

for _template in _TEMPLATES:
    if _template.kind not in TEMPLATES:  # importing twice (reloads in tests) registers once
        register(_template)
