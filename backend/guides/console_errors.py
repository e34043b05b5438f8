"""What the console forms of Socialbook refuse before calling a service (the API's schemas do this there)."""

from backend.errors import ErrorCode

BAD_AGE = ErrorCode(
    "bad_age", 400,
    it="Età non valida: un numero da 0 a 120.",
    en="Invalid age: a number from 0 to 120.",
)
TITLE_AND_THEME = ErrorCode(
    "title_and_theme_required", 400,
    it="Indica almeno il titolo in italiano e il tema.",
    en="Give at least the Italian title and the theme.",
)
FILE_REQUIRED = ErrorCode(
    "file_required", 400,
    it="Scegli il file da importare.",
    en="Choose the file to import.",
)
BAD_NUMBER = ErrorCode(
    "bad_number", 400,
    it="Numero non valido: da {low} a {high}.",
    en="Invalid number: from {low} to {high}.",
)
