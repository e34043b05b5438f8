"""What the campaigns domain refuses, in Italian and English."""

from backend.errors import ErrorCode
from backend.topups.errors import PAYMENT_PROVIDER_UNAVAILABLE, UNSUPPORTED_CURRENCY  # noqa: F401 - shared

CAMPAIGN_NOT_OPEN = ErrorCode(
    "campaign_not_open",
    422,
    it="La campagna non accetta donazioni (stato: {state}).",
    en="The campaign does not accept donations (state: {state}).",
)
CAMPAIGN_ENDED = ErrorCode(
    "campaign_ended",
    422,
    it="La campagna si è chiusa il {deadline}: non accetta più donazioni.",
    en="The campaign ended on {deadline}: it no longer accepts donations.",
)
DONATION_AMOUNT_OUT_OF_RANGE = ErrorCode(
    "donation_amount_out_of_range",
    422,
    it="La donazione deve essere tra {min} e {max}.",
    en="A donation must be between {min} and {max}.",
)
ART_BONUS_NOT_AVAILABLE = ErrorCode(
    "art_bonus_not_available",
    422,
    it="Questa donazione non dà diritto all'Art Bonus.",
    en="This donation does not qualify for the Art Bonus.",
)
INVALID_TAX_CODE = ErrorCode(
    "invalid_tax_code",
    422,
    it="Il codice fiscale non è valido.",
    en="The codice fiscale (tax code) is not valid.",
)
TAX_CODE_REQUIRED = ErrorCode(
    "tax_code_required",
    422,
    it="Per la ricevuta Art Bonus serve il codice fiscale.",
    en="An Art Bonus receipt needs your codice fiscale (tax code).",
)
CAMPAIGN_LOCKED = ErrorCode(
    "campaign_locked",
    422,
    it="Obiettivo, scadenza e modello si fissano al lancio: la campagna è già {state}.",
    en="Goal, deadline and model are fixed at launch: the campaign is already {state}.",
)
DEADLINE_IN_PAST = ErrorCode(
    "deadline_in_past",
    422,
    it="La scadenza deve essere nel futuro.",
    en="The deadline must be in the future.",
)
ART_BONUS_DETAILS_REQUIRED = ErrorCode(
    "art_bonus_details_required",
    422,
    it="Per l'Art Bonus indica l'ente beneficiario e la finalità.",
    en="For the Art Bonus give the beneficiary body and the purpose.",
)
NOT_SETTLED_YET = ErrorCode(
    "campaign_not_settled",
    422,
    it="Il rapporto finale si pubblica dopo la scadenza (stato: {state}).",
    en="The final report is posted after the deadline (state: {state}).",
)
DONATION_NOT_PAYABLE = ErrorCode(
    "donation_not_payable",
    409,
    it="Questa donazione non è in attesa di pagamento.",
    en="This donation is not waiting for a payment.",
)
NO_MESSAGE = ErrorCode(
    "no_message",
    422,
    it="Questa donazione non ha un messaggio.",
    en="This donation has no message.",
)
RECURRING_NOT_ACTIVE = ErrorCode(
    "recurring_not_changeable",
    422,
    it="La donazione periodica è {state}: non si può più cambiare.",
    en="The recurring donation is {state}: it can no longer change.",
)
SUPPORTER_CARD_NOT_SOLD = ErrorCode(
    "supporter_card_not_sold",
    422,
    it="Questa rete non vende la tessera sostenitore.",
    en="This network does not sell a supporter card.",
)
RECEIPT_NOT_READY = ErrorCode(
    "receipt_not_ready",
    409,
    it="La ricevuta si emette quando la donazione è incassata (stato: {state}).",
    en="The receipt is issued once the donation is collected (state: {state}).",
)
