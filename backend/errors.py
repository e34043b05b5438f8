"""Domain errors and the one JSON error shape of the API.

Services raise ``DomainError(SOME_CODE, param=..., **values)``; the web layer
(``backend.web.error_responses``) turns every error (ours, Werkzeug's, validation, rate
limiting, crashes) into::

    {"error": {"type": "...", "code": "...", "message": "...", "param": "..."}}

with the message in the request's language. Each domain declares its own
codes next to its services with ``ErrorCode(...)``. No app is needed here.
"""

from __future__ import annotations

from backend.i18n import Text
from backend.money import Money


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


class DomainError(Exception):
    """A refusal a user can understand: bad input, a business rule, a conflict.

    Keyword values fill the message's placeholders and are added to the error
    object (``Money`` as ``{"amount", "currency"}``), e.g. the shortfall.
    """

    def __init__(self, error: ErrorCode, *, param: str | None = None, headers=None, **values):
        super().__init__(error.code)
        self.error = error
        self.param = param
        self.headers = headers or {}
        self.extra = values

    def body(self, language: str) -> dict:
        shown = {k: (v.format(language) if isinstance(v, Money) else v) for k, v in self.extra.items()}
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
            payload[key] = value.as_dict() if isinstance(value, Money) else value
        return {"error": payload}


# --- codes shared by every domain ---------------------------------------

VALIDATION_ERROR = ErrorCode(
    "validation_error", 400,
    it="Richiesta non valida: controlla il campo «{field}».",
    en="Invalid request: check the field '{field}'.",
)
MALFORMED_REQUEST = ErrorCode(
    "malformed_request", 400,
    it="Il corpo della richiesta non è JSON valido.",
    en="The request body is not valid JSON.",
)
BODY_NOT_OBJECT = ErrorCode(
    "body_not_object", 400,
    it="Il corpo della richiesta deve essere un oggetto JSON.",
    en="The request body must be a JSON object.",
)
JSON_TOO_DEEP = ErrorCode(
    "json_too_deep", 400,
    it="Il JSON della richiesta è annidato troppo (al massimo 32 livelli).",
    en="The request JSON is nested too deeply (at most 32 levels).",
)
NUMBER_OUT_OF_RANGE = ErrorCode(
    "number_out_of_range", 400,
    it="Il numero nel campo «{param}» è fuori dall'intervallo ammesso (interi a 64 bit, niente NaN o infiniti).",
    en="The number in the field '{param}' is out of the allowed range (64-bit integers, no NaN or infinity).",
)
INVALID_CHARACTERS = ErrorCode(
    "invalid_characters", 400,
    it="Il campo «{param}» contiene caratteri non ammessi (NUL o surrogati UTF-16 isolati).",
    en="The field '{param}' contains characters that are not allowed (NUL or a lone UTF-16 surrogate).",
)
INVALID_CURSOR = ErrorCode(
    "invalid_cursor", 400,
    it="Il cursore di paginazione non è valido per questo elenco.",
    en="The pagination cursor is not valid for this list.",
)
UNAUTHENTICATED = ErrorCode(
    "unauthenticated", 401,
    it="Accesso richiesto: manca un token valido.",
    en="Authentication required: no valid token.",
)
FORBIDDEN = ErrorCode(
    "forbidden", 403,
    it="Non hai il permesso per questa operazione.",
    en="You are not allowed to do this.",
)
NOT_FOUND = ErrorCode(
    "not_found", 404,
    it="Risorsa non trovata.",
    en="Resource not found.",
)
INVALID_AMOUNT = ErrorCode(
    "invalid_amount", 400,
    it="Importo non valido: scrivi ad esempio 12,50.",
    en="Invalid amount: write for example 12.50.",
)
METHOD_NOT_ALLOWED = ErrorCode(
    "method_not_allowed", 405,
    it="Metodo non consentito per questa risorsa.",
    en="Method not allowed for this resource.",
)
CONFLICT = ErrorCode(
    "conflict", 409,
    it="La richiesta è in conflitto con lo stato attuale.",
    en="The request conflicts with the current state.",
)
PAYLOAD_TOO_LARGE = ErrorCode(
    "payload_too_large", 413,
    it="La richiesta è troppo grande.",
    en="The request is too large.",
)
UNSUPPORTED_MEDIA_TYPE = ErrorCode(
    "unsupported_media_type", 415,
    it="Invia il corpo come application/json.",
    en="Send the body as application/json.",
)
RATE_LIMITED = ErrorCode(
    "rate_limited", 429,
    it="Troppe richieste: riprova tra poco.",
    en="Too many requests: try again shortly.",
)
INTERNAL_ERROR = ErrorCode(
    "internal_error", 500,
    it="Errore interno: l'operazione non è stata eseguita. Riprova.",
    en="Internal error: nothing was done. Please try again.",
)
SERVICE_UNAVAILABLE = ErrorCode(
    "service_unavailable", 503,
    it="Servizio momentaneamente non disponibile.",
    en="Service temporarily unavailable.",
)
