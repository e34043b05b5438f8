"""What reconciliation refuses, in Italian and English."""

from backend.errors import ErrorCode

EXCEPTION_NOT_OPEN = ErrorCode(
    "reconciliation_item_not_open",
    409,
    it="Questa eccezione non è aperta: è già risolta o è una corrispondenza.",
    en="This exception is not open: it is already resolved or it is a match.",
)
NOTE_REQUIRED = ErrorCode(
    "resolution_note_required",
    400,
    it="Scrivi una nota che spieghi come è stata risolta l'eccezione.",
    en="Write a note saying how the exception was resolved.",
)
CARD_ACCOUNT_NETWORK_UNSET = ErrorCode(
    "card_account_network_unset",
    503,
    it="Non è configurata la rete che gestisce il conto del circuito carte (BORSELLINO_CARD_ACCOUNT_NETWORK).",
    en="The network that runs the card processor account is not configured (BORSELLINO_CARD_ACCOUNT_NETWORK).",
)
SESSION_NOT_CLOSED = ErrorCode(
    "cash_session_not_closed",
    409,
    it="La sessione di cassa {session} non è chiusa: si versano solo i contanti di sessioni chiuse.",
    en="Cash session {session} is not closed: only cash of closed sessions is deposited.",
)
SESSION_ALREADY_DEPOSITED = ErrorCode(
    "cash_session_already_deposited",
    409,
    it="I contanti della sessione {session} sono già stati versati.",
    en="The cash of session {session} has already been deposited.",
)
SESSION_OTHER_LIBRARY = ErrorCode(
    "cash_session_other_library",
    422,
    it="La sessione {session} è di un'altra biblioteca: una distinta di versamento è di una sola biblioteca.",
    en="Session {session} belongs to another library: a deposit slip is for one library.",
)
NOTHING_TO_DEPOSIT = ErrorCode(
    "nothing_to_deposit",
    422,
    it="La sessione {session} non ha contanti da versare.",
    en="Session {session} has no cash to deposit.",
)
SLIP_ALREADY_RECORDED = ErrorCode(
    "deposit_slip_already_recorded",
    409,
    it="Questa distinta di versamento è già registrata per la biblioteca.",
    en="This deposit slip is already recorded for the library.",
)
SETTLEMENT_NOT_DRAFT = ErrorCode(
    "settlement_not_draft",
    409,
    it="Il regolamento non è più in bozza: non si può ricalcolare né approvare di nuovo.",
    en="The settlement is no longer a draft: it cannot be recomputed or approved again.",
)
SETTLEMENT_NOT_APPROVED = ErrorCode(
    "settlement_not_approved",
    409,
    it="Il regolamento va approvato prima di segnarlo come pagato (ed è pagato una sola volta).",
    en="The settlement must be approved before it is marked paid (and it is paid once).",
)
MONTH_NOT_ENDED = ErrorCode(
    "month_not_ended",
    422,
    it="Il mese {month} non è ancora finito.",
    en="The month {month} has not ended yet.",
)
SETTLEMENT_OUT_OF_ORDER = ErrorCode(
    "settlement_out_of_order",
    409,
    it="I regolamenti di {partner} vanno calcolati mese per mese: {month} è già calcolato con il riporto di prima.",
    en="Settle {partner} month by month: {month} is already computed with the earlier carry.",
)
TRANSFER_REFERENCE_REQUIRED = ErrorCode(
    "transfer_reference_required",
    400,
    it="Indica il riferimento del bonifico (CRO/TRN), al più 140 caratteri.",
    en="Give the bank transfer's reference (CRO/TRN), at most 140 characters.",
)
INVALID_REPORTING_FLOW = ErrorCode(
    "invalid_reporting_flow",
    400,
    it="Flusso di rendicontazione pagoPA non leggibile: {reason}.",
    en="Unreadable pagoPA reporting flow: {reason}.",
)
UNKNOWN_CREDITOR = ErrorCode(
    "unknown_creditor",
    422,
    it="Il flusso è per l'ente {fiscal_code}, che non è la tua rete.",
    en="The flow is for creditor body {fiscal_code}, which is not your network.",
)
