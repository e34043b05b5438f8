"""What confirming in the app can refuse."""

from backend.errors import ErrorCode

CONFIRMATION_EXPIRED = ErrorCode(
    "confirmation_expired",
    422,
    it="La richiesta è scaduta: chiedi alla cassa di ripeterla.",
    en="The request has expired: ask the counter to make it again.",
)
CONFIRMATION_ANSWERED = ErrorCode(
    "confirmation_already_answered",
    409,
    it="Hai già risposto a questa richiesta ({state}).",
    en="You already answered this request ({state}).",
)
