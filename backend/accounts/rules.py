"""What a PIN and a password must look like (shared by schemas and services)."""

from __future__ import annotations

import re

from backend.errors import VALIDATION_ERROR, DomainError

PIN_PATTERN = re.compile(r"^[0-9]{4,8}$")
PASSWORD_MIN, PASSWORD_MAX = 10, 128


def is_valid_pin(value: str) -> bool:
    return bool(PIN_PATTERN.match(value or ""))


def is_valid_password(value: str) -> bool:
    return PASSWORD_MIN <= len(value or "") <= PASSWORD_MAX and not (value or "").isspace()


def check_pin(value: str, param: str) -> None:
    if not is_valid_pin(value):
        raise DomainError(VALIDATION_ERROR, param=param, field=param)


def check_password(value: str, param: str) -> None:
    if not is_valid_password(value):
        raise DomainError(VALIDATION_ERROR, param=param, field=param)
