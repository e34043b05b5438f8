"""What top-ups refuse, in Italian and English."""

from backend.errors import ErrorCode

TOPUP_AMOUNT_OUT_OF_RANGE = ErrorCode(
    "topup_amount_out_of_range",
    422,
    it="La ricarica deve essere tra {min} e {max}.",
    en="A top-up must be between {min} and {max}.",
)
WALLET_LIMIT_EXCEEDED = ErrorCode(
    "wallet_limit_exceeded",
    422,
    it="Con questa ricarica il saldo supererebbe il massimo di {max}: puoi ricaricare al più {room}.",
    en="This top-up would take your balance over the maximum of {max}: you can add at most {room}.",
)
UNSUPPORTED_CURRENCY = ErrorCode(
    "unsupported_currency",
    422,
    it="Valuta non accettata: usa {currency}.",
    en="Currency not accepted: use {currency}.",
)
PAYMENT_PROVIDER_UNAVAILABLE = ErrorCode(
    "payment_provider_unavailable",
    503,
    it="Il servizio di pagamento non risponde: nessun addebito è stato fatto. Riprova tra poco.",
    en="The payment service is not answering: nothing was charged. Please try again shortly.",
)
INVALID_WEBHOOK = ErrorCode(
    "invalid_webhook",
    400,
    it="Notifica del servizio di pagamento non valida.",
    en="Invalid payment provider notification.",
)
NOTHING_TO_REFUND = ErrorCode(
    "nothing_to_refund",
    422,
    it="Puoi farti rimborsare su carta al più {refundable}; il saldo versato in contanti si ritira in biblioteca.",
    en="At most {refundable} can be refunded to your card; money paid in cash is paid out at a library desk.",
)
SANDBOX_ONLY = ErrorCode(
    "sandbox_only",
    404,
    it="Disponibile solo nella demo (fornitore di pagamento sandbox).",
    en="Only available in the demo (sandbox payment provider).",
)
TOPUP_NOT_PAYABLE = ErrorCode(
    "topup_not_payable",
    409,
    it="Questa ricarica non è più in attesa di pagamento.",
    en="This top-up is no longer waiting for payment.",
)
TOPUP_METHOD_NOT_OFFERED = ErrorCode(
    "topup_method_not_offered",
    422,
    it="La tua rete non offre questo metodo di ricarica: puoi usare {offered}.",
    en="Your network does not offer this top-up method: you can use {offered}.",
)
NOT_A_PAGOPA_TOPUP = ErrorCode(
    "not_a_pagopa_topup",
    404,
    it="Questa ricarica non ha un avviso pagoPA.",
    en="This top-up has no pagoPA notice.",
)
PAGOPA_NOTIFICATION_REFUSED = ErrorCode(
    "pagopa_notification_refused",
    401,
    it="Notifica pagoPA non autorizzata.",
    en="Unauthorized pagoPA notification.",
)
UNKNOWN_NOTICE = ErrorCode(
    "unknown_notice",
    404,
    it="Nessun avviso pagoPA con questo IUV per questo ente.",
    en="No pagoPA notice with this IUV for this creditor body.",
)
RECEIPT_NOT_AVAILABLE = ErrorCode(
    "receipt_not_available",
    409,
    it="pagoPA non conferma ancora il pagamento: riprova più tardi.",
    en="pagoPA does not confirm the payment yet: try again later.",
)
TOPUP_NOT_CANCELABLE = ErrorCode(
    "topup_not_cancelable",
    409,
    it="Questa ricarica non si può più annullare.",
    en="This top-up can no longer be canceled.",
)
INVALID_IBAN = ErrorCode(
    "invalid_iban",
    400,
    it="IBAN non valido: controlla le cifre.",
    en="Invalid IBAN: check the digits.",
)
NOT_REFUNDABLE_BY_TRANSFER = ErrorCode(
    "not_refundable_by_transfer",
    422,
    it="Con bonifico puoi farti rimborsare al più {refundable}: è il saldo versato con pagoPA.",
    en="At most {refundable} can be refunded by bank transfer: the balance paid in through pagoPA.",
)
BANK_REFUND_DECIDED = ErrorCode(
    "bank_refund_decided",
    409,
    it="Questa richiesta di rimborso è già stata decisa ({state}).",
    en="This refund request was already decided ({state}).",
)
