"""What the guides domain (Socialbook) refuses, in Italian and English."""

from backend.errors import ErrorCode

INVALID_ISBN = ErrorCode(
    "invalid_isbn",
    422,
    it="Codice ISBN non valido: «{isbn}».",
    en="Not a valid ISBN: '{isbn}'.",
)
TITLE_REQUIRED = ErrorCode(
    "title_required",
    422,
    it="Questo ISBN non è ancora nel catalogo: indica almeno il titolo.",
    en="This ISBN is not in the catalogue yet: give at least the title.",
)
ALREADY_IN_GUIDE = ErrorCode(
    "already_in_guide",
    409,
    it="Questo titolo è già nella guida.",
    en="This title is already in the guide.",
)
ORDER_MISMATCH = ErrorCode(
    "order_mismatch",
    422,
    it="Indica ogni elemento della guida esattamente una volta.",
    en="Name every item of the guide exactly once.",
)
GUIDE_EMPTY = ErrorCode(
    "guide_empty",
    422,
    it="Una guida senza titoli non può essere pubblicata.",
    en="A guide without any title cannot be published.",
)
GUIDE_NOT_PUBLISHED = ErrorCode(
    "guide_not_published",
    422,
    it="La guida non è pubblicata.",
    en="The guide is not published.",
)
EVENT_ALREADY_LINKED = ErrorCode(
    "event_already_linked",
    409,
    it="Questo evento è già collegato alla guida.",
    en="This event is already linked to the guide.",
)
EVENT_NOT_LINKABLE = ErrorCode(
    "event_not_linkable",
    422,
    it="Si possono collegare solo eventi pubblicati.",
    en="Only published events can be linked.",
)
UNSUPPORTED_IMPORT = ErrorCode(
    "unsupported_import",
    400,
    it="Formato di importazione non riconosciuto o file illeggibile: {reason}.",
    en="Import format not recognised or file unreadable: {reason}.",
)
BAD_OPAC_TEMPLATE = ErrorCode(
    "bad_opac_template",
    422,
    it="Il modello di indirizzo deve iniziare con https:// o http:// e contenere {placeholder}.",
    en="The URL template must start with https:// or http:// and contain {placeholder}.",
)
NOT_IN_GUIDE = ErrorCode(
    "not_in_guide",
    404,
    it="Questo titolo non è in una guida che puoi vedere.",
    en="This title is not in a guide you can see.",
)
# --- kits
KIT_UNAVAILABLE = ErrorCode(
    "kit_unavailable",
    409,
    it="Il kit non è disponibile in tutte le date richieste.",
    en="The kit is not available on every requested day.",
)
BAD_DATES = ErrorCode(
    "bad_dates",
    422,
    it="Date non valide: dal giorno di ritiro (da domani) al giorno di restituzione, al massimo {loan_days} giorni.",
    en="Invalid dates: from the pick-up day (tomorrow at the earliest) to the return day, at most {loan_days} days.",
)
TOO_MANY_UNITS = ErrorCode(
    "too_many_units",
    422,
    it="Il kit ha {units} unità.",
    en="The kit has {units} units.",
)
PICKUP_OUTSIDE_NETWORK = ErrorCode(
    "pickup_outside_network",
    422,
    it="Il kit si ritira in una biblioteca della sua rete.",
    en="The kit is picked up at a library of its own network.",
)
KIT_INACTIVE = ErrorCode(
    "kit_inactive",
    422,
    it="Questo kit non è prenotabile.",
    en="This kit cannot be reserved.",
)
RESERVATION_STATE = ErrorCode(
    "reservation_state",
    409,
    it="La prenotazione è nello stato «{state}»: operazione non possibile.",
    en="The reservation is {state}: this is not possible.",
)
TOO_EARLY_TO_PICK_UP = ErrorCode(
    "too_early_to_pick_up",
    422,
    it="Il kit si ritira dal {start_date}.",
    en="The kit can be picked up from {start_date}.",
)
UNITS_BELOW_BOOKED = ErrorCode(
    "units_below_booked",
    409,
    it="Ci sono già prenotazioni per più unità in alcuni giorni.",
    en="Some days already have more units reserved.",
)
# --- console forms (checked before a service is called; the API schemas do this there)
BAD_AGE = ErrorCode(
    "bad_age",
    400,
    it="Età non valida: un numero da 0 a 120.",
    en="Invalid age: a number from 0 to 120.",
)
TITLE_AND_THEME = ErrorCode(
    "title_and_theme_required",
    400,
    it="Indica almeno il titolo in italiano e il tema.",
    en="Give at least the Italian title and the theme.",
)
FILE_REQUIRED = ErrorCode(
    "file_required",
    400,
    it="Scegli il file da importare.",
    en="Choose the file to import.",
)
BAD_NUMBER = ErrorCode(
    "bad_number",
    400,
    it="Numero non valido: unità da 1 a 500, giorni di prestito da 1 a 90.",
    en="Invalid number: units from 1 to 500, loan days from 1 to 90.",
)
