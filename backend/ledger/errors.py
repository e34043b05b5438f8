"""What the ledger refuses, in words a patron or a librarian understands."""

from backend.errors import ErrorCode

INSUFFICIENT_FUNDS = ErrorCode(
    "insufficient_funds",
    422,
    it="Saldo insufficiente: mancano {shortfall} (disponibili {available}).",
    en="Insufficient funds: {shortfall} short ({available} available).",
)
ALREADY_REVERSED = ErrorCode(
    "already_reversed",
    409,
    it="Questo movimento è già stato stornato o rimborsato.",
    en="This transaction has already been reversed or refunded.",
)
NOTHING_TO_RESTORE = ErrorCode(
    "refund_exceeds_payment",
    422,
    it="Il rimborso supera quanto pagato e non ancora rimborsato.",
    en="The refund exceeds what was paid and not yet refunded.",
)
HOLD_NOT_PENDING = ErrorCode(
    "hold_not_pending",
    409,
    it="La prenotazione di importo è già stata chiusa.",
    en="The hold has already been settled.",
)
PERIOD_CLOSED = ErrorCode(
    "period_closed",
    422,
    it=(
        "Il periodo {month} è chiuso: nessuna registrazione può avere una data al suo interno. "
        "Le correzioni vanno nel periodo aperto, come storni."
    ),
    en=(
        "The period {month} is closed: no posting may be dated inside it. "
        "Corrections go into the open period, as reversals."
    ),
)


class UnbalancedEntry(ValueError):
    """A programming error: the legs given to the ledger do not form a valid entry."""
