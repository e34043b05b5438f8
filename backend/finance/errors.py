"""What the finance domain refuses, in Italian and English."""

from backend.errors import ErrorCode
from backend.ledger.errors import PERIOD_CLOSED  # noqa: F401 - the ledger's refusal, shown by finance too

PERIOD_NOT_ENDED = ErrorCode(
    "period_not_ended",
    422,
    it="Il mese {month} non è ancora finito: si può chiudere solo un mese concluso da qualche minuto.",
    en="The month {month} has not ended yet: only a month that ended a few minutes ago can be closed.",
)
PERIOD_ALREADY_CLOSED = ErrorCode(
    "period_already_closed",
    409,
    it="Il mese {month} è già chiuso.",
    en="The month {month} is already closed.",
)
PERIOD_NOT_CLOSED = ErrorCode(
    "period_not_closed",
    422,
    it="Il mese {month} non è chiuso: non c'è nulla da riaprire.",
    en="The month {month} is not closed: there is nothing to reopen.",
)
REOPEN_REASON_REQUIRED = ErrorCode(
    "reopen_reason_required",
    400,
    it="Indica perché riapri il mese, da 3 a 300 caratteri.",
    en="Say why the month is reopened, 3 to 300 characters.",
)
INVALID_MONTH = ErrorCode(
    "invalid_month",
    400,
    it="Il mese deve essere nella forma AAAA-MM.",
    en="The month must be written YYYY-MM.",
)
TRANSFER_NOT_DUE = ErrorCode(
    "transfer_not_due",
    409,
    it="Questo trasferimento non è da pagare (stato: {state}).",
    en="This transfer is not due (state: {state}).",
)
BANK_REFERENCE_REQUIRED = ErrorCode(
    "bank_reference_required",
    400,
    it="Indica il riferimento del bonifico (CRO/TRN), da 3 a 140 caratteri.",
    en="Give the bank transfer's reference (CRO/TRN), 3 to 140 characters.",
)
