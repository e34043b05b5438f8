"""Domain errors and the one JSON error shape of the API.

Services raise ``DomainError(SOME_CODE, param=..., **values)``; the web layer
(``backend.web.error_responses``) turns every error (ours, Werkzeug's, validation, rate
limiting, crashes) into::

    {"error": {"type": "...", "code": "...", "message": "...", "param": "..."}}

with the message in the request's language. Each domain declares its own
codes next to its services with ``ErrorCode(...)``; the values an error may
carry besides those four are declared once, in ``ERROR_VALUES``. No app is needed here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.i18n import ROME, Text
from backend.money import Money
from backend.schema_fields import utc_timestamp


def _type_for(status: int, code: str) -> str:
    if code.startswith("idempotency"):
        return "idempotency_error"
    return {
        401: "authentication_error",
        403: "permission_error",
        429: "rate_limit_error",
    }.get(status, "api_error" if status >= 500 else "invalid_request_error")


class ErrorCode:
    """A stable machine code, its HTTP status and its message in both languages."""

    def __init__(self, code: str, status: int, *, it: str, en: str) -> None:
        self.code = code
        self.status = status
        self.text = Text(it=it, en=en)

    def __repr__(self) -> str:
        return f"ErrorCode({self.code!r}, {self.status})"

    @property
    def type(self) -> str:
        return _type_for(self.status, self.code)


# The values an error may carry besides type, code, message and param (what its
# message names, for the app to show or act on), each with its type: "money"
# ({"amount", "currency"}), "integer", "string" or "timestamp" (UTC, ``Z``); a
# trailing "?" means the value may be null.
# The one place they are declared: ``DomainError`` refuses any other name, and
# the contract's ``ErrorBody`` lists these, so every error response validates.
ERROR_VALUES: dict[str, tuple[str, str]] = {
    "shortfall": ("money", "How much the wallet lacks (insufficient_funds)"),
    "available": ("money", "What the wallet can spend now (insufficient_funds)"),
    "room": ("money", "How much more the wallet may hold (wallet_limit_exceeded)"),
    "min": ("money", "Smallest amount accepted"),
    "max": ("money", "Largest amount accepted (or the wallet's maximum balance)"),
    "refundable": ("money", "How much can still be refunded"),
    "payable": ("money", "How much can be paid out in cash"),
    "balance": ("money", "The wallet's balance"),
    "seats_left": ("integer", "Seats still on sale (sold_out)"),
    "sold": ("integer", "Seats already taken (capacity_below_sold)"),
    "limit": ("integer", "The limit that was reached (tickets per patron, devices)"),
    "max_quantity": ("integer", "The most one redemption may take"),
    "held": ("integer", "How many the patron already holds towards the limit"),
    "retry_after_minutes": ("integer", "Minutes before signing in may be tried again"),
    "max_length": ("integer", "The longest value accepted, in characters"),
    "status": ("string", "The object's current state, which refused the operation"),
    "offered": ("string", "The top-up methods the patron's network offers, comma-separated (topup_method_not_offered)"),
    "state": ("string", "The object's current state, which refused the operation"),
    "reason": ("string", "Why the request was refused, in short"),
    "fiscal_code": ("string", "A creditor body's fiscal code (unknown_creditor)"),
    "field": ("string", "The field at fault (as param)"),
    "ticket_type": ("string", "Name of the ticket type"),
    "fee_id": ("string", "Public id of the fee at fault"),
    "fee_type": ("string", "The fee type code that is not known"),
    "card_number": ("string", "The card number at fault"),
    "currency": ("string", "The currency to use"),
    "role": ("string", "The staff role at fault"),
    "gate": ("string", "Where the ticket was first used"),
    "first_used_at": ("timestamp", "When the ticket was first used"),
    "cutoff": ("timestamp", "The deadline that passed"),
    "deadline": ("timestamp", "When the campaign closed"),
    "period": ("string", "The period of the limit that was reached (day, week, month, total, offer)"),
    "resets": ("string", "When the limit resets, in words"),
    "resets_at": ("timestamp?", "When the limit resets (null: never)"),
    "when": ("string", "The day and time that were refused"),
    "used_at": ("timestamp", "When the ticket was checked in at the door"),
    "starts_at": ("timestamp", "When the date started"),
    "isbn": ("string", "The ISBN that was refused (invalid_isbn)"),
    "placeholder": ("string", "What a template must contain (bad_opac_template)"),
    "loan_days": ("integer", "The kit's longest loan, in days"),
    "units": ("integer", "The kit's number of units"),
    "start_date": ("string", "The first day it is possible (YYYY-MM-DD, Europe/Rome)"),
    "next_free_dates": ("date_ranges", "The next free ranges of the same length (kit_unavailable)"),
    "session": ("string", "Public id of the cash session at fault"),
    "month": ("string", "The month at fault (YYYY-MM, Europe/Rome)"),
    "partner": ("string", "Name of the partner at fault"),
    "stock_left": ("integer", "How many of the item are left (out_of_stock)"),
    "item_id": ("string", "Public id of the shop item at fault"),
}


def _shown(value: Any, language: str) -> Any:
    """A value as the message shows it to people."""
    if isinstance(value, Money):
        return value.format(language)
    if isinstance(value, datetime):
        return value.astimezone(ROME).strftime("%d/%m/%Y %H:%M")
    return value


def _sent(value: Any) -> Any:
    """A value as the error object carries it."""
    if isinstance(value, Money):
        return value.as_dict()
    if isinstance(value, datetime):
        return utc_timestamp(value)
    return value


class DomainError(Exception):
    """A refusal a user can understand: bad input, a business rule, a conflict.

    Keyword values (declared in ``ERROR_VALUES``) fill the message's placeholders
    and are added to the error object, e.g. the shortfall.
    """

    def __init__(
        self, error: ErrorCode, *, param: str | None = None, headers: dict[str, str] | None = None, **values: Any
    ) -> None:
        undeclared = set(values) - set(ERROR_VALUES)
        if undeclared:
            raise TypeError(f"{error!r}: declare {sorted(undeclared)} in backend.errors.ERROR_VALUES")
        super().__init__(error.code)
        self.error = error
        self.param = param
        self.headers = headers or {}
        self.extra = values

    def body(self, language: str) -> dict[str, Any]:
        shown = {k: _shown(v, language) for k, v in self.extra.items()}
        if self.param:
            shown.setdefault("param", self.param)  # messages may name the field at fault
        payload = {
            "type": self.error.type,
            "code": self.error.code,
            "message": self.error.text.render(language, **shown),
        }
        if self.param:
            payload["param"] = self.param
        for key, value in self.extra.items():
            payload[key] = _sent(value)
        return {"error": payload}


# --- codes shared by every domain ---------------------------------------

VALIDATION_ERROR = ErrorCode(
    "validation_error",
    400,
    it="Richiesta non valida: controlla il campo «{field}».",
    en="Invalid request: check the field '{field}'.",
)
MALFORMED_REQUEST = ErrorCode(
    "malformed_request",
    400,
    it="Il corpo della richiesta non è JSON valido.",
    en="The request body is not valid JSON.",
)
BODY_REQUIRED = ErrorCode(
    "body_required",
    400,
    it="Questa operazione richiede un corpo JSON.",
    en="This operation needs a JSON body.",
)
BODY_NOT_OBJECT = ErrorCode(
    "body_not_object",
    400,
    it="Il corpo della richiesta deve essere un oggetto JSON.",
    en="The request body must be a JSON object.",
)
JSON_TOO_DEEP = ErrorCode(
    "json_too_deep",
    400,
    it="Il JSON della richiesta è annidato troppo (al massimo 32 livelli).",
    en="The request JSON is nested too deeply (at most 32 levels).",
)
NUMBER_OUT_OF_RANGE = ErrorCode(
    "number_out_of_range",
    400,
    it="Il numero nel campo «{param}» è fuori dall'intervallo ammesso (interi a 64 bit, niente NaN o infiniti).",
    en="The number in the field '{param}' is out of the allowed range (64-bit integers, no NaN or infinity).",
)
INVALID_CHARACTERS = ErrorCode(
    "invalid_characters",
    400,
    it="Il campo «{param}» contiene caratteri non ammessi (NUL o surrogati UTF-16 isolati).",
    en="The field '{param}' contains characters that are not allowed (NUL or a lone UTF-16 surrogate).",
)
URI_TOO_LONG = ErrorCode(
    "uri_too_long",
    414,
    it="L'indirizzo della richiesta è troppo lungo (al massimo 4096 caratteri).",
    en="The request URL is too long (at most 4096 characters).",
)
HEADERS_TOO_LARGE = ErrorCode(
    "headers_too_large",
    431,
    it="Un'intestazione della richiesta è troppo grande (al massimo 8 KB).",
    en="A request header is too large (at most 8 KB).",
)
INVALID_CURSOR = ErrorCode(
    "invalid_cursor",
    400,
    it="Il cursore di paginazione non è valido per questo elenco.",
    en="The pagination cursor is not valid for this list.",
)
UNAUTHENTICATED = ErrorCode(
    "unauthenticated",
    401,
    it="Accesso richiesto: manca un token valido.",
    en="Authentication required: no valid token.",
)
FORBIDDEN = ErrorCode(
    "forbidden",
    403,
    it="Non hai il permesso per questa operazione.",
    en="You are not allowed to do this.",
)
NOT_FOUND = ErrorCode(
    "not_found",
    404,
    it="Risorsa non trovata.",
    en="Resource not found.",
)
INVALID_AMOUNT = ErrorCode(
    "invalid_amount",
    400,
    it="Importo non valido: scrivi ad esempio 12,50.",
    en="Invalid amount: write for example 12.50.",
)
METHOD_NOT_ALLOWED = ErrorCode(
    "method_not_allowed",
    405,
    it="Metodo non consentito per questa risorsa.",
    en="Method not allowed for this resource.",
)
CONFLICT = ErrorCode(
    "conflict",
    409,
    it="La richiesta è in conflitto con lo stato attuale.",
    en="The request conflicts with the current state.",
)
PAYLOAD_TOO_LARGE = ErrorCode(
    "payload_too_large",
    413,
    it="La richiesta è troppo grande.",
    en="The request is too large.",
)
UNSUPPORTED_MEDIA_TYPE = ErrorCode(
    "unsupported_media_type",
    415,
    it="Invia il corpo come application/json.",
    en="Send the body as application/json.",
)
RATE_LIMITED = ErrorCode(
    "rate_limited",
    429,
    it="Troppe richieste: riprova tra poco.",
    en="Too many requests: try again shortly.",
)
INTERNAL_ERROR = ErrorCode(
    "internal_error",
    500,
    it="Errore interno: l'operazione non è stata eseguita. Riprova.",
    en="Internal error: nothing was done. Please try again.",
)
SERVICE_UNAVAILABLE = ErrorCode(
    "service_unavailable",
    503,
    it="Servizio momentaneamente non disponibile.",
    en="Service temporarily unavailable.",
)
