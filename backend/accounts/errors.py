"""Error codes of accounts and sign-in."""

from backend.errors import ErrorCode

# The same answer for an unknown card, a wrong PIN and a deleted account, so
# the response never tells whether a card number exists.
INVALID_CREDENTIALS = ErrorCode(
    "invalid_credentials",
    401,
    it="Credenziali non valide.",
    en="Invalid credentials.",
)
TOO_MANY_ATTEMPTS = ErrorCode(
    "too_many_attempts",
    429,
    it="Troppi tentativi non riusciti: riprova tra {retry_after_minutes} minuti.",
    en="Too many failed attempts: try again in {retry_after_minutes} minutes.",
)
INVALID_REFRESH_TOKEN = ErrorCode(
    "invalid_refresh_token",
    401,
    it="Sessione scaduta o revocata: accedi di nuovo.",
    en="Session expired or revoked: please sign in again.",
)
INVALID_ONE_TIME_TOKEN = ErrorCode(
    "invalid_token",
    422,
    it="Il codice non è valido o è scaduto.",
    en="The code is invalid or has expired.",
)
EMAIL_TAKEN = ErrorCode(
    "email_taken",
    409,
    it="Questo indirizzo email è già usato da un altro account.",
    en="This email address is already used by another account.",
)
CARD_NUMBER_TAKEN = ErrorCode(
    "card_number_taken",
    409,
    it="Esiste già un utente con la tessera {card_number}.",
    en="A patron with card {card_number} already exists.",
)
INVALID_MEMBERSHIP_TOKEN = ErrorCode(
    "invalid_membership_token",
    422,
    it="Codice tessera non valido o scaduto: chiedi all'utente di aggiornarlo nell'app.",
    en="Membership code invalid or expired: ask the patron to refresh it in the app.",
)
OUT_OF_SCOPE_LIBRARY = ErrorCode(
    "library_not_found",
    404,
    it="Biblioteca non trovata.",
    en="Library not found.",
)
STAFF_SCOPE_INVALID = ErrorCode(
    "staff_scope_invalid",
    422,
    it="Ambito non valido per il ruolo {role}: {reason}.",
    en="Invalid scope for role {role}: {reason}.",
)
WRONG_CURRENT_SECRET = ErrorCode(
    "wrong_current_secret",
    422,
    it="Il PIN o la password attuale non è corretto.",
    en="The current PIN or password is not correct.",
)
ACCOUNT_GONE = ErrorCode(
    "account_not_available",
    401,
    it="Questo account non è più disponibile: accedi di nuovo.",
    en="This account is no longer available: please sign in again.",
)
WALLET_NOT_EMPTY = ErrorCode(
    "wallet_not_empty",
    422,
    it="Il borsellino contiene ancora {balance}: chiedi il rimborso in biblioteca prima di eliminare l'account.",
    en="Your wallet still holds {balance}: ask a library for a refund before deleting the account.",
)
