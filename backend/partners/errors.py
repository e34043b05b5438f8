"""What the partners domain refuses, in words a patron, a cashier or an admin understands.

Till refusals are 422 with a precise ``code`` (and ``reason``/``resets_at`` where useful),
so the console and an offline till's upload can say exactly why.
"""

from backend.errors import ErrorCode

PASS_INVALID = ErrorCode(
    "pass_invalid",
    422,
    it="Pass non valido: la firma non corrisponde (codice alterato o di un'altra app).",
    en="Invalid pass: the signature does not match (altered code or not from the app).",
)
PASS_STALE = ErrorCode(
    "pass_stale",
    422,
    it="Codice vecchio di oltre 2 minuti (una foto o uno screenshot?): chiedi di aprire il pass nell'app.",
    en="Code older than 2 minutes (a photo or a screenshot?): ask the holder to open the pass in the app.",
)
PASS_EXPIRED = ErrorCode(
    "pass_expired",
    422,
    it="Pass scaduto: il telefono deve collegarsi a Internet per rinnovarlo.",
    en="Pass expired: the phone must go online to renew it.",
)
PASS_REVOKED = ErrorCode(
    "pass_revoked",
    422,
    it="Pass revocato.",
    en="This pass has been revoked.",
)
NOT_ELIGIBLE = ErrorCode(
    "not_eligible",
    422,
    it="Il titolare non ha diritto a questa convenzione ({reason}).",
    en="The holder is not eligible for this offer ({reason}).",
)
LIMIT_REACHED = ErrorCode(
    "limit_reached",
    422,
    it="Limite di utilizzi raggiunto ({period}: {limit}). Si rinnova: {resets}.",
    en="Use limit reached ({period}: {limit}). It resets: {resets}.",
)
OUTSIDE_HOURS = ErrorCode(
    "outside_hours",
    422,
    it="La convenzione non vale in questo giorno o a quest'ora ({when}).",
    en="The offer is not valid on this day or at this time ({when}).",
)
OFFER_NOT_VALID = ErrorCode(
    "offer_not_valid",
    422,
    it="La convenzione non è valida oggi ({reason}).",
    en="The offer is not valid today ({reason}).",
)
WRONG_VENUE = ErrorCode(
    "wrong_venue",
    422,
    it="La convenzione non vale in questa sede.",
    en="The offer does not apply at this venue.",
)
BUDGET_EXHAUSTED = ErrorCode(
    "budget_exhausted",
    422,
    it="Il budget della convenzione per questo periodo è esaurito.",
    en="The agreement's budget for this period is used up.",
)
QUANTITY_INVALID = ErrorCode(
    "quantity_invalid",
    400,
    it="Quantità non valida: da 1 a {max_quantity} per questa convenzione.",
    en="Invalid quantity: from 1 to {max_quantity} for this offer.",
)
INVALID_TAX_CODE = ErrorCode(
    "invalid_tax_code",
    400,
    it="Partita IVA o codice fiscale non valido.",
    en="Invalid partita IVA or codice fiscale.",
)
INVALID_IBAN = ErrorCode(
    "invalid_iban",
    400,
    it="IBAN non valido.",
    en="Invalid IBAN.",
)
INVALID_OFFER = ErrorCode(
    "invalid_offer",
    400,
    it="Convenzione non coerente: {reason}.",
    en="Inconsistent offer: {reason}.",
)
WALLET_PAYMENTS_OFF = ErrorCode(
    "wallet_payments_off",
    422,
    it="Il pagamento con il borsellino non è attivo per questo partner.",
    en="Wallet payments are not enabled for this partner.",
)
REFUND_WINDOW_CLOSED = ErrorCode(
    "refund_window_closed",
    422,
    it="Il pagamento si può rimborsare solo entro 30 giorni.",
    en="A payment can be refunded only within 30 days.",
)
DEVICE_KEY_INVALID = ErrorCode(
    "device_key_invalid",
    400,
    it="Chiave del dispositivo non valida (serve una chiave pubblica Ed25519 in base64url).",
    en="Invalid device key (an Ed25519 public key in base64url is needed).",
)
