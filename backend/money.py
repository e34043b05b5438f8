"""Money: integer minor units plus currency, never floats.

``{"amount": 1250, "currency": "EUR"}`` on the wire; ``Money`` in code.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import marshmallow as ma
from babel.numbers import format_currency

from backend.i18n import LOCALES

SUPPORTED_CURRENCIES = ("EUR",)
# One million euro: far above any library transaction, far below int64 trouble.
MAX_AMOUNT = 100_000_000


@dataclass(frozen=True, order=True)
class Money:
    amount: int
    currency: str = "EUR"

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError("Money.amount must be an int of minor units")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"currency mismatch: {self.currency} vs {other.currency}")

    def as_dict(self) -> dict[str, Any]:
        return {"amount": self.amount, "currency": self.currency}

    def format(self, language: str = "it") -> str:
        """``12,50 €`` in Italian, ``€12.50`` in English."""
        return format_currency(Decimal(self.amount) / 100, self.currency, locale=LOCALES.get(language, "it_IT"))


class StrictInteger(ma.fields.Integer):
    """An integer that refuses 12.5, "12", true and friends."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _validated(self, value: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._validated(value)


class MoneySchema(ma.Schema):
    amount = StrictInteger(
        required=True,
        metadata={"description": "Amount in minor units (cents)", "example": 1250},
    )
    currency = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(SUPPORTED_CURRENCIES),
        metadata={"description": "ISO 4217 currency code", "example": "EUR"},
    )


class PositiveMoneySchema(MoneySchema):
    """Money in a request: strictly positive, bounded; direction comes from the operation."""

    amount = StrictInteger(
        required=True,
        validate=ma.validate.Range(min=1, max=MAX_AMOUNT),
        metadata={"description": "Positive amount in minor units (cents)", "example": 1250},
    )

    @ma.post_load
    def to_money(self, data: dict[str, Any], **kwargs: Any) -> Money:
        return Money(data["amount"], data["currency"])


class MoneyField(ma.fields.Nested):
    """Dumps ``Money`` (or a dict) as ``{"amount", "currency"}``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(MoneySchema, **kwargs)

    # marshmallow's Nested names its first parameter unlike Field's (so no signature
    # fits both) and leaves its own _serialize untyped.
    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if isinstance(value, Money):
            value = value.as_dict()
        return super()._serialize(value, attr, obj, **kwargs)  # type: ignore[no-untyped-call]
