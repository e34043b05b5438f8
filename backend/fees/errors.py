"""What the fees domain refuses, in Italian and English."""

from backend.errors import ErrorCode

UNKNOWN_FEE_TYPE = ErrorCode(
    "unknown_fee_type",
    422,
    it="Tipo di tariffa sconosciuto in questa rete: «{fee_type}».",
    en="Unknown fee type in this network: '{fee_type}'.",
)
AMOUNT_REQUIRED = ErrorCode(
    "amount_required",
    422,
    it="Questo tipo di tariffa non ha un importo predefinito: indica l'importo.",
    en="This fee type has no default amount: give the amount.",
)
FEE_NOT_OUTSTANDING = ErrorCode(
    "fee_not_outstanding",
    409,
    it="La tariffa {fee_id} non è da pagare (stato: {status}).",
    en="Fee {fee_id} is not outstanding (status: {status}).",
)
FEE_ALREADY_WAIVED = ErrorCode(
    "fee_already_waived",
    409,
    it="La tariffa {fee_id} è già stata annullata.",
    en="Fee {fee_id} has already been waived.",
)
FEE_CHANGED = ErrorCode(
    "fee_changed",
    409,
    it="La tariffa è stata modificata nel frattempo: ricarica e riprova.",
    en="The fee changed meanwhile: reload and try again.",
)
