"""What the shop refuses, in words a patron or a librarian understands."""

from backend.errors import ErrorCode

ITEM_NOT_SOLD_HERE = ErrorCode(
    "item_not_sold_here",
    422,
    it="Questo articolo non è in vendita in questa biblioteca (o non lo è più).",
    en="This item is not on sale at this library (or no longer is).",
)
OUT_OF_STOCK = ErrorCode(
    "out_of_stock",
    409,
    it="Disponibilità insufficiente: ne restano {stock_left}.",
    en="Not enough in stock: {stock_left} left.",
)
DUPLICATE_LINE = ErrorCode(
    "duplicate_line",
    400,
    it="Lo stesso articolo compare due volte: indica una riga sola con la quantità.",
    en="The same item appears twice: give one line with the quantity.",
)
LINES_OR_AMOUNT = ErrorCode(
    "lines_or_amount_required",
    400,
    it="Indica gli articoli oppure un importo libero con la descrizione, non entrambi.",
    en="Give either the items or a free amount with a description, not both.",
)
CASH_SESSION_REQUIRED = ErrorCode(
    "cash_session_required",
    400,
    it="Per incassare in contanti serve la sessione di cassa aperta.",
    en="Taking cash needs the open cash session.",
)
CASH_SESSION_ELSEWHERE = ErrorCode(
    "cash_session_of_another_library",
    422,
    it="La sessione di cassa è di un'altra biblioteca.",
    en="The cash session belongs to another library.",
)
ORDER_STATE = ErrorCode(
    "order_state_invalid",
    422,
    it="Operazione non possibile: l'ordine è nello stato «{state}».",
    en="Not possible: the order is {state}.",
)
PRINTING_CREDIT_USED = ErrorCode(
    "printing_credit_used",
    422,
    it="Il credito stampa acquistato è già stato usato: non si può rimborsare.",
    en="The printing credit bought has already been used: it cannot be refunded.",
)
ROOM_OUTSIDE_HOURS = ErrorCode(
    "room_outside_opening_hours",
    422,
    it="La sala si prenota solo negli orari di apertura della biblioteca ({when}).",
    en="The room can only be booked within the library's opening hours ({when}).",
)
ROOM_NOT_ON_THE_HOUR = ErrorCode(
    "room_booking_not_on_the_hour",
    400,
    it="Le sale si prenotano a ore intere: inizio e fine allo scoccare dell'ora.",
    en="Rooms are booked by the hour: start and end on the hour.",
)
ROOM_IN_THE_PAST = ErrorCode(
    "room_booking_in_the_past",
    422,
    it="Non si può prenotare un orario già passato.",
    en="A time in the past cannot be booked.",
)
ROOM_TAKEN = ErrorCode(
    "room_taken",
    409,
    it="La sala è già prenotata in quell'orario ({when}).",
    en="The room is already booked at that time ({when}).",
)
CANCEL_CUTOFF_PASSED = ErrorCode(
    "cancellation_cutoff_passed",
    422,
    it="Il termine per disdire con rimborso è passato ({cutoff}).",
    en="The deadline to cancel with a refund has passed ({cutoff}).",
)
BOOKING_CANCELLED = ErrorCode(
    "booking_already_cancelled",
    409,
    it="La prenotazione è già stata disdetta.",
    en="The booking has already been cancelled.",
)
HOURS_OVERLAP = ErrorCode(
    "opening_hours_overlap",
    400,
    it="Gli orari di apertura di uno stesso giorno non possono sovrapporsi.",
    en="Opening hours of one day must not overlap.",
)

# The console's forms (the API refuses the same with a validation_error).
QUANTITY_INVALID = ErrorCode(
    "quantity_invalid", 400, it="Quantità non valida: da 1 a 99.", en="Invalid quantity: 1 to 99."
)
DESCRIPTION_REQUIRED = ErrorCode(
    "description_required",
    400,
    it="Un importo libero richiede una descrizione.",
    en="A free amount needs a description.",
)
STOCK_INVALID = ErrorCode(
    "stock_invalid",
    400,
    it="Disponibilità non valida: un numero intero, o vuoto se non si conta.",
    en="Invalid stock: a whole number, or empty when not counted.",
)
CHOICE_INVALID = ErrorCode("choice_invalid", 400, it="Scelta non valida.", en="Invalid choice.")
NAME_REQUIRED = ErrorCode(
    "name_required", 400, it="Indica il nome in italiano e in inglese.", en="Give the name in Italian and in English."
)
CAPACITY_INVALID = ErrorCode(
    "capacity_invalid", 400, it="Capienza non valida: da 1 a 10000.", en="Invalid capacity: 1 to 10000."
)
PRINTING_CREDIT_INSUFFICIENT = ErrorCode(
    "printing_credit_insufficient",
    422,
    it="Credito stampa insufficiente: mancano {shortfall} (disponibili {available}).",
    en="Not enough printing credit: {shortfall} short ({available} available).",
)
