"""What the cash desk refuses, in Italian and English."""

from backend.errors import ErrorCode

SESSION_ALREADY_OPEN = ErrorCode(
    "cash_session_already_open",
    409,
    it="Questa cassa ha già una sessione aperta: chiudila prima di aprirne un'altra.",
    en="This desk already has an open session: close it before opening another.",
)
SESSION_CLOSED = ErrorCode(
    "cash_session_closed",
    409,
    it="La sessione di cassa è chiusa: non accetta altre operazioni.",
    en="The cash session is closed: it accepts no more operations.",
)
PATRON_NOT_FOUND = ErrorCode(
    "patron_not_found",
    404,
    it="Nessun utente con questa tessera.",
    en="No patron with this card.",
)
PATRON_IDENTIFIER_REQUIRED = ErrorCode(
    "patron_identifier_required",
    400,
    it="Indica il numero di tessera oppure il codice QR della tessera (uno dei due).",
    en="Give either the card number or the membership QR code (one of them).",
)
NOT_ENOUGH_CASH_BALANCE = ErrorCode(
    "not_enough_cash_balance",
    422,
    it="In contanti si può restituire al più {payable}: il resto del saldo è stato versato con carta e si "
    "rimborsa sulla carta dall'app.",
    en="At most {payable} can be paid out in cash: the rest of the balance was paid by card and is refunded "
    "to the card from the app.",
)
from backend.errors import INVALID_AMOUNT  # noqa: E402,F401  (shared: amounts typed in console forms)
