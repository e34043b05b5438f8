"""What the events domain refuses, in words a patron or a librarian understands."""

from backend.errors import ErrorCode

SOLD_OUT = ErrorCode(
    "sold_out",
    409,
    it="Posti esauriti: ne restano {seats_left}. Puoi metterti in lista d'attesa.",
    en="Sold out: {seats_left} place(s) left. You can join the waiting list.",
)
TYPE_SOLD_OUT = ErrorCode(
    "ticket_type_sold_out",
    409,
    it="I biglietti «{ticket_type}» sono esauriti.",
    en='No more "{ticket_type}" tickets are available.',
)
SALES_CLOSED = ErrorCode(
    "sales_closed",
    422,
    it="Le vendite per questo appuntamento non sono aperte.",
    en="Sales for this date are not open.",
)
PATRON_LIMIT = ErrorCode(
    "ticket_limit_reached",
    422,
    it="Puoi avere al massimo {limit} biglietti per questo appuntamento (ne hai già {held}).",
    en="You can hold at most {limit} tickets for this date (you already have {held}).",
)
UNKNOWN_TICKET_TYPE = ErrorCode(
    "unknown_ticket_type",
    400,
    it="Tipo di biglietto sconosciuto per questo evento.",
    en="Unknown ticket type for this event.",
)
DUPLICATE_TICKET_TYPE = ErrorCode(
    "duplicate_ticket_type",
    400,
    it="Ogni tipo di biglietto può comparire una sola volta nell'ordine.",
    en="Each ticket type may appear only once in an order.",
)
CANCEL_TOO_LATE = ErrorCode(
    "cancellation_closed",
    422,
    it="Non è più possibile annullare: il termine era {cutoff}.",
    en="Too late to cancel: the deadline was {cutoff}.",
)
TICKET_NOT_ACTIVE = ErrorCode(
    "ticket_not_active",
    409,
    it="Il biglietto non è valido (stato: {status}).",
    en="The ticket is not valid (status: {status}).",
)
TICKET_USED = ErrorCode(
    "ticket_used",
    422,
    it="Il biglietto è stato usato all'ingresso il {used_at}: non si può annullare né rimborsare.",
    en="This ticket was used at the door on {used_at}: it cannot be cancelled or refunded.",
)
OCCURRENCE_STARTED = ErrorCode(
    "occurrence_started",
    422,
    it="L'appuntamento è già iniziato ({starts_at}): non si può più annullare, e i biglietti usati non si rimborsano.",
    en="This date has already started ({starts_at}): it can no longer be cancelled, and used tickets are not refunded.",
)
ORDER_NOT_AWAITING_PAYMENT = ErrorCode(
    "order_not_awaiting_payment",
    409,
    it="L'ordine non è in attesa di pagamento (stato: {status}).",
    en="The order is not awaiting payment (status: {status}).",
)
INVALID_STATE = ErrorCode(
    "invalid_state",
    409,
    it="Operazione non possibile nello stato attuale ({status}).",
    en="Not possible in the current state ({status}).",
)
EVENT_INCOMPLETE = ErrorCode(
    "event_incomplete",
    422,
    it="Per pubblicare servono almeno un tipo di biglietto e un appuntamento futuro.",
    en="Publishing needs at least one ticket type and one future date.",
)
OCCURRENCE_IN_PAST = ErrorCode(
    "occurrence_in_past",
    422,
    it="La data indicata è già passata.",
    en="The given date is in the past.",
)
CAPACITY_BELOW_SOLD = ErrorCode(
    "capacity_below_sold",
    422,
    it="La capienza non può scendere sotto i {sold} posti già assegnati.",
    en="Capacity cannot go below the {sold} places already taken.",
)
INVALID_QR = ErrorCode(
    "invalid_ticket_code",
    422,
    it="Codice del biglietto non valido o non più valido.",
    en="The ticket code is not valid, or no longer valid.",
)
ALREADY_CHECKED_IN = ErrorCode(
    "already_checked_in",
    409,
    it="Biglietto già usato il {first_used_at} ({gate}).",
    en="Ticket already used at {first_used_at} ({gate}).",
)
SEATS_AVAILABLE = ErrorCode(
    "seats_available",
    409,
    it="Ci sono ancora posti: acquista direttamente il biglietto.",
    en="Places are still available: buy the ticket directly.",
)
ALREADY_WAITING = ErrorCode(
    "already_on_waitlist",
    409,
    it="Sei già in lista d'attesa per questo appuntamento.",
    en="You are already on the waiting list for this date.",
)
OFFER_NOT_OPEN = ErrorCode(
    "offer_not_open",
    409,
    it="Non c'è un'offerta aperta per questa iscrizione (stato: {status}).",
    en="There is no open offer for this entry (status: {status}).",
)
